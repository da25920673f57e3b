"""Read a Terraform module's configuration as data, for static checks of its interface and policies.

Parsing uses ``hcl2tojson`` from python-hcl2, which the checkov tool environment
(``.tools/checkov``) already ships; python-hcl2 wraps every attribute value in a list.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cv_analytics.infra.terraform import REPO_ROOT

_TOOL_BINARY = REPO_ROOT / ".tools" / "checkov" / "bin" / "hcl2tojson"


def hcl2tojson_binary() -> str | None:
    """Path of ``hcl2tojson`` (checkov's tool environment first, then PATH), or None."""
    if _TOOL_BINARY.is_file():
        return str(_TOOL_BINARY)
    return shutil.which("hcl2tojson")


def load_module(module_dir: Path) -> dict[str, dict[str, Any]]:
    """Every ``*.tf`` file of ``module_dir`` parsed, by file name."""
    binary = hcl2tojson_binary()
    if binary is None:
        raise FileNotFoundError("hcl2tojson is not installed (make tools installs checkov)")
    with tempfile.TemporaryDirectory() as scratch:
        # One process for the whole directory: it writes <stem>.json for every file it parses.
        # -s skips what is not HCL (README.md); a .tf file it could not parse has no .json, and
        # reading it below fails loudly.
        subprocess.run(  # noqa: S603 - fixed executable, paths built here
            [binary, "-s", str(module_dir), scratch], check=True, capture_output=True, text=True
        )
        return {
            source.name: json.loads((Path(scratch) / f"{source.stem}.json").read_text("utf-8"))
            for source in sorted(module_dir.glob("*.tf"))
        }


def blocks(module: dict[str, dict[str, Any]], kind: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(name, body)`` of every top-level block of ``kind`` (``variable``, ``output``...)."""
    for content in module.values():
        for entry in content.get(kind, []):
            yield from entry.items()


def typed_blocks(
    module: dict[str, dict[str, Any]], kind: str
) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """``(type, name, body)`` of every ``resource`` or ``data`` block."""
    for content in module.values():
        for entry in content.get(kind, []):
            for block_type, named in entry.items():
                for name, body in named.items():
                    yield block_type, name, body


def flatten(value: Any) -> list[Any]:
    """python-hcl2 nests lists (``[[a, b]]``); flatten to ``[a, b]``."""
    if isinstance(value, list):
        return [item for element in value for item in flatten(element)]
    return [value]
