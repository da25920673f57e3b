"""The docs name only files that exist: every repository path in backticks in README.md,
docs/ARCHITECTURE.md and the modules' READMEs (``processor/store.py``, ``cv_analytics/local/``)
must be there, so a module map cannot drift from the code unnoticed."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = [
    ROOT / "README.md",
    ROOT / "docs" / "ARCHITECTURE.md",
    *sorted(ROOT.glob("*_infra/README.md")),
    *sorted(ROOT.glob("contract/README.md")),
]
_SPAN = re.compile(r"`([^`\s]+)`")


def _tracked_tops() -> set[str]:
    """Top-level names git tracks: build output (``out/``, ``.aws-sam/``) a doc mentions as
    something a command writes is not a repository path."""
    listed = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    return {name.split("/")[0] for name in listed}


def repository_paths(text: str) -> set[str]:
    """Backticked tokens that look like paths below a top-level folder of the repository."""
    tops = _tracked_tops()
    found = set()
    for token in _SPAN.findall(text):
        path = token.rstrip("/").split(":")[0]
        if "/" not in path or any(mark in path for mark in "*{}<>$"):
            continue
        if path.startswith(("http", "/", "./", "../")) or path.split("/")[0] not in tops:
            continue
        found.add(path)
    return found


@pytest.mark.parametrize("doc", DOCS, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_path_a_doc_names_exists(doc: Path) -> None:
    missing = sorted(p for p in repository_paths(doc.read_text("utf-8")) if not (ROOT / p).exists())
    assert missing == [], f"{doc.relative_to(ROOT)} names paths that do not exist: {missing}"


def test_the_check_sees_the_module_map() -> None:
    paths = repository_paths((ROOT / "docs" / "ARCHITECTURE.md").read_text("utf-8"))
    assert {"processor/correlator.py", "reporter/aggregate.py", "edge_client/sender.py"} <= paths
