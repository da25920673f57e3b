"""Models and prompt variants side by side: per-arm figures, gathered in the week's one pass.

An *arm* is a (``model``, ``variant``) pair as the responses name them. Each arm keeps counters,
running moments (Welford) of its match scores and of its per-question cost, and a processing-time
histogram: memory grows with the number of arms, never with the number of records.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from analytics_contract.records import AnalyticsRecord
from reporter.figures import ArmFigures
from reporter.sketch import QuantileSketch
from reporter.stats import RunningMoments

#: ``cost(input_tokens, output_tokens)``: the LLM cost, or ``None`` when no price is configured.
CostFunction = Callable[[int, int], Decimal | None]
#: Arms beyond this many (by questions) are left out of the comparison table.
MAX_ARMS = 8


class ArmTally:
    def __init__(self, model: str | None, variant: str | None) -> None:
        self.model, self.variant = model, variant
        self.questions = self.answered = self.no_match = 0
        self.rated = self.positive = 0
        self.scores = RunningMoments()
        self.costs = RunningMoments()
        self.cost_is_money = False
        self.latency = QuantileSketch(relative_accuracy=0.01)

    def add(self, record: AnalyticsRecord, cost: CostFunction | None) -> None:
        self.questions += 1
        elapsed = record.elapsed_ms
        if elapsed is not None:
            self.latency.add(elapsed)
        if record.tokens is not None:
            money = cost(record.tokens.input, record.tokens.output) if cost else None
            self.cost_is_money = money is not None
            self.costs.add(
                float(money) if money is not None else record.tokens.input + record.tokens.output
            )
        if record.feedback is not None and record.feedback.positive is not None:
            self.rated += 1
            self.positive += record.feedback.positive
        if record.status != "answered":
            return
        self.answered += 1
        if record.match_type == "none":
            self.no_match += 1
        if record.match_score is not None:
            self.scores.add(record.match_score)

    def figures(self) -> ArmFigures:
        return ArmFigures(
            model=self.model,
            variant=self.variant,
            questions=self.questions,
            answered=self.answered,
            no_match=self.no_match,
            score_count=self.scores.count,
            score_mean=self.scores.mean if self.scores.count else None,
            score_variance=self.scores.variance,
            p95_ms=self.latency.quantile(0.95),
            latency=self.latency.buckets(),
            cost_count=self.costs.count,
            cost_mean=self.costs.mean if self.costs.count else None,
            cost_variance=self.costs.variance,
            cost_is_money=self.cost_is_money,
            rated=self.rated,
            positive=self.positive,
        )


class ArmsTally:
    """Every arm of the week; :meth:`figures` lists them most questions first (the first is the
    baseline the others are compared with), or nothing when the week had only one arm."""

    def __init__(self, cost: CostFunction | None = None) -> None:
        self._cost = cost
        self._arms: dict[tuple[str | None, str | None], ArmTally] = {}

    def add(self, record: AnalyticsRecord) -> None:
        if record.status not in ("answered", "failed"):
            return
        key = (record.model, record.variant)
        arm = self._arms.get(key)
        if arm is None:
            arm = self._arms[key] = ArmTally(*key)
        arm.add(record, self._cost)

    def figures(self) -> list[ArmFigures]:
        if len(self._arms) < 2:
            return []
        ranked = sorted(
            self._arms.values(),
            key=lambda arm: (-arm.questions, arm.model or "", arm.variant or ""),
        )
        return [arm.figures() for arm in ranked[:MAX_ARMS]]
