"""Question text: grouping variants of the same question, and making text safe to display.

Grouping is deliberately literal: "What is your notice period?", "what is your notice period" and
"  WHAT IS YOUR NOTICE PERIOD?!  " are one question; "What's your notice period?" is another.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

#: Longest question shown in a report, in characters (longer ones end with an ellipsis).
DISPLAY_CHARS = 140
ELLIPSIS = "\u2026"
_WORD_SLACK = 20

_TRAILING_PUNCTUATION = "?!.,;:\u2026\u061f\u3002\uff01\uff1f\uff0e\u00bf\u00a1"
_WHITESPACE = re.compile(r"\s+")
# Bidirectional overrides and isolates can make displayed text read differently from what it is.
_BIDI_CONTROLS = frozenset("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def question_key(text: str) -> str:
    """The grouping key: case-folded, inner whitespace collapsed, without surrounding whitespace
    or trailing punctuation. Two questions are "the same" when their keys are equal."""
    collapsed = _WHITESPACE.sub(" ", text).strip()
    return collapsed.rstrip(_TRAILING_PUNCTUATION + " ").casefold()


def display_text(text: str, limit: int = DISPLAY_CHARS) -> str:
    """One line of text safe for a report: control characters and bidi overrides removed (a
    terminal escape sequence must not reach the text part), whitespace collapsed, and at most
    ``limit`` characters (cut after a whole word if one ends in the last 20) and an ellipsis. HTML escaping is the template's job."""
    cleaned = "".join(
        " " if unicodedata.category(char) == "Cc" else char
        for char in text
        if char not in _BIDI_CONTROLS
    )
    cleaned = _WHITESPACE.sub(" ", cleaned).strip()
    if len(cleaned) <= limit:
        return cleaned
    cut = cleaned[:limit]
    space = cut.rfind(" ")
    if space >= limit - _WORD_SLACK:  # end on a whole word when one ends close enough
        cut = cut[:space]
    return cut.rstrip() + ELLIPSIS


@dataclass
class QuestionGroup:
    """All the wordings of one question, with how often each was asked."""

    wordings: Counter[str] = field(default_factory=Counter)
    count: int = 0
    score_total: float = 0.0
    scored: int = 0

    def add(self, text: str, score: float | None = None) -> None:
        self.wordings[text.strip()] += 1
        self.count += 1
        if score is not None:
            self.score_total += score
            self.scored += 1

    @property
    def wording(self) -> str:
        """The most common original wording (the first one seen among equally common ones)."""
        return self.wordings.most_common(1)[0][0]

    @property
    def mean_score(self) -> float | None:
        return self.score_total / self.scored if self.scored else None


class QuestionGroups:
    """Counts questions by :func:`question_key`; memory grows with the number of distinct
    wordings, not with the number of questions."""

    def __init__(self) -> None:
        self._groups: dict[str, QuestionGroup] = {}

    def add(self, text: str, score: float | None = None) -> None:
        key = question_key(text)
        group = self._groups.get(key)
        if group is None:
            group = self._groups[key] = QuestionGroup()
        group.add(text, score)

    def __len__(self) -> int:
        return len(self._groups)

    def most_common(self, limit: int) -> list[QuestionGroup]:
        """The ``limit`` most asked questions; ties in key order, so the result is stable."""
        ranked = sorted(self._groups.items(), key=lambda item: (-item[1].count, item[0]))
        return [group for _, group in ranked[:limit]]

    def gaps(self, limit: int) -> list[QuestionGroup]:
        """The ``limit`` most asked questions, ties broken by the lowest mean score (then key)."""

        def rank(item: tuple[str, QuestionGroup]) -> tuple[int, float, str]:
            key, group = item
            mean = group.mean_score
            return (-group.count, mean if mean is not None else float("inf"), key)

        return [group for _, group in sorted(self._groups.items(), key=rank)[:limit]]
