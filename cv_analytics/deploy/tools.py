"""Where the external tools are: terraform, the SAM CLI, and the Python the Lambda layer builds with.

The SAM CLI pins its own boto3, so it usually lives in a virtual environment of its own (``make
tools`` puts it in ``.tools/sam``): ``--sam PATH`` or ``CV_ANALYTICS_SAM`` point at it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

SAM_ENVIRONMENT_VARIABLE = "CV_ANALYTICS_SAM"
TERRAFORM_ENVIRONMENT_VARIABLE = "CV_ANALYTICS_TERRAFORM"
# `make tools` installs the SAM CLI here (its own virtual environment).
REPOSITORY_SAM = Path(".tools") / "sam" / "bin" / "sam"
# The functions run on python3.13; `sam build` (no container) needs that interpreter on PATH.
LAMBDA_PYTHON = "python3.13"


class ToolNotFoundError(LookupError):
    """A tool the deployment needs is not installed where it was looked for."""


@dataclass(frozen=True)
class Tools:
    terraform: str
    sam: str


def _resolve(candidate: str, environ: Mapping[str, str]) -> str | None:
    if os.sep in candidate or (os.altsep and os.altsep in candidate):
        path = Path(candidate).expanduser()
        return str(path) if path.is_file() and os.access(path, os.X_OK) else None
    return shutil.which(candidate, path=environ.get("PATH"))


def find_terraform(explicit: str | None, environ: Mapping[str, str]) -> str:
    candidate = explicit or environ.get(TERRAFORM_ENVIRONMENT_VARIABLE) or "terraform"
    found = _resolve(candidate, environ)
    if found is None:
        raise ToolNotFoundError(
            f"terraform not found ({candidate}): install Terraform >= 1.6 "
            "(https://developer.hashicorp.com/terraform/install) or pass --terraform PATH"
        )
    return found


def find_sam(explicit: str | None, environ: Mapping[str, str], root: Path) -> str:
    """``--sam``, then ``$CV_ANALYTICS_SAM``, then the repository's ``.tools/sam``, then PATH."""
    candidates = [explicit, environ.get(SAM_ENVIRONMENT_VARIABLE)]
    if not any(candidates):
        candidates = [str(root / REPOSITORY_SAM), "sam"]
    for candidate in filter(None, candidates):
        found = _resolve(candidate, environ)
        if found is not None:
            return found
    looked = ", ".join(filter(None, candidates))
    raise ToolNotFoundError(
        f"the SAM CLI was not found ({looked}): install it in its own virtual environment "
        "(`make tools`, or `python3 -m venv ~/.sam && ~/.sam/bin/pip install aws-sam-cli`) "
        f"and pass --sam PATH or set {SAM_ENVIRONMENT_VARIABLE}"
    )


def find_tools(
    *, terraform: str | None, sam: str | None, environ: Mapping[str, str], root: Path
) -> Tools:
    return Tools(terraform=find_terraform(terraform, environ), sam=find_sam(sam, environ, root))


def display_path(executable: str, root: Path) -> str:
    """A tool's path as printed (and run): its bare name when that is what PATH finds, relative
    to the repository when it is inside it, else as given."""
    path = Path(executable)
    if path.is_absolute() and shutil.which(path.name) == executable:
        return path.name
    try:
        return str(path.relative_to(root))
    except ValueError:
        return executable
