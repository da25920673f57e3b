from __future__ import annotations

import pytest

from reporter.questions import DISPLAY_CHARS, ELLIPSIS, QuestionGroups, display_text, question_key


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


def test_groups_show_the_most_common_original_wording_and_the_total() -> None:
    groups = QuestionGroups()
    for text in [
        "where are you based",
        "Where are you based?",
        "Where are you based?",
        " WHERE ARE YOU BASED ",
    ]:
        groups.add(text)
    groups.add("Have you used Rust?")
    top = groups.most_common(10)
    assert [(g.wording, g.count) for g in top] == [
        ("Where are you based?", 4),
        ("Have you used Rust?", 1),
    ]


def test_gaps_rank_by_count_then_lowest_mean_score() -> None:
    groups = QuestionGroups()
    for text, score in [
        ("salary?", 10),
        ("Salary", 12),
        ("licence?", 3),
        ("german", 1),
        ("visa", 20),
    ]:
        groups.add(text, score)
    assert [(g.wording, g.count, g.mean_score) for g in groups.gaps(3)] == [
        ("salary?", 2, 11.0),
        ("german", 1, 1.0),
        ("licence?", 1, 3.0),
    ]


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
