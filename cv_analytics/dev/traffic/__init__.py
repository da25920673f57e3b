"""A realistic week of chatbot traffic, with the ground truth of what must come out of it.

The simulator is pure: it draws sessions, questions and answers from a seeded random generator and
returns a :class:`Manifest`: the deliveries to make, in the order the chatbot's events reach the
queue, and for every question and every event what the pipeline must make of it. The demo sends
the deliveries and checks the pipeline's result against the manifest
(:mod:`cv_analytics.dev.accounting`).

What a real week holds, and so what the simulator generates:

- visitors' *sessions* of one to a few questions, more on weekdays and in working hours (UTC);
- *popular questions asked again and again in different words* (a weighted topic catalogue with
  several phrasings each, plus casual variations), and a tail of questions the CV cannot answer;
- *unanswered* questions (the chatbot never sent a response event), *failed* answers (the response
  carries ``error``) and *orphans* (the query event was lost, only the response arrives);
- visitors' *feedback* on answers (a thumb or a 1-5 rating, sometimes a comment), mostly after
  the response reaches the queue, sometimes before it;
- two *prompt variants* (A/B arms, assigned per session) of which one is clearly worse: it answers
  "no match" to questions the CV partly answers, and visitors rate it lower;
- on request, a *failure spike*: a burst of visitors during which most answers fail;
- *duplicates* (an event delivered twice, e.g. a retry after a timeout) and *out-of-order*
  delivery (a response that reaches the queue hours before its query);
- a few *malformed* messages that break the contract (sent raw: the edge client would refuse them).

On request, a lighter *history* of the weeks before (:mod:`.history`: a share of the questions
each, two topics not asked yet), joined with the week into one manifest.

Modules: :mod:`.catalogue` (what is drawn from: topics, phrasings, visitors; data in
``catalogue.json``), :mod:`.simulator` (the draws), :mod:`.manifest` (the ground truth),
:mod:`.malformed` (the contract-breaking bodies), :mod:`.history` (the weeks before).
"""

from cv_analytics.dev.traffic.catalogue import Catalogue, Topic, load_catalogue
from cv_analytics.dev.traffic.manifest import (
    Channel,
    Delivery,
    EventKind,
    Manifest,
    QuestionTruth,
)
from cv_analytics.dev.traffic.simulator import Rates, Spike, simulate_week

__all__ = [
    "Catalogue",
    "Channel",
    "Delivery",
    "EventKind",
    "Manifest",
    "QuestionTruth",
    "Rates",
    "Spike",
    "Topic",
    "load_catalogue",
    "simulate_week",
]
