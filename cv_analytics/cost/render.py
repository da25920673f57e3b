"""``cv-analytics cost``'s output: the comparisons as a text table, Markdown (the README's cost
section is this output) or JSON."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from cv_analytics.cost.inputs import PROCESSOR_MEMORY_MB, MeasuredInputs, measured_inputs
from cv_analytics.cost.model import (
    DEFAULT_QUESTIONS,
    DESIGN_NAMES,
    EVENTS_PER_QUESTION,
    MONITORING_AND_BACKUPS,
    SERVICES,
    TARGET_QUESTIONS,
    TARGET_RATIO,
    Comparison,
    Estimate,
    Usage,
    compare,
)
from cv_analytics.cost.prices import GBP_PER_USD, PRICES_AS_OF, PRICES_REGION

Currency = Literal["usd", "gbp"]
CURRENCIES: tuple[Currency, ...] = ("usd", "gbp")
SYMBOLS: dict[Currency, str] = {"usd": "$", "gbp": "£"}


@dataclass(frozen=True)
class CostReport:
    """The comparisons asked for: every volume, with and/or without the free tier."""

    volumes: tuple[float, ...] = DEFAULT_QUESTIONS
    free_tier: tuple[bool, ...] = (False, True)
    currencies: tuple[Currency, ...] = CURRENCIES
    recipients: int = 1
    messages_per_batch: float | None = None
    inputs: MeasuredInputs | None = None

    def comparison(self, questions: float, free_tier: bool) -> Comparison:
        return compare(
            questions,
            free_tier=free_tier,
            recipients=self.recipients,
            messages_per_batch=self.messages_per_batch,
            inputs=self.inputs,
        )

    @property
    def measured(self) -> MeasuredInputs:
        return self.inputs or measured_inputs()


def money(usd: float, currency: Currency) -> str:
    value = usd * GBP_PER_USD if currency == "gbp" else usd
    symbol = SYMBOLS[currency]
    if value == 0:
        return f"{symbol}0"
    if value < 0.0001:
        return f"<{symbol}0.0001"
    if value < 0.01:
        return f"{symbol}{value:.4f}"
    return f"{symbol}{value:,.2f}"


def amount(usd: float, currencies: Sequence[Currency], joiner: str = " / ") -> str:
    return joiner.join(money(usd, currency) for currency in currencies)


def ratio_text(comparison: Comparison) -> str:
    return f"{comparison.ratio:.2f}x the seed design"


def _free_label(free_tier: bool) -> str:
    return "with the free tier" if free_tier else "list prices, no free tier"


def preamble(report: CostReport) -> list[str]:
    m = report.measured
    p, seed = m.processor, m.seed_design
    split, worst = p.split_query_first, p.split_response_first
    fill = EVENTS_PER_QUESTION / p.invocations_per_question
    lines = [
        f"Monthly cost of the pipeline at AWS list prices ({PRICES_REGION}, as of {PRICES_AS_OF};",
        f"each price's source in cv_analytics/cost/prices.py), £ at {GBP_PER_USD} per $.",
        f"Measured by `{m.generated_by}` ({m.questions} questions, seed {m.seed}), per question:",
        f"{m.edge_client.send_requests_per_question:g} SQS send (seed design: "
        f"{seed.send_requests_per_question:g}), {p.write_units_per_question:g} DynamoDB write "
        f"units with the index (seed design: {seed.write_units_per_question:g}),",
        f"{p.invocations_per_question:g} processor invocations "
        f"({fill:g} messages each) of "
        f"{p.handler_ms_per_invocation:g} ms at {PROCESSOR_MEMORY_MB} MB,",
        f"{p.log_bytes_per_question:g} log bytes (seed design: "
        f"{p.debug_log_bytes_per_question - p.log_bytes_per_question:g}), "
        f"{len(p.metrics)} custom metrics;",
        f"{m.cloudwatch_alarms.alarms} CloudWatch alarms billed as "
        f"{m.cloudwatch_alarms.alarm_metrics} alarm metrics (seed design: none).",
        f"Write units: the same-batch mix (a question's query and response mostly in one batch of "
        f"{fill:g});",
        f"split across batches, query first: {split.write_units_per_question:g} (what "
        "`--messages-per-batch 1` prices; linear between);",
        f"response first (rare: it overtook its query): {worst.write_units_per_question:g}, "
        "not priced.",
    ]
    if report.messages_per_batch is not None:
        usage = Usage(1, messages_per_batch=report.messages_per_batch)
        share = usage.same_batch_share(p.invocations_per_question)
        units = share * p.write_units_per_question + (1 - share) * split.write_units_per_question
        lines.append(
            f"Priced at {report.messages_per_batch:g} "
            f"message{'' if report.messages_per_batch == 1 else 's'} per processor batch (measured: "
            f"{fill:g}): {units:.3f} write units per question."
        )
    return lines


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = []
    for row in [header, *rows]:
        cells = [row[0].ljust(widths[0])] + [
            cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)
        ]
        lines.append("  ".join(cells).rstrip())
    return lines


def _columns(report: CostReport, questions: float) -> list[tuple[str, Estimate, Comparison]]:
    columns = []
    for free_tier in report.free_tier:
        comparison = report.comparison(questions, free_tier)
        suffix = (", free tier" if free_tier else ", list") if len(report.free_tier) > 1 else ""
        for estimate in (comparison.ours, comparison.seed):
            columns.append((DESIGN_NAMES[estimate.design] + suffix, estimate, comparison))
    return columns


def render_text(report: CostReport) -> str:
    lines = preamble(report)
    joiner = " "
    for questions in report.volumes:
        columns = _columns(report, questions)
        lines += ["", f"{questions:,.0f} questions a month"]
        header = ["service", *(name for name, _, _ in columns)]
        rows = [
            [
                service,
                *(amount(est.usd[service], report.currencies, joiner) for _, est, _ in columns),
            ]
            for service in SERVICES
        ]
        rows.append(
            ["total", *(amount(est.total_usd, report.currencies, joiner) for _, est, _ in columns)]
        )
        lines += _table(header, rows)
        for free_tier in report.free_tier:
            comparison = report.comparison(questions, free_tier)
            lines.append(f"{_free_label(free_tier)}: {ratio_text(comparison)}")
    lines += _target(report)
    return "\n".join(lines)


def _target(report: CostReport) -> list[str]:
    if TARGET_QUESTIONS not in report.volumes or False not in report.free_tier:
        return []
    comparison = report.comparison(TARGET_QUESTIONS, False)
    ratio = comparison.ratio
    verdict = "met" if ratio <= TARGET_RATIO else "NOT met"
    lines = [
        "",
        f"target (issue 14): <= {TARGET_RATIO}x the seed design at {TARGET_QUESTIONS:,} questions "
        f"a month, list prices, no free tier: {ratio:.2f}x, {verdict}",
    ]
    if ratio > TARGET_RATIO:
        lines += _why_not(comparison)
    return lines


def _why_not(comparison: Comparison) -> list[str]:
    """The arithmetic of a missed target: the budget, what monitoring takes of it, what is left."""
    ours, seed = comparison.without(MONITORING_AND_BACKUPS)
    # Rounded to the cent before subtracting, so that the printed figures add up.
    budget = round(TARGET_RATIO * comparison.seed.total_usd, 2)
    watching = round(comparison.ours.total_usd - ours, 2)
    return textwrap.wrap(
        f"why: {TARGET_RATIO}x the seed design is ${budget:.2f}. This system's custom metrics, "
        f"alarms and point-in-time recovery take ${watching:.2f} of it (the seed design pays "
        f"${comparison.seed.total_usd - seed:.2f} for the same metrics and recovery, and has no "
        f"alarms), leaving ${max(budget - watching, 0.0):.2f} for carrying and storing the "
        f"events, which cost ${ours:.2f} here (the seed design: ${seed:.2f}; {ours / seed:.2f}x).",
        width=100,
    )


def _markdown_table(header: list[str], rows: list[list[str]]) -> list[str]:
    return [
        "| " + " | ".join(header) + " |",
        "| " + " | ".join("---" for _ in header) + " |",
        *("| " + " | ".join(row) + " |" for row in rows),
    ]


def render_markdown(report: CostReport) -> str:
    """A summary table (totals and ratio per volume), then the services at 1M (or the last
    volume asked for)."""
    lines = [*preamble(report), ""]
    header = ["questions a month"]
    for free_tier in report.free_tier:
        suffix = ", free tier" if free_tier else ""
        header += [f"this system{suffix}", f"seed design{suffix}", f"ratio{suffix}"]
    rows = []
    for questions in report.volumes:
        row = [f"{questions:,.0f}"]
        for free_tier in report.free_tier:
            comparison = report.comparison(questions, free_tier)
            row += [
                amount(comparison.ours.total_usd, report.currencies),
                amount(comparison.seed.total_usd, report.currencies),
                f"{comparison.ratio:.2f}x",
            ]
        rows.append(row)
    lines += _markdown_table(header, rows)
    detail = TARGET_QUESTIONS if TARGET_QUESTIONS in report.volumes else report.volumes[-1]
    columns = _columns(report, detail)
    lines += ["", f"By service at {detail:,.0f} questions a month:", ""]
    rows = [
        [service, *(amount(est.usd[service], report.currencies) for _, est, _ in columns)]
        for service in SERVICES
    ]
    rows.append(
        ["**total**", *(f"**{amount(est.total_usd, report.currencies)}**" for _, est, _ in columns)]
    )
    lines += _markdown_table(["service", *(name for name, _, _ in columns)], rows)
    lines += _target(report)
    return "\n".join(lines)


def _estimate_json(estimate: Estimate) -> dict[str, Any]:
    return {
        "services": {
            service: {
                "usd": round(estimate.usd[service], 6),
                "gbp": round(estimate.usd[service] * GBP_PER_USD, 6),
                "quantities": {
                    name: round(q, 6) for name, q in estimate.quantities[service].items()
                },
            }
            for service in SERVICES
        },
        "total_usd": round(estimate.total_usd, 6),
        "total_gbp": round(estimate.total_gbp, 6),
    }


def render_json(report: CostReport) -> str:
    m = report.measured
    document = {
        "prices_as_of": PRICES_AS_OF,
        "region": PRICES_REGION,
        "gbp_per_usd": GBP_PER_USD,
        "measured_with": f"{m.generated_by} --questions {m.questions} --seed {m.seed}",
        "estimates": [
            {
                "questions_per_month": questions,
                "free_tier": free_tier,
                "ours": _estimate_json(comparison.ours),
                "seed_design": _estimate_json(comparison.seed),
                "ratio_to_seed": round(comparison.ratio, 4),
            }
            for questions in report.volumes
            for free_tier in report.free_tier
            for comparison in [report.comparison(questions, free_tier)]
        ],
    }
    return json.dumps(document, indent=2)


#: The README's cost table sits between these lines (``scripts/cost_readme.py`` rewrites it).
README_BEGIN = "<!-- cost:begin: generated by `make cost-inputs` (cv-analytics cost --markdown) -->"
README_END = "<!-- cost:end -->"


def readme_block(text: str) -> str:
    """What the README holds between the markers (without them)."""
    start = text.index(README_BEGIN) + len(README_BEGIN)
    return text[start : text.index(README_END, start)].strip("\n")


def with_readme_block(text: str, markdown: str) -> str:
    """``text`` with the block between the markers replaced by ``markdown``."""
    start = text.index(README_BEGIN) + len(README_BEGIN)
    end = text.index(README_END, start)
    return f"{text[:start]}\n{markdown}\n{text[end:]}"
