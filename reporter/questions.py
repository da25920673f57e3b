"""Question text: counting a week's questions in bounded memory, and making text safe to display.

Two levels of "the same question":

* :func:`question_key`, literal: "What is your notice period?", "what is your notice period" and
  "  WHAT IS YOUR NOTICE PERIOD?!  " are one *wording*. The week's pass counts wordings
  (:class:`QuestionTally`): memory grows with the distinct wordings, not with the questions.
* :mod:`reporter.clustering`, by meaning of the words: the wordings are then grouped into
  *clusters* ("Sorry, what's your notice period? thanks" joins them) when the report is built.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from reporter.clustering import Cluster, QuestionClusters

#: Longest question shown in a report, in characters (longer ones end with an ellipsis).
DISPLAY_CHARS = 140
ELLIPSIS = "\u2026"
_WORD_SLACK = 20
#: Distinct wordings a tally keeps; beyond it the wordings asked least are dropped (and counted).
MAX_WORDINGS = 200_000

_TRAILING_PUNCTUATION = "?!.,;:\u2026\u061f\u3002\uff01\uff1f\uff0e\u00bf\u00a1"
_WHITESPACE = re.compile(r"\s+")
# Bidirectional overrides and isolates can make displayed text read differently from what it is.
_BIDI_CONTROLS = frozenset("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def question_key(text: str) -> str:
    """The literal grouping key: case-folded, inner whitespace collapsed, without surrounding
    whitespace or trailing punctuation. Two questions are one wording when their keys are equal."""
    collapsed = _WHITESPACE.sub(" ", text).strip()
    return collapsed.rstrip(_TRAILING_PUNCTUATION + " ").casefold()


def display_text(text: str, limit: int = DISPLAY_CHARS) -> str:
    """One line of text safe for a report: control characters and bidi overrides removed (a
    terminal escape sequence must not reach the text part), whitespace collapsed, and at most
    ``limit`` characters (cut after a whole word if one ends in the last 20) and an ellipsis.
    HTML escaping is the template's job."""
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


def _tidiness(text: str) -> tuple[bool, bool, bool]:
    """How presentable a form of a wording is: capitalised, ends with "?", not shouting."""
    text = text.strip()
    one_question_mark = text.endswith("?") and not text.endswith(("??", " ?"))
    return (text[:1].isupper(), one_question_mark, not text.isupper())


@dataclass
class Wording:
    """One literal wording of a question: its tidiest original form, how often it was asked, and
    (for the gaps) the match scores of its ``none`` answers."""

    text: str
    count: int = 0
    gaps: int = 0
    gap_score_total: float = 0.0
    gap_scored: int = 0


@dataclass(frozen=True)
class QuestionRow:
    """One row of Top questions or Gaps: a cluster of wordings."""

    text: str
    count: int
    wordings: int
    mean_score: float | None = None


class QuestionTally:
    """Counts a week's questions by wording (:func:`question_key`), in bounded memory.

    At most ``max_wordings`` wordings are kept. When a new one would exceed that, every wording
    asked only ``floor`` times so far is dropped and ``floor`` rises by one (lossy counting: a
    wording dropped and asked again restarts from zero, so counts of rare wordings are
    underestimates); :attr:`dropped` says how many questions went uncounted that way. The popular
    questions, the ones the report lists, are never affected in practice.
    """

    def __init__(self, max_wordings: int = MAX_WORDINGS) -> None:
        self.max_wordings = max_wordings
        self._wordings: dict[str, Wording] = {}
        self._floor = 1
        self.dropped = 0
        self.questions = 0

    def add(self, text: str) -> Wording:
        self.questions += 1
        key = question_key(text)
        wording = self._wordings.get(key)
        if wording is None:
            if len(self._wordings) >= self.max_wordings:
                self._prune()
            wording = self._wordings[key] = Wording(text.strip())
        elif _tidiness(text) > _tidiness(wording.text):
            wording.text = text.strip()
        wording.count += 1
        return wording

    def add_gap(self, text: str, score: float | None) -> None:
        """A question answered with match type ``none`` (already counted by :meth:`add`)."""
        wording = self._wordings.get(question_key(text))
        if wording is None:
            wording = self.add(text)
            wording.count -= 1
            self.questions -= 1
        wording.gaps += 1
        if score is not None:
            wording.gap_score_total += score
            wording.gap_scored += 1

    def _prune(self) -> None:
        while len(self._wordings) >= self.max_wordings:
            rare = [key for key, w in self._wordings.items() if w.count <= self._floor]
            for key in rare:
                self.dropped += self._wordings.pop(key).count
            self._floor += 1

    def __len__(self) -> int:
        return len(self._wordings)

    @property
    def wordings(self) -> Iterable[Wording]:
        return self._wordings.values()

    def clusters(self) -> QuestionClusters:
        return QuestionClusters.of({w.text: w.count for w in self._wordings.values() if w.count})


def _rows(
    clustered: QuestionClusters, tally: QuestionTally, *, gaps: bool
) -> list[tuple[Cluster, QuestionRow]]:
    by_text = {w.text: w for w in tally.wordings}
    rows = []
    for cluster in clustered.clusters:
        members = [by_text[text] for text in cluster.wordings]
        if gaps:
            asked = [w for w in members if w.gaps]
            count = sum(w.gaps for w in asked)
            if not count:
                continue
            scored = sum(w.gap_scored for w in asked)
            total = sum(w.gap_score_total for w in asked)
            text = min(asked, key=lambda w: (-w.gaps, w.text)).text
            row = QuestionRow(text, count, len(asked), total / scored if scored else None)
        else:
            row = QuestionRow(cluster.representative, cluster.count, len(members))
        rows.append((cluster, row))
    return rows


def top_questions(
    clustered: QuestionClusters, tally: QuestionTally, limit: int
) -> list[QuestionRow]:
    """The ``limit`` most asked clusters (ties in representative order)."""
    rows = [row for _, row in _rows(clustered, tally, gaps=False)]
    return sorted(rows, key=lambda row: (-row.count, row.text))[:limit]


def gap_questions(clustered: QuestionClusters, tally: QuestionTally) -> list[QuestionRow]:
    """Every cluster with ``none`` answers: most asked first, ties by lowest mean score."""

    def rank(row: QuestionRow) -> tuple[int, float, str]:
        mean = row.mean_score if row.mean_score is not None else float("inf")
        return (-row.count, mean, row.text)

    return sorted((row for _, row in _rows(clustered, tally, gaps=True)), key=rank)
