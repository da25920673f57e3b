"""Settings files for the deploy tests: the committed deploy.toml, filled in."""

from __future__ import annotations

from pathlib import Path

import pytest

from cv_analytics.deploy.settings import Settings, parse

REPO = Path(__file__).resolve().parents[3]
COMMITTED = REPO / "deploy.toml"


def filled(
    *,
    organization: str = "acme",
    sender: str = "reports@example.com",
    recipients: str = '["owner@example.com", "team@example.com"]',
    extra: str = "",
) -> str:
    """The committed deploy.toml with its required settings given (and ``extra`` lines)."""
    text = COMMITTED.read_text(encoding="utf-8")
    text = text.replace('organization = ""', f'organization = "{organization}"', 1)
    text = text.replace('sender = ""', f'sender = "{sender}"', 1)
    text = text.replace("recipients = []", f"recipients = {recipients}", 1)
    return text + extra


@pytest.fixture
def settings() -> Settings:
    return parse(filled(), COMMITTED)


@pytest.fixture
def settings_file(tmp_path: Path) -> Path:
    path = tmp_path / "deploy.toml"
    path.write_text(filled(), encoding="utf-8")
    return path
