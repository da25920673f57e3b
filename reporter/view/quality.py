"""Sections about answer quality as visitors and the data see it: feedback, and the models and
prompt variants compared with the baseline."""

from __future__ import annotations

from reporter.comparison import METRICS, ArmComparison, MetricValue, compare_arms
from reporter.feedback import stars
from reporter.figures import FeedbackFigures, WeekFigures
from reporter.questions import display_text
from reporter.settings import ReportOptions
from reporter.view.formatting import (
    BAD,
    GOOD,
    NEUTRAL,
    count,
    duration,
    moment,
    plural,
    score,
)
from reporter.view.models import (
    ArmHeader,
    ComparisonCell,
    ComparisonRow,
    ComparisonView,
    FeedbackView,
    RatedRow,
)

COMMENT_CHARS = 240
#: Arms shown side by side in the HTML table (the text part lists them all).
ARMS_SHOWN = 4
_LABELS = {
    "answer_rate": "Answered",
    "no_match_rate": "No match",
    "mean_score": "Mean score",
    "p95_ms": "p95 time",
    "cost": "Cost per question",
    "positive_share": "Positive feedback",
}
#: +1: higher is better; -1: lower is better.
_BETTER = {
    "answer_rate": 1,
    "no_match_rate": -1,
    "mean_score": 1,
    "p95_ms": -1,
    "cost": -1,
    "positive_share": 1,
}


def _share(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def _rating(thumbs: str | None, rating: int | None) -> str:
    if rating is None:
        return f"thumbs {thumbs}"
    return "\u2605" * rating + "\u2606" * (5 - rating) + f" {rating}/5"


def feedback_view(
    current: FeedbackFigures, previous: FeedbackFigures, last_week: str
) -> FeedbackView:
    share, before = current.positive_share, previous.positive_share
    if before is None:
        note, colour = f"no ratings in {last_week}", NEUTRAL
    else:
        change = round(100 * ((share or 0) - before), 1)
        note = (
            "\u00b10.0 pts" if change == 0 else f"{change:+.1f} pts"
        ) + f" vs {last_week} ({_share(before)})"
        colour = NEUTRAL if change == 0 else GOOD if change > 0 else BAD
    summary = (
        f"{plural(current.rated, 'answer')} rated: {count(current.positive)} positive, "
        f"{count(current.negative)} negative, {count(current.neutral)} neutral"
        f" \u00b7 {plural(current.comments, 'comment')}"
    )
    lowest = [
        RatedRow(
            when=moment(answer.timestamp),
            rating=_rating(answer.thumbs, None if answer.thumbs else answer.stars),
            question=display_text(answer.question) or "(no question text)",
            comment=display_text(answer.comment or "", COMMENT_CHARS),
            has_comment=bool(answer.comment),
            match=(
                f"{answer.match_type} match, score {score(answer.match_score)}"
                if answer.match_type
                else "not answered"
            ),
        )
        for answer in current.lowest
    ]
    return FeedbackView(
        share=_share(share),
        note=note,
        note_colour=colour,
        summary=summary,
        lowest=lowest,
        has_lowest=bool(lowest),
    )


def _value(metric: str, value: float | None, options: ReportOptions, money: bool) -> str:
    if value is None:
        return "n/a"
    if metric in ("answer_rate", "no_match_rate", "positive_share"):
        return _share(value)
    if metric == "mean_score":
        return score(value)
    if metric == "p95_ms":
        return duration(value)
    if money:
        return f"{value:.4f} {options.currency}"
    return f"{value:,.0f} tokens"


def _change(metric: str, value: MetricValue, options: ReportOptions, money: bool) -> str:
    difference = value.difference
    if difference is None:
        return ""
    if metric in ("answer_rate", "no_match_rate", "positive_share"):
        return f"{100 * difference:+.1f} pts"
    if metric == "mean_score":
        return f"{difference:+.1f}"
    if metric == "p95_ms":
        sign = "+" if difference >= 0 else "-"
        return sign + duration(abs(difference))
    if money:
        return f"{difference:+.4f}"
    return f"{difference:+,.0f}"


def _cell(metric: str, value: MetricValue, options: ReportOptions, money: bool) -> ComparisonCell:
    verdict = value.verdict
    colour = NEUTRAL
    if verdict == "significant" and value.difference:
        better = value.difference * _BETTER[metric] > 0
        colour = GOOD if better else BAD
    return ComparisonCell(
        value=_value(metric, value.value, options, money),
        change=_change(metric, value, options, money),
        verdict="" if verdict in ("baseline", "n/a") else verdict,
        colour=colour,
        bold=verdict == "significant",
    )


def _measured(comparisons: list[ArmComparison]) -> list[str]:
    """The metrics some arm has a value for (no feedback this week: no feedback row)."""
    return [m for m in METRICS if any(c.metrics[m].value is not None for c in comparisons)]


def _text_lines(
    comparisons: list[ArmComparison], metrics: list[str], options: ReportOptions, money: bool
) -> list[str]:
    lines = []
    for comparison in comparisons:
        arm = comparison.arm
        title = f"{arm.label}{' (baseline)' if comparison.is_baseline else ''}"
        lines.append(f"{title}: {plural(arm.questions, 'question')}")
        for metric in metrics:
            cell = _cell(metric, comparison.metrics[metric], options, money)
            label = _LABELS[metric] if metric != "cost" or money else "Tokens per question"
            marker = {"significant": "  * significant", "not significant": "  not significant",
                      "too few": "  too few to tell"}.get(cell.verdict, "")  # fmt: skip
            lines.append(f"    {label:<19} {cell.value:>14}  {cell.change:>12}{marker}".rstrip())
    return lines


def comparison_view(figures: WeekFigures, options: ReportOptions) -> ComparisonView | None:
    comparisons = compare_arms(figures.arms)
    if not comparisons:
        return None
    money = comparisons[0].arm.cost_is_money
    shown = comparisons[:ARMS_SHOWN]
    metrics = _measured(comparisons)
    rows = [
        ComparisonRow(
            label=_LABELS[metric] if metric != "cost" or money else "Tokens per question",
            cells=[_cell(metric, c.metrics[metric], options, money) for c in shown],
        )
        for metric in metrics
    ]
    return ComparisonView(
        arms=[
            ArmHeader(
                label=display_text(c.arm.label, 48) + (" (baseline)" if c.is_baseline else ""),
                questions=plural(c.arm.questions, "question"),
            )
            for c in shown
        ],
        rows=rows,
        text_lines=_text_lines(comparisons, metrics, options, money),
        note=(
            "Each model and prompt variant against the baseline (the one that answered most). "
            "Significant: a difference unlikely to be chance (p < 0.05 after Holm's correction; "
            "z-test or Fisher for rates, Welch for means, Mann-Whitney for times); "
            "'too few': fewer than 20 on a side."
        ),
    )


__all__ = ["comparison_view", "feedback_view", "stars"]
