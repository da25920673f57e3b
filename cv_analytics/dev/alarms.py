"""The answer-quality alarms of ``reporter_infra``, evaluated locally over the processor's metrics.

CloudWatch cannot run on this machine, so this module does what it would do with the alarms that
``reporter_infra/quality_alarms.tf`` declares, reading them from the Terraform itself (one source:
no threshold is copied here):

1. :func:`load_quality_alarms` parses the module with :mod:`cv_analytics.infra.hcl` and resolves
   what the ``aws_cloudwatch_metric_alarm.quality`` resource and its ``local.quality_alarms`` say
   (metric math expression, threshold, period, evaluation periods, datapoints to alarm) with the
   variables' defaults, or the values given, as ``terraform apply -var`` would;
2. :func:`emf_values` reads the EMF lines (CloudWatch embedded metric format) the processor
   printed, as CloudWatch would extract the metrics from its log;
3. :func:`evaluate` computes each period's metric math value from the periods' metrics and the
   alarm's state after each period (``M`` of ``N`` breaching periods, missing data not breaching).

The expression language is the subset of CloudWatch metric math the alarms use: numbers, the
metric ids, ``+ - * /``, comparisons, ``IF(condition, then, else)``, ``MIN``/``MAX`` (of arguments
or of an array ``[a, b, ...]``: the highest value per period); a division by zero gives no value
(as in CloudWatch). Anything else is refused, naming it.

An alarm whose expression is ``MAX([term, ...])`` may name its terms (``terms`` in the alarm's
local): each period then records every term's value, and :meth:`PeriodResult.crossed` says which
terms breached the threshold (the condition that raised the alarm).
"""

from __future__ import annotations

import ast
import json
import math
import operator
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cv_analytics.infra import hcl
from cv_analytics.infra.terraform import REPORTER_MODULE
from reporter.sketch import nearest_rank

ALARM_RESOURCE = ("aws_cloudwatch_metric_alarm", "quality")
ALARMS_LOCAL = "quality_alarms"
#: One period's metrics: metric name -> the values recorded in it (a sum is a sum of these).
PeriodMetrics = Mapping[str, Sequence[float]]


class AlarmDefinitionError(ValueError):
    """The Terraform says something this evaluator does not understand (named in the message)."""


@dataclass(frozen=True)
class QualityAlarm:
    """One alarm as CloudWatch would hold it after ``terraform apply``."""

    name: str
    expression: str
    threshold: float
    #: metric id in the expression -> (metric name, statistic: ``Sum``, ``pNN``...).
    metrics: Mapping[str, tuple[str, str]]
    period_seconds: int
    evaluation_periods: int
    datapoints_to_alarm: int
    comparison: str = "GreaterThanThreshold"
    treat_missing_data: str = "notBreaching"
    #: CloudWatch namespace of the metrics (the processor's ``POWERTOOLS_METRICS_NAMESPACE``).
    namespace: str = ""
    #: Names of the elements of the expression's ``MAX([...])``, in order (empty: unnamed).
    terms: tuple[str, ...] = ()

    def breaches(self, value: float | None) -> bool:
        if value is None:
            return self.treat_missing_data == "breaching"
        return _COMPARISONS[self.comparison](value, self.threshold)


@dataclass(frozen=True)
class PeriodResult:
    """The alarm after one period: the expression's value, whether it breached, the state."""

    start_ms: int
    value: float | None
    inputs: Mapping[str, float | None]
    breaching: bool
    state: str  # "ALARM" or "OK"
    #: Each named term's value in this period (see :attr:`QualityAlarm.terms`).
    terms: Mapping[str, float | None] = field(default_factory=dict)

    def crossed(self, alarm: QualityAlarm) -> list[str]:
        """The named terms whose value breaches ``alarm``'s threshold in this period."""
        return [
            name
            for name, value in self.terms.items()
            if value is not None and alarm.breaches(value)
        ]


@dataclass
class AlarmEvaluation:
    alarm: QualityAlarm
    periods: list[PeriodResult] = field(default_factory=list)

    def at(self, start_ms: int) -> PeriodResult | None:
        return next((p for p in self.periods if p.start_ms == start_ms), None)

    def alarming(self) -> list[PeriodResult]:
        return [p for p in self.periods if p.state == "ALARM"]


_COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    "GreaterThanThreshold": operator.gt,
    "GreaterThanOrEqualToThreshold": operator.ge,
    "LessThanThreshold": operator.lt,
    "LessThanOrEqualToThreshold": operator.le,
}

# -- reading the Terraform ------------------------------------------------------------------------

_REFERENCE = re.compile(r"\$\{([^}]*)\}")
_CALL = re.compile(r"^(min|max)\((.*)\)$")


def _one(value: Any) -> Any:
    """python-hcl2 wraps attribute values in a list."""
    return value[0] if isinstance(value, list) and len(value) == 1 else value


