"""The weeks before the simulated week: lighter, with a topic mix that differs a little.

The weekly report compares a week with the one before (questions, sessions, feedback share) and
lists "new this week": question clusters not asked in the four weeks before. To show both, the
demo sends a history of earlier weeks through the same pipeline. Each earlier week holds a share
of the main week's questions (drawn between :data:`SHARE`), from the same simulator with a seed
derived from the main one, without a failure spike. A few topics are *new*: visitors ask them in
the main week only (drawn with the seed among the less common topics, so the report's top
questions stay the usual ones), and the other topics' weights vary a little from week to week.

:func:`with_history` joins the earlier weeks and the main week into one :class:`Manifest`, so the
balance accounts for every event of every week.
"""

from __future__ import annotations

import random

from analytics_contract.weeks import previous_week
from cv_analytics.data.weeks import last_weeks
from cv_analytics.dev.traffic.catalogue import Catalogue, load_catalogue
from cv_analytics.dev.traffic.manifest import Manifest
from cv_analytics.dev.traffic.simulator import Rates, simulate_week

#: An earlier week holds this share of the main week's questions (drawn per week).
SHARE = (0.25, 0.40)
#: Topics asked in the main week only.
NEW_TOPICS = 2
#: An earlier week's topic weights are the catalogue's times a factor drawn in this range.
WEIGHT_JITTER = (0.7, 1.3)


def history_weeks(week: str, count: int) -> list[str]:
    """The ``count`` ISO weeks before ``week``, oldest first (the order they are sent in; the
    reporter's ``earlier_weeks`` lists them newest first)."""
    return last_weeks(count, previous_week(week)) if count else []


def new_topics(seed: int, catalogue: Catalogue | None = None) -> tuple[str, ...]:
    """The topics visitors ask in the main week only: :data:`NEW_TOPICS` of the less common
    half of the catalogue, drawn with ``seed``."""
    topics = sorted((catalogue or load_catalogue()).topics, key=lambda t: (t.weight, t.key))
    rare = [t.key for t in topics[: max(1, len(topics) // 2)]]
    return tuple(
        sorted(random.Random(f"new-topics-{seed}").sample(rare, min(NEW_TOPICS, len(rare))))
    )


def history_catalogue(
    catalogue: Catalogue, *, withheld: tuple[str, ...], rng: random.Random
) -> Catalogue:
    """``catalogue`` without the ``withheld`` topics, the others' weights varied a little."""
    topics = tuple(
        topic.model_copy(update={"weight": topic.weight * rng.uniform(*WEIGHT_JITTER)})
        for topic in catalogue.topics
        if topic.key not in withheld
    )
    return catalogue.model_copy(update={"topics": topics})


def simulate_history(
    week: str,
    questions: int,
    *,
    weeks: int,
    seed: int = 7,
    rates: Rates | None = None,
    id_prefix: str = "demo",
    catalogue: Catalogue | None = None,
) -> list[Manifest]:
    """The ``weeks`` ISO weeks before ``week`` (oldest first), each with a share of
    ``questions`` (see the module). Request and session ids carry the week (``demo-w44-q00001``)."""
    chosen = catalogue or load_catalogue()
    withheld = new_topics(seed, chosen)
    manifests = []
    for earlier in history_weeks(week, weeks):
        rng = random.Random(f"history-{seed}-{earlier}")
        count = max(1, round(questions * rng.uniform(*SHARE)))
        manifests.append(
            simulate_week(
                earlier,
                count,
                seed=rng.randrange(2**32),
                rates=rates,
                id_prefix=f"{id_prefix}-{earlier[-3:].lower()}",
                catalogue=history_catalogue(chosen, withheld=withheld, rng=rng),
            )
        )
    return manifests


def with_history(main: Manifest, history: list[Manifest]) -> Manifest:
    """One manifest of the earlier weeks' deliveries (oldest week first), then the main week's;
    ``week`` and ``seed`` are the main week's, every delivery numbered anew."""
    deliveries = [d for m in [*history, main] for d in m.deliveries]
    return Manifest(
        week=main.week,
        seed=main.seed,
        questions=[q for m in [*history, main] for q in m.questions],
        deliveries=[d.model_copy(update={"seq": i}) for i, d in enumerate(deliveries)],
        history_weeks=[m.week for m in history],
        history_deliveries=sum(len(m.deliveries) for m in history),
    )
