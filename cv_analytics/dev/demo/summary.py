"""The demo's closing summary: what was sent, where it all ended, where the report is."""

from __future__ import annotations

from typing import TYPE_CHECKING

from analytics_contract.weeks import week_days
from cv_analytics.dev.accounting import render_balance

if TYPE_CHECKING:
    from cv_analytics.dev.demo.pipeline import DemoResult


def render_summary(result: DemoResult, *, text_note: str) -> str:
    manifest, bal = result.manifest, result.balance
    days = week_days(result.week)
    duplicates = manifest.count(duplicate=True)
    malformed = manifest.count(kind="malformed")
    week = manifest.of_week()
    out_of_order = sum(1 for q in week if q.out_of_order)
    sessions = len({q.session_id for q in week})
    html, text, eml = result.report_paths
    provisioned = (
        "Terraform (worker_infra, processor_infra, reporter_infra)"
        if result.resources.provisioner == "terraform"
        else "boto3 (cv_analytics/dev/resources.py)"
    )
    quarantined = bal.placed("quarantined")
    dead_lettered = bal.placed("dead-lettered")
    lines = [
        f"cv-analytics demo: ISO week {result.week} ({days[0]:%a %d %b} - {days[-1]:%a %d %b %Y}), "
        f"seed {manifest.seed}; resources provisioned with {provisioned}",
        "",
        f"  events sent                  {bal.sent():>6}   {result.sent.through_edge_client} through "
        f"the edge client, {result.sent.raw} raw ({duplicates} late duplicates, {malformed} malformed)",
        f"  questions simulated          {len(manifest.questions):>6}   {_weeks(result)}{len(week)} "
        f"in {sessions} sessions; {out_of_order} answers arrived before their question",
        *_history(result),
        f"  answered questions recorded  {bal.recorded('answered'):>6}",
        f"  unanswered                   {bal.recorded('unanswered'):>6}   (no response event)",
        f"  failed                       {bal.recorded('failed'):>6}   (the response carries an error)",
        f"  orphaned                     {bal.recorded('orphaned'):>6}   (response whose query never "
        f"came; {result.expired.expired} expired from the interim table after 24 h)",
        f"  quarantined                  {quarantined:>6}   (invalid, in the DLQ with their reason)"
        + (f"; {dead_lettered} more redriven by SQS" if dead_lettered else ""),
        "",
        render_balance(bal),
        "",
        "Weekly report (reporter.app.handler, fired by the schedule's EventBridge event)",
        f"  schedule  {_schedule(result)}",
        f"  subject   {result.email.subject}",
        f"  to        {', '.join(result.email.destinations)} (SES message {result.email.message_id})",
        "  headline  "
        + ", ".join(
            f"{h.name} {h.reported}" + ("" if h.ok else f" (generated {h.generated}!)")
            for h in result.headlines
        )
        + "  (questions = answered + failed + unanswered; orphans apart)",
        f"  HTML      {html}   (as sent through SES)",
        f"  text      {text}   ({text_note})",
        f"  email     {eml}",
        f"  also      {html.parent}/balance.txt, manifest.json (ground truth), lambda-logs.jsonl",
        "",
        *_quality(result),
        *_data_out(result),
    ]
    if result.ok and _all_judged(result):
        lines.append(
            "DEMO OK: every event is accounted for, the report's numbers match, and the report "
            "and the alarms show the feedback, the variants, the spike, the new questions and "
            "the changes against last week."
        )
    elif result.ok:
        lines.append(
            "DEMO OK: every event is accounted for and the report's numbers match (some quality "
            "checks not judged at this size or without earlier weeks: see above)."
        )
    else:
        lines.append(f"DEMO FAILED: {len(result.problems)} problem(s):")
        lines += [f"  - {problem}" for problem in result.problems[:20]]
    return "\n".join(lines)


def _weeks(result: DemoResult) -> str:
    return f"{result.week}: " if result.manifest.history_weeks else ""


def _history(result: DemoResult) -> list[str]:
    """The earlier weeks' questions, one line (none without a history)."""
    manifest = result.manifest
    if not manifest.history_weeks:
        return []
    per_week = ", ".join(
        f"{week[5:]} {len(manifest.of_week(week))}" for week in manifest.history_weeks
    )
    return [
        f"{'':35}{len(manifest.questions) - len(manifest.of_week())} in the "
        f"{len(manifest.history_weeks)} weeks before ({per_week}; no spike, two topics not yet "
        "asked), for the report's comparison with last week and its new questions"
    ]


def _all_judged(result: DemoResult) -> bool:
    checked = [
        *(result.report_check.lines if result.report_check else ["not judged"]),
        *(result.alarm_check.lines if result.alarm_check else ["not judged"]),
    ]
    return not any("not judged" in line or "not evaluated" in line for line in checked)


def _quality(result: DemoResult) -> list[str]:
    lines: list[str] = []
    if result.report_check is not None:
        lines.append("What the report shows (checked against what was generated)")
        lines += [f"  {line}" for line in result.report_check.lines]
    if result.alarm_check is not None:
        lines.append("Quality alarms (reporter_infra, evaluated over the processor's EMF metrics)")
        lines += [f"  {line}" for line in result.alarm_check.lines]
    return [*lines, ""] if lines else []


def _schedule(result: DemoResult) -> str:
    resources = result.resources
    fired = result.scheduled_time
    if resources.schedule_rule_arn:
        return (
            f"{resources.schedule_rule_arn} -> {resources.schedule_target_arn} "
            f"(reporter_infra), event of {fired}"
        )
    return f"event of {fired} from rule {resources.rule_arn()} (reporter_infra not applied)"


def _data_out(result: DemoResult) -> list[str]:
    products = result.data
    if products is None:
        return []
    folder = products.export.parent
    results = products.dashboard.parent
    return [
        "Data out (cv-analytics export, query and dashboard, on the same table)",
        f"  export     {products.export}   ({products.records} records, Parquet)",
        f"  dashboard  {products.dashboard}   ({products.dashboard_bytes:,} bytes; opens offline)",
        f"  query      {products.query} on DuckDB ({results}/query-{products.query}.csv):",
        *(f"    {line}" for line in products.table().splitlines()),
        f'  more SQL   cv-analytics query --data {folder} --list   (or --named gaps, or "SELECT ...")',
        "",
    ]
