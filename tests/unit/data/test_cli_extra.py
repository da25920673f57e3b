"""Without the data extra, the data commands say what to install instead of crashing."""

from __future__ import annotations

import subprocess
import sys

import pytest

WITHOUT_DATA_EXTRA = """
import sys
for name in ("pyarrow", "duckdb", "rich"):
    sys.modules[name] = None
from cv_analytics.cli import main
sys.exit(main(sys.argv[1:]))
"""


def run_without_data_extra(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_DATA_EXTRA, *argv],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PATH": "/usr/bin:/bin", "AWS_REGION": "eu-west-2", "HOME": "/nonexistent"},
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["query", "--named", "weekly-trend"],
        ["query", "SELECT 1 FROM records", "--format", "csv"],
        ["export", "--analytics-table", "t", "--weeks", "2"],
    ],
    ids=" ".join,
)
def test_data_commands_name_the_data_extra(argv):
    result = run_without_data_extra(*argv)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "needs the data extra" in result.stderr
    assert "pip install 'cv-analytics[data]'" in result.stderr


@pytest.mark.parametrize("argv", [["query", "--help"], ["export", "--help"], ["query", "--list"]])
def test_help_and_the_list_of_named_queries_need_no_extra(argv):
    result = run_without_data_extra(*argv)
    assert result.returncode == 0, result.stderr
