"""Rendering the report's two parts (HTML and plain text) with chevron, from template files.

Templates live in ``reporter/templates`` (``report.html.mustache``, ``report.txt.mustache``) and are
read once per process. chevron never interprets data as template: values are substituted after
tokenizing the template, so a question such as ``{{#x}}`` prints as itself. Partials are disabled
(``partials_path=None``) so a template cannot pull files from the working directory. The HTML part
uses ``{{name}}`` (HTML-escaped); the text part uses ``{{&name}}`` (verbatim: it is not HTML).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import chevron

from reporter.view import ReportView

TEMPLATES = Path(__file__).parent / "templates"
HTML_TEMPLATE = "report.html.mustache"
TEXT_TEMPLATE = "report.txt.mustache"


@dataclass(frozen=True)
class RenderedReport:
    """An email ready to send (or to write to files)."""

    week_id: str
    subject: str
    html: str
    text: str
    questions: int


@cache
def _template(name: str) -> str:
    return (TEMPLATES / name).read_text(encoding="utf-8")


def _render(name: str, data: dict[str, Any]) -> str:
    rendered: str = chevron.render(_template(name), data, partials_path=None, partials_dict={})
    return rendered


def _tidy(text: str) -> str:
    """No trailing spaces in the text part (empty bars leave some)."""
    return "\n".join(line.rstrip() for line in text.splitlines()) + "\n"


def render_report(view: ReportView) -> RenderedReport:
    """Both parts of the email for ``view``."""
    data = view.model_dump()
    return RenderedReport(
        week_id=view.week_id,
        subject=view.subject,
        html=_render(HTML_TEMPLATE, data),
        text=_tidy(_render(TEXT_TEMPLATE, data)),
        questions=view.question_count,
    )
