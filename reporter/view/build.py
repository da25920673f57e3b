"""The report's view, assembled from its sections: :func:`build_view` turns a week's figures
(and the week before's) into the :class:`~reporter.view.models.ReportView` both templates print."""

from __future__ import annotations

from datetime import UTC, datetime

from reporter.figures import WeekFigures
from reporter.settings import ReportOptions
from reporter.view.activity import busiest_hour, days, match_rows, tiles
from reporter.view.formatting import (
    change_percent,
    count,
    duration,
    money,
    plural,
    score,
    week_range,
)
from reporter.view.models import Figure, ReportView, TileRow
from reporter.view.quality import comparison_view, feedback_view
from reporter.view.questions import examples, new_summary, question_rows

TITLE = "Chatbot analytics"


def subject_line(current: WeekFigures, previous: WeekFigures) -> str:
    if current.questions == 0:
        return f"{TITLE} {current.week_id}: no questions"
    change = change_percent(current.questions, previous.questions)
    headline = f"{TITLE} {current.week_id}: {plural(current.questions, 'question')}"
    return f"{headline} ({change})" if change else headline


def notes(figures: WeekFigures) -> list[str]:
    notes: list[str] = []
    if figures.questions:
        notes.append(
            "Percentiles are estimated to within 1%; the median score to within 0.05. "
            "Times are UTC."
        )
    if not figures.sessions_exact:
        notes.append("Sessions are estimated (HyperLogLog, standard error 0.8%).")
    if figures.orphaned:
        notes.append(
            f"{plural(figures.orphaned, 'orphaned response')} (an answer whose question never "
            "reached the pipeline) not counted as questions."
        )
    if figures.uncounted_questions:
        notes.append(
            f"{plural(figures.uncounted_questions, 'rarely asked question')} left out of the "
            "question clusters to bound the reporter's memory."
        )
    if figures.unreadable:
        notes.append(
            f"{plural(figures.unreadable, 'analytics record')} could not be read and "
            "{} left out; the reporter's log names {}.".format(
                "was" if figures.unreadable == 1 else "were",
                "it" if figures.unreadable == 1 else "them",
            )
        )
    return notes


def build_view(
    current: WeekFigures,
    previous: WeekFigures,
    options: ReportOptions,
    *,
    generated_at: datetime | None = None,
) -> ReportView:
    """Format ``current`` (compared with ``previous``) for the templates."""
    generated = (generated_at or datetime.now(tz=UTC)).astimezone(UTC)
    week_days = [day for day, _ in current.per_day]
    answered = current.answered
    quality = [
        Figure.of("Mean match score", score(current.score_mean)),
        Figure.of("Median match score", score(current.score_median)),
    ]
    p50, p95, p99 = (current.processing_ms[q] for q in sorted(current.processing_ms))
    speed_and_cost = [
        Figure.of(
            "Processing time",
            f"p50 {duration(p50)} \u00b7 p95 {duration(p95)} \u00b7 p99 {duration(p99)}",
        ),
        Figure.of(
            "Tokens",
            f"{count(current.input_tokens)} in \u00b7 {count(current.output_tokens)} out",
        ),
    ]
    cost = options.cost(current.input_tokens, current.output_tokens)
    if cost is not None:
        speed_and_cost.append(Figure.of("LLM cost", money(cost, options.currency)))
    rows = match_rows(current)
    headline_tiles = tiles(current, previous)
    gaps = question_rows(current.gaps, with_score=True)
    new = current.new_questions
    feedback = (
        feedback_view(current.feedback, previous.feedback, previous.week_id[5:])
        if current.feedback.rated
        else None
    )
    comparison = comparison_view(current, options)
    return ReportView(
        title=TITLE,
        subject=subject_line(current, previous),
        week_id=current.week_id,
        previous_week_id=previous.week_id,
        week_range=week_range(week_days),
        rule="=" * 72,
        question_count=current.questions,
        empty=current.questions == 0,
        previous_note=(
            f"{previous.week_id} had {plural(previous.questions, 'question')}."
            if previous.questions
            else f"{previous.week_id} had none either."
        ),
        headline=(
            f"{plural(current.questions, 'question')} from {plural(current.sessions, 'session')}"
            if current.questions
            else "No questions this week."
        ),
        tiles=headline_tiles,
        tile_rows=[
            TileRow(tiles=headline_tiles[i : i + 2]) for i in range(0, len(headline_tiles), 2)
        ],
        days=days(current),
        busiest_hour=busiest_hour(current),
        match_rows=rows,
        match_segments=[row for row in rows if row.has_bar],
        has_answers=answered > 0,
        quality=quality,
        speed_and_cost=speed_and_cost,
        has_feedback=feedback is not None,
        feedback=feedback,
        has_comparison=comparison is not None,
        comparison=comparison,
        top_questions=question_rows(current.top_questions, with_score=False),
        distinct_questions=(
            f"{plural(current.clusters, 'question')} asked in "
            f"{plural(current.distinct_questions, 'wording')}"
        ),
        has_new_questions=new is not None,
        new_questions=question_rows(new or [], with_score=False),
        new_summary=new_summary(current.new_question_count, current.history_weeks),
        gaps=gaps,
        has_gaps=bool(gaps),
        gap_summary=(
            f"{plural(current.match_types['none'], 'answer')} found nothing in the CV "
            f"({plural(current.gap_questions, 'question')}). Most asked first."
        ),
        unanswered=count(current.unanswered),
        unanswered_examples=examples(current.unanswered_examples),
        has_unanswered=current.unanswered > 0,
        failed=count(current.failed),
        failed_examples=examples(current.failed_examples),
        has_failed=current.failed > 0,
        notes=notes(current),
        generated_at=f"{generated:%Y-%m-%d %H:%M} UTC",
    )
