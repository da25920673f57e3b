"""Rewrite the README's cost table from ``cv-analytics cost --markdown`` (``make cost-inputs``).

    .venv/bin/python scripts/cost_readme.py [--check]

``--check`` changes nothing and exits 1 when the README's table differs from the command's output
(``tests/unit/cost/test_readme_table.py`` checks the same).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cv_analytics.cost.render import CostReport, readme_block, render_markdown, with_readme_block

README = Path(__file__).resolve().parents[1] / "README.md"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="exit 1 if the README is stale")
    args = parser.parse_args(argv)
    text = README.read_text(encoding="utf-8")
    markdown = render_markdown(CostReport())
    if args.check:
        stale = readme_block(text) != markdown
        print("README's cost table is stale" if stale else "README's cost table is current")
        return 1 if stale else 0
    README.write_text(with_readme_block(text, markdown), encoding="utf-8")
    print(f"wrote the cost table in {README}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
