"""Sections about what was asked: top question clusters, new this week, gaps, and the latest
unanswered and failed questions."""

from __future__ import annotations

from reporter.figures import Example
from reporter.questions import QuestionRow as QuestionCluster
from reporter.questions import display_text
from reporter.view.formatting import ERROR_CHARS, count, moment, plural, score, wrap
from reporter.view.models import ExampleRow, QuestionRow


def question_rows(groups: list[QuestionCluster], *, with_score: bool) -> list[QuestionRow]:
    """One row per cluster: its most asked wording, how often, in how many wordings."""
    count_width = max([len(count(g.count)) for g in groups] + [len("Asked")])
    rank_width = len(f"{len(groups)}.")
    rows = []
    for rank, group in enumerate(groups, start=1):
        text = display_text(group.text)
        wordings = f"{group.wordings} wordings" if group.wordings > 1 else ""
        lines = wrap(f"{text} ({wordings})" if wordings else text)
        mean = score(group.mean_score) if with_score else ""
        text_rank = f"{rank}.".rjust(rank_width)
        text_count = count(group.count).rjust(count_width)
        text_score = mean.rjust(len("Score"))
        indent = " " * (
            len(text_count) + len(text_score) + 2
            if with_score
            else rank_width + 1 + len(text_count)
        )
        rows.append(
            QuestionRow(
                rank=f"{rank}.",
                text=text,
                count=count(group.count),
                score=mean,
                wordings=wordings,
                text_rank=text_rank,
                text_count=text_count,
                text_score=text_score,
                first_line=lines[0],
                more_lines=lines[1:],
                text_indent=indent,
            )
        )
    return rows


def new_summary(total: int, weeks: int) -> str:
    if not total:
        return f"Every question this week was asked in the previous {weeks} weeks too."
    return f"{plural(total, 'question')} not asked in the previous {weeks} weeks" + (
        ", most asked first." if total > 1 else "."
    )


def examples(items: list[Example]) -> list[ExampleRow]:
    return [
        ExampleRow(
            when=moment(example.timestamp),
            text=display_text(example.text) or "(no question text)",
            error=display_text(example.error or "", ERROR_CHARS),
            has_error=bool(example.error),
        )
        for example in items
    ]
