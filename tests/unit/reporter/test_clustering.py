"""Question clusters: one per question, whatever the politeness, filler, order and typos."""

from __future__ import annotations

import pytest

from bench.question_clusters import load, pairwise
from reporter.clustering import QuestionClusters, assignments

SAME = [
    # politeness and filler
    ("What are your salary expectations?", "Sorry, what are your salary expectations? Thanks!"),
    ("Where are you based?", "Hi there, where are you based at the moment?"),
    ("Do you have AWS experience?", "Quick question: do you actually have any AWS experience?"),
    # word order
    ("Have you worked with Lambda and DynamoDB?", "Have you worked with DynamoDB and Lambda?"),
    ("Do you speak French?", "French - do you speak it?"),
    # small typos and contractions
    ("What is your notice period?", "whats ur notcie period"),
    ("Are you available for contract work?", "Are you availble for contract work?"),
    # a weak extra word
    ("Have you led a team?", "Have you ever led a team before?"),
]
DIFFERENT = [
    ("Do you speak German?", "Do you speak French?"),
    ("Have you used Rust?", "Have you used Go?"),
    ("Do you work remotely?", "Are you open to remote work?"),
    ("Where did you study?", "What did you study?"),
    ("Would you relocate?", "Would you relocate to Berlin?"),
    ("Tell me about your AWS experience", "Tell me about your cloud experience"),
]


@pytest.mark.parametrize(("first", "second"), SAME)
def test_variants_of_a_question_form_one_cluster(first: str, second: str) -> None:
    # Among other questions, so typo correction has a vocabulary: each correct form asked often.
    counts = {first: 5, second: 1, "How can I contact you?": 3, "What are your hobbies?": 2}
    clusters = QuestionClusters.of(counts)
    assert clusters.match(first) is clusters.match(second)
    assert len(clusters.clusters) == 3


@pytest.mark.parametrize(("first", "second"), DIFFERENT)
def test_near_misses_stay_apart(first: str, second: str) -> None:
    clusters = QuestionClusters.of({first: 5, second: 5})
    assert len(clusters.clusters) == 2


def test_the_representative_is_the_most_asked_wording() -> None:
    clusters = QuestionClusters.of(
        {"Where are you based?": 7, "where r u based": 2, "Hi, where are you based?": 3}
    )
    (cluster,) = clusters.clusters
    assert (cluster.representative, cluster.count, len(cluster.wordings)) == (
        "Where are you based?",
        12,
        3,
    )


def test_a_real_word_is_not_corrected_into_another() -> None:
    clusters = QuestionClusters.of(
        {"How can I contact you?": 6, "Are you available for contract work?": 8}
    )
    assert len(clusters.clusters) == 2


def test_filler_only_questions_group_by_what_is_left() -> None:
    clusters = QuestionClusters.of({"hello": 5, "Hello, thanks!": 2, "hello cheers": 1, "ok": 1})
    assert [c.count for c in clusters.clusters] == [8, 1]


def test_matching_earlier_questions_does_not_change_the_clusters() -> None:
    clusters = QuestionClusters.of({"What is your notice period?": 4})
    assert clusters.match("Hi, what's your notice period please?") is clusters.clusters[0]
    assert clusters.match("Do you speak German?") is None
    assert len(clusters.clusters) == 1


def test_the_labelled_set_is_clustered_with_precision_and_recall_of_at_least_0_9() -> None:
    intents = load()
    assert len(intents) >= 40
    labels = {wording: intent for intent, wordings in intents.items() for wording in wordings}
    assert len(labels) >= 300
    precision, recall, _, _ = pairwise(labels, assignments(labels))
    assert precision >= 0.9 and recall >= 0.9
