"""README's cost table is `cv-analytics cost --markdown`'s output, so it cannot go stale."""

from __future__ import annotations

from pathlib import Path

from cv_analytics.cli import main
from cv_analytics.cost.render import (
    README_BEGIN,
    CostReport,
    readme_block,
    render_markdown,
    with_readme_block,
)

README = Path(__file__).resolve().parents[3] / "README.md"


def test_the_readme_table_is_the_commands_output(capsys):
    assert main(["cost", "--markdown"]) == 0
    printed = capsys.readouterr().out.rstrip("\n")
    assert readme_block(README.read_text(encoding="utf-8")) == printed, (
        "README's cost table is stale: run `make cost-inputs` (or scripts/cost_readme.py)"
    )
    assert printed == render_markdown(CostReport())


def test_rewriting_the_block_replaces_only_the_block():
    text = f"before\n{README_BEGIN}\nold\n<!-- cost:end -->\nafter\n"
    rewritten = with_readme_block(text, "| new |")
    assert readme_block(rewritten) == "| new |"
    assert rewritten.startswith("before\n") and rewritten.endswith("<!-- cost:end -->\nafter\n")
