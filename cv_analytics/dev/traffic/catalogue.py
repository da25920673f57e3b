"""What a week of questions to a CV chatbot is made of: the data the simulator draws from.

The data lives in ``catalogue.json`` (package data, next to this module), validated on load:

- ``topics``: what visitors ask. ``weight`` is how often, relative to the others; ``phrasings``
  the ways they ask it (the first is the most common); ``match_type`` and ``score_range`` how the
  CV matches it; ``answer`` and ``reasoning`` the chatbot's reply;
- ``openers``, ``closers``: greetings and thanks people add now and then;
- ``pages``, ``referrers``, ``countries``, ``user_agents``: a session's metadata (repeat a value
  to make it more likely);
- ``models``, ``errors``: which model answered, and what a failed answer says;
- ``day_weights`` (Monday to Sunday) and ``hour_weights`` (00 to 23 UTC): when sessions start;
- ``variants``: the prompt variants (A/B arms) sessions are assigned to, by ``weight``; a variant's
  ``no_match_share`` is the share of its answers that match nothing although the topic would
  (a stricter prompt), answered with its ``no_match_answer``, and ``liked`` multiplies the chance
  that visitors rate its answers positively;
- ``feedback``: how likely a rating is positive for each kind of answer (``full``, ``partial``,
  ``none`` match, ``failed``), how often it is a 1-5 rating rather than a thumb, how often it
  carries a comment, and the comments.

Editing the file changes every simulated week (the seed picks among these values); the tests
check the simulator's properties, not the exact values.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from analytics_contract import MatchType

CATALOGUE_FILE = "catalogue.json"

Texts = Annotated[tuple[str, ...], Field(min_length=1)]
Weight = Annotated[float, Field(ge=0)]


class _Data(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Topic(_Data):
    """A kind of question visitors ask, how the CV matches it, and the chatbot's answer."""

    key: str
    weight: Annotated[float, Field(gt=0)]
    phrasings: Texts
    match_type: MatchType
    score_range: tuple[float, float]
    answer: str
    reasoning: str

    @model_validator(mode="after")
    def _range_in_order(self) -> Topic:
        low, high = self.score_range
        if not 0 <= low <= high <= 100:
            raise ValueError(f"topic {self.key}: score_range must be within 0-100, low first")
        return self


Share = Annotated[float, Field(ge=0, le=1)]


class Variant(_Data):
    """A prompt variant (A/B arm): how often sessions get it and how much worse it matches."""

    name: str
    weight: Annotated[float, Field(gt=0)]
    no_match_share: Share = 0.0
    #: Multiplies the chance that a visitor likes this variant's answers (curter answers: < 1).
    liked: Annotated[float, Field(ge=0)] = 1.0
    no_match_answer: str = "Sorry, I could not find that in the CV."
    no_match_reasoning: str = "No section of the CV matched the question."


class FeedbackHabits(_Data):
    """How visitors rate answers."""

    #: Probability that a rating is positive, by ``match_type`` of the answer, and ``failed``.
    positive: dict[Literal["full", "partial", "none", "failed"], Share]
    rating_share: Share
    comment_share: Share
    positive_comments: Texts
    negative_comments: Texts


class Catalogue(_Data):
    topics: Annotated[tuple[Topic, ...], Field(min_length=1)]
    openers: Texts
    closers: Texts
    pages: Texts
    referrers: Texts
    countries: Texts
    user_agents: Texts
    models: Texts
    errors: Texts
    day_weights: Annotated[tuple[Weight, ...], Field(min_length=7, max_length=7)]
    hour_weights: Annotated[tuple[Weight, ...], Field(min_length=24, max_length=24)]
    #: Empty: responses carry no variant.
    variants: tuple[Variant, ...] = ()
    #: None: visitors never rate answers.
    feedback: FeedbackHabits | None = None


@cache
def load_catalogue() -> Catalogue:
    """The catalogue shipped with the package (read and validated once)."""
    text = files(__package__).joinpath(CATALOGUE_FILE).read_text(encoding="utf-8")
    return Catalogue.model_validate_json(text)
