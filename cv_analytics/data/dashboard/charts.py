"""The trend charts, drawn by matplotlib as SVG and inlined in the page (no script, no request).

Each chart is one ``<svg>`` element: text stays text (searchable, small), ids are salted per chart
so that several charts can share a page, and no date is written (the same data gives the same
file).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from cv_analytics.data.dashboard.model import DashboardData, WeekTrend

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

COLOURS = {"primary": "#2563eb", "secondary": "#f97316", "muted": "#94a3b8", "good": "#16a34a"}
WIDTH_INCHES, HEIGHT_INCHES = 6.4, 2.9


def _figure(name: str) -> tuple[Figure, Axes]:
    import matplotlib as mpl
    from matplotlib.figure import Figure

    mpl.rcParams.update(
        {
            "svg.fonttype": "none",
            "svg.hashsalt": f"cv-dashboard-{name}",
            "font.family": "sans-serif",
            "font.size": 9,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.titlesize": 10,
            "axes.titleweight": "bold",
            "axes.titlelocation": "left",
        }
    )
    figure = Figure(figsize=(WIDTH_INCHES, HEIGHT_INCHES), layout="constrained")
    return figure, figure.add_subplot()


def _svg(figure: Figure, name: str, label: str) -> str:
    buffer = io.StringIO()
    figure.savefig(
        buffer, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None}
    )
    text = buffer.getvalue()
    start = text.index("<svg")
    svg = text[start:]
    return svg.replace(
        "<svg ", f'<svg role="img" aria-label="{label}" data-chart="{name}" class="chart" ', 1
    )


def _legend(axes: Axes, *more: Axes) -> None:
    """One legend below the plot (never over the data), for ``axes`` and any twin ``more``."""
    handles, labels = axes.get_legend_handles_labels()
    for other in more:
        extra_handles, extra_labels = other.get_legend_handles_labels()
        handles += extra_handles
        labels += extra_labels
    axes.legend(handles, labels, frameon=False, fontsize=8, ncol=len(labels),
                loc="upper center", bbox_to_anchor=(0.5, -0.14))  # fmt: skip


def _week_axis(axes: Axes, weeks: Sequence[str]) -> list[int]:
    positions = list(range(len(weeks)))
    axes.set_xticks(positions, [week[5:] for week in weeks])  # W40, W41...
    axes.tick_params(axis="x", labelsize=8)
    axes.grid(axis="y", color="#e2e8f0", linewidth=0.6)
    axes.set_axisbelow(True)
    return positions


def _values(trends: Sequence[WeekTrend], read: Callable[[WeekTrend], float | None]) -> list[float]:
    """One value per week; ``nan`` where a week has none (matplotlib leaves a gap)."""
    values = []
    for trend in trends:
        value = read(trend)
        values.append(float("nan") if value is None else float(value))
    return values


def questions_chart(data: DashboardData) -> str:
    figure, axes = _figure("questions")
    x = _week_axis(axes, data.weeks)
    axes.bar(
        x, [t.figures.questions for t in data.trends], color=COLOURS["primary"], label="questions"
    )
    axes.plot(x, [t.figures.sessions for t in data.trends], color=COLOURS["secondary"], marker="o",
              markersize=3, label="sessions")  # fmt: skip
    axes.set_title("Questions and sessions per week")
    _legend(axes)
    return _svg(figure, "questions", "Questions and sessions per week")


Series = tuple[str, str, Callable[[WeekTrend], float | None]]


def _line_chart(
    data: DashboardData, name: str, title: str, series: list[Series], ylabel: str, top: float | None
) -> str:
    figure, axes = _figure(name)
    x = _week_axis(axes, data.weeks)
    for label, colour, read in series:
        axes.plot(x, _values(data.trends, read), color=COLOURS[colour], marker="o", markersize=3,
                  label=label)  # fmt: skip
    axes.set_ylim(0, top)
    axes.set_ylabel(ylabel)
    axes.set_title(title)
    _legend(axes)
    return _svg(figure, name, title)


def rates_chart(data: DashboardData) -> str:
    return _line_chart(
        data,
        "rates",
        "Answer rate and no-match rate",
        [
            ("answered", "good", lambda t: _percent(t.answer_rate)),
            ("no match (of answers)", "secondary", lambda t: _percent(t.no_match_rate)),
        ],
        "%",
        100,
    )


def latency_chart(data: DashboardData) -> str:
    return _line_chart(
        data,
        "latency",
        "Processing time (p50, p95)",
        [
            ("p50", "primary", lambda t: _seconds(t.p50_ms)),
            ("p95", "secondary", lambda t: _seconds(t.p95_ms)),
        ],
        "seconds",
        None,
    )


def tokens_chart(data: DashboardData) -> str:
    figure, axes = _figure("tokens")
    x = _week_axis(axes, data.weeks)
    inputs = [t.figures.input_tokens / 1000 for t in data.trends]
    outputs = [t.figures.output_tokens / 1000 for t in data.trends]
    axes.bar(x, inputs, color=COLOURS["primary"], label="input")
    axes.bar(x, outputs, bottom=inputs, color=COLOURS["muted"], label="output")
    axes.set_ylabel("thousand tokens")
    title = "Tokens"
    twins = []
    if any(t.cost is not None for t in data.trends):
        cost_axes = axes.twinx()
        cost_axes.plot(x, _values(data.trends, lambda t: None if t.cost is None else float(t.cost)), color=COLOURS["secondary"],
                       marker="o", markersize=3, label=f"cost ({data.currency})")  # fmt: skip
        cost_axes.set_ylim(bottom=0)
        cost_axes.set_ylabel(data.currency)
        cost_axes.spines["right"].set_visible(True)
        twins.append(cost_axes)
        title = f"Tokens and LLM cost ({data.currency})"
    axes.set_title(title)
    _legend(axes, *twins)
    return _svg(figure, "tokens", title)


def _percent(value: float | None) -> float | None:
    return None if value is None else 100 * value


def _seconds(value: float | None) -> float | None:
    return None if value is None else value / 1000


def all_charts(data: DashboardData) -> list[str]:
    return [questions_chart(data), rates_chart(data), latency_chart(data), tokens_chart(data)]
