"""Sections about activity: the headline tiles, questions per day, the busiest hour, and how
well the answers matched the CV."""

from __future__ import annotations

from reporter.figures import MATCH_TYPES, WeekFigures
from reporter.view.formatting import (
    BAD,
    BAR,
    BUSIEST_BAR,
    FIGURE_LABEL_COLUMNS,
    MATCH_COLOURS,
    MATCH_LABELS,
    NEUTRAL,
    TEXT_BAR_COLUMNS,
    bar_percent,
    change_percent,
    change_points,
    count,
    day_label,
    percent,
    plural,
    score,
    text_bar,
    trend_colour,
)
from reporter.view.models import DayBar, MatchRow, Tile


def tile(label: str, value: str, note: str, note_colour: str) -> Tile:
    return Tile(
        label=label,
        value=value,
        note=note,
        note_colour=note_colour,
        text_label=label.ljust(FIGURE_LABEL_COLUMNS),
        text_value=value.rjust(8),
    )


def tiles(current: WeekFigures, previous: WeekFigures) -> list[Tile]:
    last_week = previous.week_id[5:]  # "W45": the year is in the report's title

    def versus(change: str | None, before: str) -> str:
        if change is None:
            return f"no questions in {last_week}" if not previous.questions else ""
        return f"{change} vs {last_week} ({before})"

    sessions = ("" if current.sessions_exact else "\u2248") + count(current.sessions)
    answered_share = percent(current.answered, current.questions)
    score_change = change_points(current.score_mean, previous.score_mean)
    return [
        tile(
            "Questions",
            count(current.questions),
            versus(
                change_percent(current.questions, previous.questions), count(previous.questions)
            ),
            trend_colour(current.questions, previous.questions or None),
        ),
        tile(
            "Sessions",
            sessions,
            versus(change_percent(current.sessions, previous.sessions), count(previous.sessions)),
            trend_colour(current.sessions, previous.sessions or None),
        ),
        tile(
            "Answered",
            answered_share,
            f"{count(current.failed)} failed \u00b7 {count(current.unanswered)} unanswered",
            BAD if current.failed or current.unanswered else NEUTRAL,
        ),
        tile(
            "Mean score",
            score(current.score_mean),
            (
                f"{score_change} vs {last_week} ({score(previous.score_mean)})"
                if score_change
                else f"median {score(current.score_median)}"
            ),
            trend_colour(current.score_mean, previous.score_mean),
        ),
    ]


def days(figures: WeekFigures) -> list[DayBar]:
    largest = max((n for _, n in figures.per_day), default=0)
    width = max((len(count(n)) for _, n in figures.per_day), default=1)
    failed = figures.failed_per_day if len(figures.failed_per_day) == 7 else [0] * 7
    return [
        DayBar(
            label=day_label(day),
            count=count(n),
            has_bar=n > 0,
            bar_percent=bar_percent(n, largest),
            bar_colour=BUSIEST_BAR if n == largest else BAR,
            text_bar=text_bar(n, largest),
            text_label=day_label(day).ljust(10),
            text_count=count(n).rjust(width),
            failed=f"{count(failures)} failed" if failures else "",
            has_failed=failures > 0,
            text_failed=(
                " " * (TEXT_BAR_COLUMNS - len(text_bar(n, largest)) + 2)
                + f"{count(failures)} failed"
                if failures
                else ""
            ),
        )
        for (day, n), failures in zip(figures.per_day, failed, strict=False)
    ]


def busiest_hour(figures: WeekFigures) -> str:
    hour = figures.busiest_hour
    if hour is None:
        return ""
    return (
        f"{hour:02d}:00\u2013{(hour + 1) % 24:02d}:00 UTC "
        f"({plural(figures.per_hour[hour], 'question')} over the week)"
    )


def match_rows(figures: WeekFigures) -> list[MatchRow]:
    total = sum(figures.match_types.values())
    largest = max(figures.match_types.values(), default=0)
    rows = []
    for kind in MATCH_TYPES:
        n = figures.match_types[kind]
        share = percent(n, total)
        rows.append(
            MatchRow(
                label=MATCH_LABELS[kind],
                text_label=kind.ljust(8),
                count=count(n),
                share=share,
                colour=MATCH_COLOURS[kind],
                has_bar=n > 0,
                bar_percent=round(100 * n / total) if total else 0,
                text_bar=text_bar(n, largest, TEXT_BAR_COLUMNS).ljust(TEXT_BAR_COLUMNS),
                text_share=share.rjust(6),
            )
        )
    return rows
