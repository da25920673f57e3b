"""What the demo checks the weekly report shows: the feedback, the prompt variants' difference,
the failure spike, the questions new this week and the changes against last week, against what
the simulator generated (:mod:`cv_analytics.dev.traffic`).

A question is what the generator drew: a topic's phrasing (:attr:`QuestionTruth.phrasing`),
whatever greetings or case it was typed with. "New this week" must list at least one question
generated in the week only, and none generated in the weeks before that the reporter compares
with (each row is traced back through its wording to the phrasings typed that way).

The checks read the reporter's own model of the week (:class:`reporter.figures.WeekFigures`, the
comparison of :mod:`reporter.comparison` and the view both parts are rendered from), and the
rendered text part, so a section that stops being computed or stops being shown is caught.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from analytics_contract import QueryEvent, ResponseEvent
from analytics_contract.records import AnalyticsRecord
from analytics_contract.weeks import week_bounds, week_days
from cv_analytics.dev.traffic import Manifest, Spike, load_catalogue
from reporter.comparison import ArmComparison, compare_arms
from reporter.figures import WeekFigures
from reporter.questions import question_key
from reporter.render import render_report
from reporter.service import build_report, earlier_weeks
from reporter.view import ReportView

#: The quality metrics of the comparison the worse variant must lose on, and which way is worse.
QUALITY = {"no_match_rate": "higher", "positive_share": "lower"}
#: Their rows' labels in the comparison table.
LABELS = {"no_match_rate": "No match", "positive_share": "Positive feedback"}
#: Failures in the spike from which its day must have the most failures of the week.
SPIKE_VISIBLE = 5


@dataclass
class ReportCheck:
    """One line per check, and what is wrong (empty: the report shows it all)."""

    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _share(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f}%"


def _feedback(manifest: Manifest, figures: WeekFigures, view: ReportView, text: str) -> ReportCheck:
    check = ReportCheck()
    rated = [
        q
        for q in manifest.questions
        if q.week == manifest.week
        and q.feedback is not None
        and q.expected_status in ("answered", "failed")
    ]
    positive = sum(q.feedback == "positive" for q in rated)
    shown = figures.feedback
    check.lines.append(
        f"feedback   {view.feedback.share if view.feedback else 'no share'} positive: "
        f"{shown.positive} of {shown.rated} answers rated (generated: {positive} of "
        f"{len(rated)}; {sum(q.feedback_first for q in rated)} ratings reached the queue before "
        "their response)"
    )
    if (shown.rated, shown.positive) != (len(rated), positive):
        check.problems.append(
            f"feedback: the report counts {shown.rated} rated / {shown.positive} positive, "
            f"{len(rated)} / {positive} were generated"
        )
    if not (view.has_feedback and view.feedback and view.feedback.share):
        check.problems.append("feedback: the report has no share of positive answers")
    elif f"{view.feedback.share} positive" not in text:
        check.problems.append("feedback: the text part does not show the share of positive answers")
    return check


def _worse_variant() -> str | None:
    """The catalogue's variant that matches worst (the difference the report must find)."""
    variants = load_catalogue().variants
    if len(variants) < 2:
        return None
    return max(variants, key=lambda v: v.no_match_share).name


def _significant(comparisons: list[ArmComparison], worse: str) -> list[tuple[ArmComparison, str]]:
    """(arm, metric) pairs compared across variants with the baseline where the report marks
    the worse variant significantly worse (more no-match answers, fewer positive ratings)."""
    base = comparisons[0]
    found = []
    for arm in comparisons[1:]:
        if arm.arm.variant == base.arm.variant:
            continue
        for metric, worse_is in QUALITY.items():
            value = arm.metrics[metric]
            if value.verdict != "significant" or not value.difference:
                continue
            arm_worse = (value.difference > 0) == (worse_is == "higher")
            if arm_worse == (arm.arm.variant == worse):
                found.append((arm, metric))
    return found


