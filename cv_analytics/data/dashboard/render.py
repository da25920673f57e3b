"""The dashboard as one self-contained HTML file: chevron template, inline CSS, inline SVG charts,
an inline script for the session explorer and the sessions as compressed data in the page.

Nothing is loaded from anywhere: the page's Content-Security-Policy (``default-src 'none'``)
forbids every request, so a page that tried one would show it as an error (the browser test
checks there are none). Numbers are formatted with the weekly email's own functions.
"""

from __future__ import annotations

import base64
import gzip
import json
from datetime import UTC, datetime
from decimal import Decimal
from importlib import resources
from typing import Any

import chevron

from cv_analytics.data.dashboard.charts import all_charts
from cv_analytics.data.dashboard.model import DashboardData, WeekTrend
from reporter.view.formatting import change_percent, count, duration, money

TITLE = "Chatbot analytics dashboard"


def _template(name: str) -> str:
    return (resources.files(__package__) / "templates" / name).read_text(encoding="utf-8")


def _rate(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def _money(value: Decimal | None, currency: str) -> str:
    return "" if value is None else money(value, currency)


def _points(current: float | None, previous: float | None) -> str:
    if current is None or previous is None:
        return ""
    change = round(100 * (current - previous), 1) + 0.0  # + 0.0: no "-0.0"
    return f"{change:+.1f} points"


def _tiles(latest: WeekTrend, previous: WeekTrend | None, currency: str) -> list[dict[str, str]]:
    before = previous.figures if previous else None
    tiles = [
        {
            "label": "Questions",
            "value": count(latest.figures.questions),
            "change": (change_percent(latest.figures.questions, before.questions) or "")
            if before
            else "",
        },
        {
            "label": "Sessions",
            "value": count(latest.figures.sessions),
            "change": (change_percent(latest.figures.sessions, before.sessions) or "")
            if before
            else "",
        },
        {
            "label": "Answer rate",
            "value": _rate(latest.answer_rate),
            "change": _points(latest.answer_rate, previous.answer_rate) if previous else "",
        },
        {
            "label": "No-match rate",
            "value": _rate(latest.no_match_rate),
            "change": _points(latest.no_match_rate, previous.no_match_rate) if previous else "",
        },
        {
            "label": "p50 / p95",
            "value": f"{duration(latest.p50_ms)} / {duration(latest.p95_ms)}",
            "change": "",
        },
        {"label": "Tokens", "value": count(latest.tokens), "change": ""},
    ]
    if latest.cost is not None:
        tiles.append({"label": "LLM cost", "value": _money(latest.cost, currency), "change": ""})
    return tiles


def sessions_payload(data: DashboardData) -> str:
    """The sessions as base64 of gzip of JSON: ``{"sessions": [[id, [line, ...]], ...]}``."""
    document = {
        "sessions": [
            [session_id, [line.compact() for line in lines]]
            for session_id, lines in data.sessions.items()
        ]
    }
    packed = gzip.compress(
        json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8"),
        compresslevel=9,
        mtime=0,
    )
    return base64.b64encode(packed).decode("ascii")


def view(data: DashboardData, generated_at: datetime | None = None) -> dict[str, Any]:
    generated = (generated_at or datetime.now(tz=UTC)).astimezone(UTC)
    trends = data.trends
    has_cost = any(trend.cost is not None for trend in trends)
    largest = max((max(q.per_week, default=0) for q in data.top_questions), default=0) or 1
    return {
        "title": TITLE,
        "range": f"{data.weeks[0]} to {data.weeks[-1]} ({len(data.weeks)} weeks)",
        "record_count": count(data.records),
        "generated_at": f"{generated:%Y-%m-%d %H:%M} UTC",
        "latest_week": trends[-1].week,
        "previous_week": trends[-2].week if len(trends) > 1 else "nothing",
        "tiles": _tiles(trends[-1], trends[-2] if len(trends) > 1 else None, data.currency),
        "charts": [{"svg": svg} for svg in all_charts(data)],
        "has_cost": has_cost,
        "weeks": [
            {
                "week": trend.week,
                "questions": count(trend.figures.questions),
                "sessions": count(trend.figures.sessions),
                "answer_rate": _rate(trend.answer_rate),
                "no_match_rate": _rate(trend.no_match_rate),
                "p50": duration(trend.p50_ms),
                "p95": duration(trend.p95_ms),
                "tokens": count(trend.tokens),
                "cost": _money(trend.cost, data.currency),
                "has_cost": has_cost,
            }
            for trend in trends
        ],
        "top_count": len(data.top_questions),
        "week_labels": [week[5:] for week in data.weeks],
        "top_questions": [
            {
                "text": question.text,
                "total": count(question.total),
                "cells": [
                    {
                        "count": count(asked) if asked else "",
                        "alpha": f"{0.08 + 0.6 * asked / largest:.2f}" if asked else "0",
                    }
                    for asked in question.per_week
                ],
            }
            for question in data.top_questions
        ],
        "answer_chars": data.answer_chars,
        "session_count": count(len(data.sessions)),
        "sessions_data": sessions_payload(data),
        "style": _template("dashboard.css"),
        "script": _template("dashboard.js"),
    }


def render_dashboard(data: DashboardData, generated_at: datetime | None = None) -> str:
    """The page's HTML."""
    html: str = chevron.render(_template("dashboard.html.mustache"), view(data, generated_at))
    return html
