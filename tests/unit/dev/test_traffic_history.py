"""The weeks before the demo's week: lighter, reproducible, with questions not asked yet, and
one manifest of every week for the balance."""

from __future__ import annotations

import pytest

from cv_analytics.dev.traffic import load_catalogue, simulate_week
from cv_analytics.dev.traffic.history import (
    SHARE,
    history_weeks,
    new_topics,
    simulate_history,
    with_history,
)

WEEK = "2026-W01"  # the weeks before cross into 2025
QUESTIONS = 200


@pytest.fixture(scope="module")
def history():
    return simulate_history(WEEK, QUESTIONS, weeks=4, seed=3)


def test_the_weeks_before_oldest_first_across_the_year():
    assert history_weeks(WEEK, 4) == ["2025-W49", "2025-W50", "2025-W51", "2025-W52"]
    assert history_weeks(WEEK, 0) == []


def test_each_earlier_week_is_lighter_and_inside_its_week(history):
    assert [m.week for m in history] == history_weeks(WEEK, 4)
    for manifest in history:
        low, high = SHARE
        assert low * QUESTIONS - 1 <= len(manifest.questions) <= high * QUESTIONS + 1
        assert {q.week for q in manifest.questions} == {manifest.week}
        assert not any(q.in_spike for q in manifest.questions)
    sizes = {len(m.questions) for m in history}
    assert len(sizes) > 1  # the share is drawn per week


def test_the_same_seed_gives_the_same_history_another_seed_another(history):
    again = simulate_history(WEEK, QUESTIONS, weeks=4, seed=3)
    other = simulate_history(WEEK, QUESTIONS, weeks=4, seed=4)
    assert [m.model_dump() for m in again] == [m.model_dump() for m in history]
    assert [m.model_dump() for m in other] != [m.model_dump() for m in history]


def test_some_topics_are_asked_in_the_main_week_only(history):
    fresh = new_topics(3)
    catalogue = {t.key: t.weight for t in load_catalogue().topics}
    assert fresh and all(key in catalogue for key in fresh)
    # Among the less common topics: the report's top questions stay the usual ones.
    assert max(catalogue[k] for k in fresh) <= sorted(catalogue.values())[len(catalogue) // 2]
    earlier = {q.topic for m in history for q in m.questions}
    assert earlier.isdisjoint(fresh)
    assert earlier == set(catalogue) - set(fresh)
    main = simulate_week(WEEK, QUESTIONS, seed=3)
    assert set(fresh) <= {q.topic for q in main.questions}


def test_one_manifest_holds_every_week_numbered_anew(history):
    main = simulate_week(WEEK, QUESTIONS, seed=3)
    joined = with_history(main, history)
    assert joined.week == WEEK and joined.seed == 3
    assert joined.history_weeks == history_weeks(WEEK, 4)
    assert joined.history_deliveries == sum(len(m.deliveries) for m in history)
    assert [d.seq for d in joined.deliveries] == list(range(len(joined.deliveries)))
    assert joined.deliveries[joined.history_deliveries :][0].body() == main.deliveries[0].body()
    ids = [q.request_id for q in joined.questions]
    assert len(ids) == len(set(ids))  # the week is in the earlier weeks' ids
    assert joined.of_week() == main.questions
    assert joined.of_week(history[-1].week) == history[-1].questions
    assert with_history(main, []).model_dump() == main.model_dump()


def test_the_phrasing_drawn_is_the_one_asked():
    topics = {t.key: t for t in load_catalogue().topics}
    manifest = simulate_week(WEEK, 300, seed=9)
    queries = {d.request_id: d.event for d in manifest.deliveries if d.kind == "query"}
    for truth in manifest.questions:
        query = queries.get(truth.request_id)
        if query is None:
            continue
        phrasing = topics[truth.topic].phrasings[truth.phrasing]
        assert phrasing.rstrip("?").casefold()[1:] in query.query.casefold()