def _variants(figures: WeekFigures, view: ReportView, text: str, arms_recorded: int) -> ReportCheck:
    check = ReportCheck()
    worse = _worse_variant()
    if worse is None:
        check.lines.append("variants   none in the catalogue: not checked")
        return check
    comparisons = compare_arms(figures.arms)
    if not comparisons:
        if arms_recorded >= 2:
            check.problems.append(
                f"variants: {arms_recorded} models/variants answered, the report compares none"
            )
        check.lines.append("variants   no comparison in the report")
        return check
    found = _significant(comparisons, worse)
    tested = [
        c
        for c in comparisons[1:]
        if any(c.metrics[m].verdict not in ("too few", "n/a") for m in QUALITY)
    ]
    if not found and not tested:
        check.lines.append(
            f"variants   {len(comparisons)} arms, too few answers each to tell a difference "
            "(not judged: simulate more questions)"
        )
        return check
    if not found:
        check.problems.append(
            f"variants: the report marks no quality difference between {worse} and the "
            "baseline as significant"
        )
        check.lines.append(
            f"variants   {len(comparisons)} arms compared, no significant difference"
        )
        return check
    base = comparisons[0]
    arm, _ = found[0]
    shown = []
    for metric in QUALITY:
        value, base_value = arm.metrics[metric], base.metrics[metric]
        p = f", p = {value.p_value:.1g}" if value.p_value is not None else ""
        shown.append(
            f"{LABELS[metric]} {_share(value.value)} vs {_share(base_value.value)} "
            f"({value.verdict}{p})"
        )
    check.lines.append(
        f"variants   {arm.arm.label} against {base.arm.label} (baseline): " + "; ".join(shown)
    )
    rows = {r.label: r for r in (view.comparison.rows if view.comparison else [])}
    for _, metric in found:
        row = rows.get(LABELS[metric])
        if row is None or not any(c.verdict == "significant" for c in row.cells):
            check.problems.append(f"variants: the comparison table does not mark {LABELS[metric]}")
    if "MODELS AND PROMPT VARIANTS" not in text or worse not in text:
        check.problems.append("variants: the text part does not compare the prompt variants")
    return check


def _spike(
    manifest: Manifest, figures: WeekFigures, view: ReportView, text: str, spike: Spike
) -> ReportCheck:
    check = ReportCheck()
    start_ms, _ = week_bounds(manifest.week)
    day: date = week_days(manifest.week)[spike.day]
    failed_that_day = sum(
        q.expected_status == "failed" and q.day == day.isoformat() for q in manifest.questions
    )
    in_spike = sum(q.in_spike and q.expected_status == "failed" for q in manifest.questions)
    shown = figures.failed_per_day[spike.day]
    others = [n for i, n in enumerate(figures.failed_per_day) if i != spike.day]
    bar = view.days[spike.day] if len(view.days) == 7 else None
    spike_start, spike_end = spike.bounds(start_ms)
    check.lines.append(
        f"spike      {bar.label if bar else day.isoformat()}: {shown} failed answers "
        f"({in_spike} during the spike {spike_start // 60_000 % 1440 // 60:02d}:"
        f"{spike_start // 60_000 % 60:02d}-{spike_end // 60_000 % 1440 // 60:02d}:"
        f"{spike_end // 60_000 % 60:02d} UTC); other days {min(others)}-{max(others)}"
    )
    if shown != failed_that_day:
        check.problems.append(
            f"spike: the report shows {shown} failed on {day}, {failed_that_day} were generated"
        )
    if in_spike >= SPIKE_VISIBLE and shown <= max(others, default=0):
        check.problems.append(f"spike: {day} does not stand out among the days' failures")
    if bar is None or not bar.has_failed or f"{shown} failed" not in text:
        check.problems.append(f"spike: the report's day bars do not show {day}'s failures")
    return check


Question = tuple[str, int]  # (topic, phrasing)


