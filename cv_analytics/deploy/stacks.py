"""Is a SAM stack already at a release? Its ``DeployHash`` parameter says.

``scripts/sam_parameters.py`` writes ``DeployHash``: a hash of the functions' code, the contract
layer, template.yaml, samconfig.toml and every parameter value (so every Terraform output the stack
consumes). A stack whose last deploy completed with the same hash needs no build and no deploy; any
change of code or of a consumed output changes the hash and so redeploys. Used by
``cv-analytics deploy`` (skip a current stack) and by the Deploy workflow (deploy a stack when
either its code or an output it reads changed).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

DEPLOY_HASH = "DeployHash"
# A stack in one of these states holds the parameters of its last successful deploy.
SETTLED = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE"})


def deployed_parameters(cloudformation: Any, stack_name: str) -> dict[str, str] | None:
    """The parameters of the stack's last successful deploy, or None (no such stack, or one
    that never completed or is being changed)."""
    try:
        stacks = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    except ClientError as exc:
        error = exc.response.get("Error", {})
        if error.get("Code") == "ValidationError" and "does not exist" in error.get("Message", ""):
            return None
        raise
    if not stacks or stacks[0].get("StackStatus") not in SETTLED:
        return None
    return {
        item["ParameterKey"]: item.get("ParameterValue", "")
        for item in stacks[0].get("Parameters", [])
    }


def read_parameters(path: Path) -> dict[str, str]:
    """The file scripts/sam_parameters.py writes (JSON, which SAM reads as YAML)."""
    data: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    return data


def is_current(deployed: Mapping[str, str] | None, wanted: Mapping[str, str]) -> bool:
    """True when the deployed release is the wanted one (same ``DeployHash``)."""
    if deployed is None or not wanted.get(DEPLOY_HASH):
        return False
    return deployed.get(DEPLOY_HASH) == wanted[DEPLOY_HASH]
