from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from moto.backends import get_backend
from moto.core.models import DEFAULT_ACCOUNT_ID

from reporter import preview
from tests.unit.reporter.helpers import TABLE, make_record, ms


def test_preview_writes_both_parts_and_sends_nothing(
    dynamodb: Any, put_records: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    put_records(
        make_record(ms(2025, 11, 12) + i, query="<b>Where are you based?</b>") for i in range(3)
    )
    put_records([make_record(ms(2025, 11, 4))])

    assert (
        preview.main(["--week", "2025-W46", "--out", str(tmp_path / "out"), "--table", TABLE]) == 0
    )

    html = (tmp_path / "out" / "report-2025-W46.html").read_text(encoding="utf-8")
    text = (tmp_path / "out" / "report-2025-W46.txt").read_text(encoding="utf-8")
    assert "&lt;b&gt;Where are you based?&lt;/b&gt;" in html
    assert "<b>Where are you based?</b>" in text
    assert "+200% vs W45 (1)" in text
    assert (
        capsys.readouterr().out.splitlines()[0] == "Chatbot analytics 2025-W46: 3 questions (+200%)"
    )
    assert get_backend("ses")[DEFAULT_ACCOUNT_ID]["eu-west-2"].sent_messages == []


def test_preview_takes_the_table_and_prices_from_the_environment(
    dynamodb: Any, put_records: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANALYTICS_TABLE", TABLE)
    monkeypatch.setenv("PRICE_PER_MILLION_INPUT_TOKENS", "1")
    monkeypatch.setenv("PRICE_PER_MILLION_OUTPUT_TOKENS", "2")
    monkeypatch.setenv("PRICE_CURRENCY", "GBP")
    put_records([make_record(ms(2025, 11, 12), tokens={"input": 3_000_000, "output": 1_000_000})])
    assert preview.main(["--week", "2025-W46", "--out", str(tmp_path)]) == 0
    assert "5.00 GBP" in (tmp_path / "report-2025-W46.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--week", "2025-46", "--table", "t"], "not of the form YYYY-Www"),
        (["--week", "2025-W46"], "pass --table or set ANALYTICS_TABLE"),
    ],
)
def test_preview_refuses_bad_arguments(
    argv: list[str],
    message: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("ANALYTICS_TABLE", raising=False)
    with pytest.raises(SystemExit) as exit_:
        preview.main(argv)
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err
