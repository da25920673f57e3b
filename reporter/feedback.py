"""What visitors thought of the answers: the week's feedback, in one pass and bounded memory.

Each record carries at most one feedback (the latest by timestamp, kept by the processor); what
counts as positive is the contract's one definition, :attr:`analytics_contract.Feedback.positive`
(thumbs up or 4-5 stars; 3 stars is neutral).
"""

from __future__ import annotations

import heapq
import itertools

from analytics_contract.records import AnalyticsRecord
from reporter.figures import FeedbackFigures, RatedAnswer

#: Lowest-rated answers listed in the report.
LOWEST = 5


def stars(thumbs: str | None, rating: int | None) -> int:
    """A rating on one scale: 1-5 as given, a thumbs down 1 and a thumbs up 5."""
    if rating is not None:
        return rating
    return 5 if thumbs == "up" else 1


class FeedbackTally:
    def __init__(self, lowest: int = LOWEST) -> None:
        self._limit = lowest
        self.rated = self.positive = self.negative = self.comments = 0
        # Max-heap by "how bad" (fewest stars, a comment first, most recent): keeps the lowest.
        self._heap: list[tuple[tuple[int, int, int], int, RatedAnswer]] = []
        self._order = itertools.count()

    def add(self, record: AnalyticsRecord) -> None:
        feedback = record.feedback
        if feedback is None or record.status == "orphaned":
            return
        self.rated += 1
        if feedback.positive is True:
            self.positive += 1
        elif feedback.positive is False:
            self.negative += 1
        comment = (feedback.comment or "").strip() or None
        if comment:
            self.comments += 1
        answer = RatedAnswer(
            question=record.query or "",
            timestamp=feedback.timestamp,
            stars=stars(feedback.thumbs, feedback.rating),
            thumbs=feedback.thumbs,
            comment=comment,
            match_type=record.match_type,
            match_score=record.match_score,
        )
        if answer.stars >= 3:
            return  # only the low ratings are listed
        # heapq is a min-heap: the entry at [0] is the "least bad" one kept, replaced first.
        badness = (-answer.stars, 1 if comment else 0, feedback.timestamp)
        entry = (badness, next(self._order), answer)
        if len(self._heap) < self._limit:
            heapq.heappush(self._heap, entry)
        elif entry > self._heap[0]:
            heapq.heapreplace(self._heap, entry)

    def figures(self) -> FeedbackFigures:
        lowest = [answer for _, _, answer in sorted(self._heap, reverse=True)]
        return FeedbackFigures(
            rated=self.rated,
            positive=self.positive,
            negative=self.negative,
            comments=self.comments,
            lowest=lowest,
        )