class _Scope:
    def __init__(self, variables: Mapping[str, Any], locals_: Mapping[str, Any]) -> None:
        self.variables = variables
        self.locals = locals_

    def reference(self, text: str) -> Any:
        """The value of a Terraform expression of the forms the alarms use."""
        text = text.strip()
        call = _CALL.match(text)
        if call:
            args = [self.reference(part) for part in call.group(2).split(",")]
            return min(args) if call.group(1) == "min" else max(args)
        kind, _, name = text.partition(".")
        if kind == "var" and name in self.variables:
            return self.variables[name]
        if kind == "local" and name in self.locals:
            return self.resolve(self.locals[name])
        raise AlarmDefinitionError(f"cannot resolve the Terraform expression {text!r}")

    def resolve(self, value: Any) -> Any:
        """``value`` with every ``${...}`` replaced (a lone reference keeps its type)."""
        value = _one(value)
        if not isinstance(value, str):
            return value
        whole = _REFERENCE.fullmatch(value)
        if whole:
            return self.reference(whole.group(1))
        return _REFERENCE.sub(lambda match: _text(self.reference(match.group(1))), value)


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _variables(module: dict[str, dict[str, Any]], given: Mapping[str, Any]) -> dict[str, Any]:
    values = {
        name: _one(body["default"])
        for name, body in hcl.blocks(module, "variable")
        if "default" in body
    }
    unknown = set(given) - {name for name, _ in hcl.blocks(module, "variable")}
    if unknown:
        raise AlarmDefinitionError(f"no such variable in the module: {', '.join(sorted(unknown))}")
    return {**values, **given}


