"""Screenshot a weekly report email with headless Chromium.

    make demo && .venv/bin/python scripts/screenshot_report.py --report out/demo/report-<week>.html
    .venv/bin/python scripts/screenshot_report.py [--out docs/report-screenshot.png]

With ``--report``: the email the demo's reporter sent (the README's screenshot: a demo week with
feedback, two prompt variants and a failure spike). Without: a report rendered here from the
sample week described below.

Needs Chromium (Debian: ``apt-get install -y chromium``). Uses the sample week of
``bench/sample_week.py`` (2025-W46, compared with 2025-W45, its questions with those of the four
weeks before for "New this week") and example token prices. Chromium
runs with networking features off; the page itself loads nothing (no external images or scripts).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.sample_week import generate_week  # noqa: E402
from reporter.render import render_report  # noqa: E402
from reporter.service import build_report  # noqa: E402
from reporter.settings import ReportOptions  # noqa: E402

WEEK, PREVIOUS = "2025-W46", "2025-W45"
EARLIER = (("2025-W45", 45), ("2025-W44", 44), ("2025-W43", 43), ("2025-W42", 42))
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)


def render_sample(out_dir: Path) -> Path:
    view = build_report(
        generate_week(WEEK, questions=1_234, seed=46),
        WEEK,
        generate_week(PREVIOUS, questions=1_102, seed=45),
        ReportOptions(
            price_per_million_input_tokens=Decimal("0.80"),
            price_per_million_output_tokens=Decimal("4.00"),
        ),
        earlier_questions=(
            record.query
            for week, seed in EARLIER
            for record in generate_week(week, questions=1_100, seed=seed)
            if record.query
        ),
        generated_at=datetime(2025, 11, 17, 7, 0, tzinfo=UTC),
    )
    report = render_report(view)
    html = out_dir / f"report-{WEEK}.html"
    html.write_text(report.html, encoding="utf-8")
    (out_dir / f"report-{WEEK}.txt").write_text(report.text, encoding="utf-8")
    return html


def screenshot(html: Path, png: Path, width: int, height: int) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("chromium not found: apt-get install -y chromium")
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(  # noqa: S603 - fixed argv, no shell
            [
                chromium,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={profile}",
                f"--window-size={width},{height}",
                f"--screenshot={png.resolve()}",
                html.resolve().as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )


def main() -> int:
    cli = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cli.add_argument("--out", type=Path, default=ROOT / "docs" / "report-screenshot.png")
    cli.add_argument(
        "--report", type=Path, default=None, help="screenshot this report HTML (e.g. the demo's)"
    )
    cli.add_argument("--html-dir", type=Path, default=None, help="keep the rendered files here")
    cli.add_argument("--width", type=int, default=900)
    cli.add_argument("--height", type=int, default=3900)
    args = cli.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out_dir = args.html_dir or Path(tmp)
        out_dir.mkdir(parents=True, exist_ok=True)
        html = args.report if args.report is not None else render_sample(out_dir)
        screenshot(html, args.out, args.width, args.height)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