def _new_this_week(manifest: Manifest, figures: WeekFigures, text: str) -> ReportCheck:
    check = ReportCheck()
    compared = set(earlier_weeks(manifest.week)) & set(manifest.history_weeks)
    if not compared:
        check.lines.append("new        no earlier weeks simulated: not judged")
        return check
    before: dict[Question, str] = {}
    for q in manifest.questions:
        if q.week in compared:
            before.setdefault((q.topic, q.phrasing), q.week)
    now = {q.request_id: (q.topic, q.phrasing) for q in manifest.of_week()}
    typed: dict[str, set[Question]] = {}
    for delivery in manifest.deliveries:
        if delivery.kind == "query" and delivery.request_id in now:
            assert isinstance(delivery.event, QueryEvent)
            typed.setdefault(question_key(delivery.event.query), set()).add(
                now[delivery.request_id]
            )
    only_now = set(now.values()) - set(before)
    rows = figures.new_questions
    if rows is None:
        check.problems.append(
            f"new: the report has no 'new this week' although {len(compared)} earlier weeks "
            "had questions"
        )
        return check
    genuine = []
    for row in rows:
        drawn = typed.get(question_key(row.text))
        if not drawn:
            check.problems.append(f"new: {row.text!r} matches no question asked this week")
        elif drawn & set(before):
            weeks = sorted({before[q] for q in drawn if q in before})
            check.problems.append(
                f"new: {row.text!r} is listed as new but was asked in {', '.join(weeks)}"
            )
        elif drawn <= only_now:
            genuine.append(row)
    topics = sorted({topic for topic, _ in only_now})
    check.lines.append(
        f"new        {figures.new_question_count} clusters new this week "
        f"({len(genuine)} of the {len(rows)} listed traced to questions generated this week "
        f"only: {', '.join(topics) or 'none'}; the {len(compared)} weeks before had "
        f"{sum(q.week in compared for q in manifest.questions)} questions)"
    )
    if only_now and not genuine:
        check.problems.append(
            f"new: {len(only_now)} questions were generated this week only, 'new this week' "
            "lists none of them"
        )
    if rows and ("NEW THIS WEEK" not in text or not any(r.text.split()[0] in text for r in rows)):
        check.problems.append("new: the text part does not show 'new this week'")
    return check


def _changes(
    manifest: Manifest, figures: WeekFigures, previous: WeekFigures, view: ReportView
) -> ReportCheck:
    """The questions, sessions and feedback share against last week, as generated."""
    check = ReportCheck()
    last = previous.week_id
    if last not in manifest.history_weeks:
        check.lines.append(f"changes    {last} not simulated: not judged")
        return check
    truths = manifest.of_week(last)
    asked = sum(q.expected_status != "orphaned" for q in truths)
    rated = [q for q in truths if q.feedback is not None]
    generated = {
        "questions": asked,
        "sessions": len({q.session_id for q in truths if q.expected_status != "orphaned"}),
        "rated": len(rated),
        "positive": sum(q.feedback == "positive" for q in rated),
    }
    reported = {
        "questions": previous.questions,
        "sessions": previous.sessions,
        "rated": previous.feedback.rated,
        "positive": previous.feedback.positive,
    }
    for name, value in generated.items():
        if reported[name] != value:
            check.problems.append(
                f"changes: {last} has {reported[name]} {name} in the report, {value} generated"
            )
    notes = [tile.note for tile in view.tiles[:2]]
    feedback_note = view.feedback.note if view.feedback else ""
    check.lines.append(
        f"changes    against {last[5:]}: questions {notes[0] or '?'}; sessions "
        f"{notes[1] or '?'}; positive feedback {feedback_note or '?'}"
    )
    short = last[5:]
    if not all(f"vs {short}" in note for note in [*notes, feedback_note]):
        check.problems.append(
            f"changes: the report does not compare questions, sessions and feedback with {short}"
        )
    return check


def check_report(
    manifest: Manifest,
    current: list[AnalyticsRecord],
    previous: list[AnalyticsRecord],
    spike: Spike | None,
    *,
    earlier_questions: list[str] | None = None,
) -> ReportCheck:
    """Feedback, variants, the spike, "new this week" and the changes against last week in the
    report of ``manifest.week`` built from its records, the week before's and the questions of
    the weeks before that (as the reporter built the email sent)."""
    from reporter.service import aggregate

    view = build_report(current, manifest.week, previous, earlier_questions=earlier_questions)
    text = render_report(view).text
    figures = aggregate(
        manifest.week,
        current,
        earlier_questions=earlier_questions,
        history_weeks=len(earlier_weeks(manifest.week)),
    )
    before = aggregate(earlier_weeks(manifest.week)[0], previous)
    result = ReportCheck()
    completed = {
        q.request_id
        for q in manifest.questions
        if q.week == manifest.week and q.expected_status in ("answered", "failed")
    }
    arms = {
        (d.event.model, d.event.variant)
        for d in manifest.deliveries
        if isinstance(d.event, ResponseEvent) and d.request_id in completed
    }
    parts = [
        _feedback(manifest, figures, view, text),
        _variants(figures, view, text, len(arms)),
    ]
    if spike is not None and spike.questions:
        parts.append(_spike(manifest, figures, view, text, spike))
    parts += [_new_this_week(manifest, figures, text), _changes(manifest, figures, before, view)]
    for part in parts:
        result.lines += part.lines
        result.problems += part.problems
    return result