def _locals(module: dict[str, dict[str, Any]]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for content in module.values():
        for entry in content.get("locals", []):
            merged.update({k: v for k, v in entry.items() if not k.startswith("__")})
    return merged


def quality_alarms_from(
    module: dict[str, dict[str, Any]], variables: Mapping[str, Any] | None = None
) -> list[QualityAlarm]:
    """The quality alarms of a parsed module (:func:`cv_analytics.infra.hcl.load_module`)."""
    kind, name = ALARM_RESOURCE
    bodies = [b for t, n, b in hcl.typed_blocks(module, "resource") if (t, n) == (kind, name)]
    if len(bodies) != 1:
        raise AlarmDefinitionError(f"expected one resource {kind}.{name}, found {len(bodies)}")
    body = bodies[0]
    locals_ = _locals(module)
    scope = _Scope(_variables(module, variables or {}), locals_)
    if ALARMS_LOCAL not in locals_:
        raise AlarmDefinitionError(f"local.{ALARMS_LOCAL} is not defined")
    dynamic = [_one(d["metric_query"]) for d in body.get("dynamic", []) if "metric_query" in d]
    if len(dynamic) != 1:
        raise AlarmDefinitionError("expected one dynamic metric_query block")
    metric = _one(_one(_one(dynamic[0]["content"])["metric"]))
    period = int(scope.resolve(metric["period"]))
    namespace = str(scope.resolve(metric["namespace"]))
    alarms = []
    for alarm_name, spec in _one(locals_[ALARMS_LOCAL]).items():
        metrics = {
            metric_id: (str(pair[0]), str(pair[1]))
            for metric_id, pair in _one(spec["metrics"]).items()
        }
        alarms.append(
            QualityAlarm(
                name=alarm_name,
                expression=str(scope.resolve(spec["expression"])),
                threshold=float(scope.resolve(spec["threshold"])),
                metrics=metrics,
                period_seconds=period,
                evaluation_periods=int(scope.resolve(body["evaluation_periods"])),
                datapoints_to_alarm=int(scope.resolve(body["datapoints_to_alarm"])),
                comparison=str(scope.resolve(body["comparison_operator"])),
                treat_missing_data=str(scope.resolve(body["treat_missing_data"])),
                namespace=namespace,
                terms=tuple(str(term) for term in _terms(spec)),
            )
        )
    for alarm in alarms:
        if alarm.comparison not in _COMPARISONS:
            raise AlarmDefinitionError(f"{alarm.name}: unknown comparison {alarm.comparison!r}")
        parse_expression(alarm.expression, alarm.metrics)  # refuse what cannot be evaluated now
        term_expressions(alarm)  # and terms that do not name MAX([...])'s elements
    return alarms


def _terms(spec: Mapping[str, Any]) -> list[Any]:
    terms = spec.get("terms", [])
    if isinstance(terms, list) and len(terms) == 1 and isinstance(terms[0], list):
        return list(terms[0])  # python-hcl2's wrapping of an attribute's value
    return list(terms) if isinstance(terms, list) else [terms]


def load_quality_alarms(
    module_dir: Path = REPORTER_MODULE, variables: Mapping[str, Any] | None = None
) -> list[QualityAlarm]:
    """The quality alarms ``module_dir`` declares; raises ``FileNotFoundError`` without
    ``hcl2tojson`` (the checkov tool environment, ``make tools``)."""
    return quality_alarms_from(hcl.load_module(module_dir), variables)


# -- metric math --------------------------------------------------------------------------------

_BINARY: dict[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
}
_COMPARE: dict[type[ast.cmpop], Callable[[float, float], bool]] = {
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}
_FUNCTIONS = {"IF", "MIN", "MAX"}


def parse_expression(expression: str, metric_ids: Iterable[str]) -> ast.expr:
    """The expression's tree, checked: only the supported subset and known metric ids."""
    try:
        tree = ast.parse(expression, mode="eval").body
    except SyntaxError as exc:
        raise AlarmDefinitionError(f"cannot parse metric math {expression!r}: {exc.msg}") from exc
    known = set(metric_ids)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in _FUNCTIONS:
                raise AlarmDefinitionError(f"unsupported function in {expression!r}")
        elif isinstance(node, ast.Name):
            if node.id not in known and node.id not in _FUNCTIONS:
                raise AlarmDefinitionError(f"unknown metric id {node.id!r} in {expression!r}")
        elif isinstance(node, ast.Constant):
            if not isinstance(node.value, int | float) or isinstance(node.value, bool):
                raise AlarmDefinitionError(f"unsupported constant in {expression!r}")
        elif isinstance(node, ast.List):
            if not any(
                isinstance(parent, ast.Call) and parent.args == [node] for parent in ast.walk(tree)
            ):
                raise AlarmDefinitionError(f"an array outside MIN/MAX in {expression!r}")
        elif (
            not isinstance(
                node,
                ast.BinOp | ast.UnaryOp | ast.Compare | ast.Load | ast.USub | ast.UAdd | ast.Div,
            )
            and type(node) not in _BINARY
            and type(node) not in _COMPARE
        ):
            raise AlarmDefinitionError(f"unsupported {type(node).__name__} in {expression!r}")
    return tree


def _evaluate(node: ast.expr, values: Mapping[str, float | None]) -> float | None:
    """The value of ``node``; ``None`` is "no data" and propagates, as in metric math."""
    if isinstance(node, ast.Constant):
        assert isinstance(node.value, int | float)  # parse_expression let only numbers through
        return float(node.value)
    if isinstance(node, ast.Name):
        return values[node.id]
    if isinstance(node, ast.UnaryOp):
        operand = _evaluate(node.operand, values)
        if operand is None:
            return None
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp):
        left, right = _evaluate(node.left, values), _evaluate(node.right, values)
        if left is None or right is None:
            return None
        if isinstance(node.op, ast.Div):
            return left / right if right else None
        return _BINARY[type(node.op)](left, right)
    if isinstance(node, ast.Compare):
        left = _evaluate(node.left, values)
        result = True
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = _evaluate(comparator, values)
            if left is None or right is None:
                return None
            result = result and _COMPARE[type(op)](left, right)
            left = right
        return 1.0 if result else 0.0
    if isinstance(node, ast.Call):
        assert isinstance(node.func, ast.Name)
        if node.func.id == "IF":
            if len(node.args) != 3:
                raise AlarmDefinitionError("IF takes three arguments")
            condition = _evaluate(node.args[0], values)
            if condition is None:
                return None
            return _evaluate(node.args[1] if condition else node.args[2], values)
        elements = _elements(node)
        args = [_evaluate(arg, values) for arg in elements]
        present = [a for a in args if a is not None]
        if not present:
            return None
        return min(present) if node.func.id == "MIN" else max(present)
    raise AlarmDefinitionError(f"unsupported {type(node).__name__}")


def _elements(call: ast.Call) -> list[ast.expr]:
    """The arguments of a MIN/MAX call, or the elements of its one array argument."""
    if len(call.args) == 1 and isinstance(call.args[0], ast.List):
        return list(call.args[0].elts)
    if any(isinstance(arg, ast.List) for arg in call.args):
        raise AlarmDefinitionError("an array must be the only argument of MIN/MAX")
    return list(call.args)


def term_expressions(alarm: QualityAlarm) -> dict[str, ast.expr]:
    """The alarm's named terms, each with its part of the expression (``MAX([t1, t2, ...])``;
    empty when the alarm names none)."""
    if not alarm.terms:
        return {}
    tree = parse_expression(alarm.expression, alarm.metrics)
    if (
        not (isinstance(tree, ast.Call) and isinstance(tree.func, ast.Name))
        or tree.func.id != "MAX"
    ):
        raise AlarmDefinitionError(f"{alarm.name}: terms are named, but the expression is not MAX")
    elements = _elements(tree)
    if len(elements) != len(alarm.terms):
        raise AlarmDefinitionError(
            f"{alarm.name}: {len(alarm.terms)} terms named for {len(elements)} elements of MAX"
        )
    return dict(zip(alarm.terms, elements, strict=True))


