"""Headless Chromium through Playwright, as this machine and CI have it: Debian's ``chromium``
(``make tools`` installs it) driven by the ``playwright`` package (the dev extra), never a
browser Playwright downloads itself.

The flags keep Chromium off the network (no background requests, no component updates); each
launch gets a fresh profile.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

#: Where Debian's package puts it; ``CV_ANALYTICS_CHROMIUM`` overrides.
DEFAULT_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = (
    "--no-sandbox",  # CI and this machine run as root
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def chromium_path() -> str | None:
    configured = os.environ.get("CV_ANALYTICS_CHROMIUM") or DEFAULT_CHROMIUM
    if os.path.exists(configured):
        return configured
    return shutil.which("chromium") or shutil.which("chromium-browser")


def missing_browser_reason() -> str | None:
    """Why a browser test cannot run here, or ``None`` when it can."""
    if importlib.util.find_spec("playwright") is None:
        return "playwright is not installed: pip install -e '.[dev]'"
    if chromium_path() is None:
        return (
            "no Chromium: install Debian's with `apt-get install -y chromium` (make tools does), "
            "or set CV_ANALYTICS_CHROMIUM to a Chromium binary"
        )
    return None


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium (a Playwright ``Browser``), closed when the block ends."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(), args=list(CHROMIUM_FLAGS), headless=True
        )
        try:
            yield browser
        finally:
            browser.close()
