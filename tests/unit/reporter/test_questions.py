from __future__ import annotations

import pytest

from reporter.questions import (
    DISPLAY_CHARS,
    ELLIPSIS,
    QuestionTally,
    display_text,
    gap_questions,
    question_key,
    top_questions,
)


@pytest.mark.parametrize(
    "variant",
    [
        "What is your notice period?",
        "what is your notice period",
        "  WHAT IS YOUR NOTICE PERIOD?!  ",
        "What is your notice period ??",
        "What is   your notice\tperiod.",
        "What is your notice period\u2026",
        "What is your notice period\uff1f",
    ],
)
def test_variants_in_case_whitespace_and_trailing_punctuation_group_together(variant: str) -> None:
    assert question_key(variant) == question_key("What is your notice period?")


def test_different_wordings_and_inner_punctuation_stay_apart() -> None:
    assert question_key("What's your notice period?") != question_key("What is your notice period?")
    assert question_key("C++?") == "c++"
    assert question_key("?!") == ""


def test_clusters_show_the_tidiest_wording_the_total_and_the_wordings() -> None:
    tally = QuestionTally()
    for text in [
        "where are you based",
        "Where are you based?",
        " WHERE ARE YOU BASED ",
        "Hi! Where are you based? thanks",
        "Have you used Rust?",
    ]:
        tally.add(text)
    top = top_questions(tally.clusters(), tally, 10)
    assert [(row.text, row.count, row.wordings) for row in top] == [
        ("Where are you based?", 4, 2),
        ("Have you used Rust?", 1, 1),
    ]


def test_gaps_rank_by_count_then_lowest_mean_score() -> None:
    tally = QuestionTally()
    for text, score in [
        ("salary?", 10),
        ("Salary", 12),
        ("licence?", 3),
        ("german", 1),
        ("visa", 20),
    ]:
        tally.add(text)
        tally.add_gap(text, score)
    tally.add("german")  # asked again, answered: counts in the top questions, not in the gaps
    gaps = gap_questions(tally.clusters(), tally)
    assert [(g.text, g.count, g.mean_score) for g in gaps[:3]] == [
        ("Salary", 2, 11.0),
        ("german", 1, 1.0),
        ("licence?", 1, 3.0),
    ]


def test_the_tally_keeps_its_bound_by_dropping_the_rarest_wordings() -> None:
    tally = QuestionTally(max_wordings=10)
    for _ in range(5):
        tally.add("What is your notice period?")
    for i in range(30):
        tally.add(f"one-off question number {i}")
    assert len(tally) <= 10
    assert tally.dropped > 0
    assert tally.questions == 35
    (top, *_) = top_questions(tally.clusters(), tally, 1)
    assert (top.text, top.count) == ("What is your notice period?", 5)


def test_display_text_shortens_long_questions_with_an_ellipsis() -> None:
    long = "word " * 100
    shown = display_text(long)
    assert shown.endswith(ELLIPSIS)
    assert len(shown) <= DISPLAY_CHARS + 1
    assert display_text("x" * DISPLAY_CHARS) == "x" * DISPLAY_CHARS
    assert display_text("x" * (DISPLAY_CHARS + 1)) == "x" * DISPLAY_CHARS + ELLIPSIS


def test_display_text_removes_control_characters_and_bidi_overrides() -> None:
    hostile = "line one\nline two\x1b[31mred\x07\u202eevil\u202c"
    shown = display_text(hostile)
    assert "\x1b" not in shown and "\x07" not in shown and "\u202e" not in shown
    assert "\n" not in shown
    assert shown == "line one line two [31mred evil"