def statistic(stat: str, values: Sequence[float]) -> float | None:
    """A CloudWatch statistic over one period's values (``None``: no data)."""
    if not values:
        return None
    if stat == "Sum":
        return float(sum(values))
    if stat == "SampleCount":
        return float(len(values))
    if stat == "Average":
        return sum(values) / len(values)
    if stat == "Minimum":
        return float(min(values))
    if stat == "Maximum":
        return float(max(values))
    match = re.fullmatch(r"p(\d+(?:\.\d+)?)", stat)
    if match:  # nearest rank, as CloudWatch computes percentiles on raw values
        ordered = sorted(values)
        return float(ordered[nearest_rank(float(match.group(1)) / 100, len(ordered)) - 1])
    raise AlarmDefinitionError(f"unsupported statistic {stat!r}")


def evaluate(
    alarm: QualityAlarm, periods: Mapping[int, PeriodMetrics], *, start_ms: int, end_ms: int
) -> AlarmEvaluation:
    """The alarm over every period from ``start_ms`` to ``end_ms`` (periods without metrics are
    missing data); ``periods`` is keyed by each period's start (epoch milliseconds)."""
    tree = parse_expression(alarm.expression, alarm.metrics)
    terms = term_expressions(alarm)
    step = alarm.period_seconds * 1000
    first = start_ms - start_ms % step
    result = AlarmEvaluation(alarm)
    window: list[bool] = []
    for begin in range(first, end_ms, step):
        metrics = periods.get(begin, {})
        inputs = {
            metric_id: statistic(stat, metrics.get(name, ()))
            for metric_id, (name, stat) in alarm.metrics.items()
        }
        # Sum over a period that had metrics but not this one: 0 (CloudWatch has no datapoint,
        # and the alarms' IF(count >= min, ...) would not pass either way).
        if metrics:
            inputs = {
                k: (0.0 if v is None and alarm.metrics[k][1] == "Sum" else v)
                for k, v in inputs.items()
            }
        value = _evaluate(tree, inputs) if metrics else None
        term_values = {
            name: (_evaluate(term, inputs) if metrics else None) for name, term in terms.items()
        }
        breaching = alarm.breaches(value)
        window = [*window, breaching][-alarm.evaluation_periods :]
        state = "ALARM" if sum(window) >= alarm.datapoints_to_alarm else "OK"
        result.periods.append(PeriodResult(begin, value, inputs, breaching, state, term_values))
    return result


# -- the processor's metrics --------------------------------------------------------------------


def emf_values(lines: Iterable[str], *, namespace: str | None = None) -> dict[str, list[float]]:
    """Every metric value in the EMF lines among ``lines`` (other log lines are skipped), by
    metric name; ``namespace``: only metrics of that CloudWatch namespace."""
    values: dict[str, list[float]] = {}
    for line in lines:
        if '"_aws"' not in line:
            continue
        try:
            document = json.loads(line)
        except ValueError:
            continue
        directives = document.get("_aws", {}).get("CloudWatchMetrics", [])
        for directive in directives:
            if namespace is not None and directive.get("Namespace") != namespace:
                continue
            for definition in directive.get("Metrics", []):
                name = definition.get("Name")
                raw = document.get(name)
                if name is None or raw is None:
                    continue
                values.setdefault(name, []).extend(
                    float(v) for v in (raw if isinstance(raw, list) else [raw])
                )
    return values


def min_sample(alarm: QualityAlarm, term: str | None = None) -> tuple[str, int] | None:
    """``(metric id, count)`` of an expression (or of its named ``term``) guarded as
    ``IF(id >= count, ..., ...)``: the smallest sample a period needs before the alarm judges it
    (``None`` when unguarded)."""
    if term is None:
        tree = parse_expression(alarm.expression, alarm.metrics)
    else:
        terms = term_expressions(alarm)
        if term not in terms:
            raise AlarmDefinitionError(f"{alarm.name} names no term {term!r}")
        tree = terms[term]
    if not (isinstance(tree, ast.Call) and isinstance(tree.func, ast.Name)):
        return None
    if tree.func.id != "IF" or not tree.args or not isinstance(tree.args[0], ast.Compare):
        return None
    guard = tree.args[0]
    left, ops, right = guard.left, guard.ops, guard.comparators
    bound = right[0] if len(right) == 1 else None
    if (
        len(ops) == 1
        and isinstance(ops[0], ast.GtE)
        and isinstance(left, ast.Name)
        and isinstance(bound, ast.Constant)
        and isinstance(bound.value, int | float)
    ):
        return left.id, math.ceil(bound.value)
    return None
