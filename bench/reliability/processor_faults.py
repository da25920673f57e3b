"""Faults at every AWS call of the processor and its expiry path: does every event still end in
exactly one place?

For each workload (one question's events in a given order, a healthy question of the same session
and an invalid message in the same FIFO group), a fault-free run lists the calls made about the
question (DynamoDB) and for the batch (the DLQ, the queue's redrive policy), function by function:
those are the call sites. Then, for every call site and every kind of fault, the workload runs
again on moto with the fault injected at that call (botocore event hooks:
:mod:`tests.support.aws_faults`), through the real queue (receive counts, SQS's redrive after
``maxReceiveCount``), the processor, the interim table's TTL and the expiry function
(:mod:`tests.support.processor_harness`), and the balance is checked:

1. after the faulty run and the parks' expiry: every event sent is in exactly one place (its
   record, or the DLQ), every DLQ message's reason can be found (its attributes, else the note
   kept beside it, else the log line with its message id), and no healthy event was redriven;
2. after a DLQ replay (the fix deployed): every valid event is in its record, the invalid one back
   in the DLQ, nothing parked.

Kinds of fault: transient (one failed call), throttling (two), a crash after the call took effect
(the caller sees an error), an invocation that dies after the call took effect (Lambda's timeout:
the whole batch comes back), and a failure that lasts through the last receive, alone, with the
DLQ unreachable too, or with the last-receive check failing too. At the expiry function's calls a
lasting failure lasts three attempts (the stream retries a record until it succeeds).

Plus every interleaving of two invocations for the same request id, call by call (a query and its
response, a query and a feedback, a response and a feedback), as the correlator's tests run them.
"""

from __future__ import annotations

import itertools
import json
import os
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from moto import mock_aws

from analytics_contract import (
    AnalyticsRecord,
    FeedbackEvent,
    QueryEvent,
    ResponseEvent,
    parse_event_json,
)
from bench.reliability import Section
from cv_analytics.dev.emulator import emulator_credentials
from processor.correlator import Correlator, Request
from processor.ports import Parked
from processor.records import (
    differing_fields,
    query_view,
    recorded_query_view,
    recorded_response_view,
    response_view,
)
from processor.repository import Repository
from tests.support.aws_faults import (
    Fault,
    When,
    connection_lost,
    died,
    queue_missing,
    read_timeout,
    throttled,
)
from tests.support.processor_harness import BASE_TS, Clients, Harness
from tests.support.store_doubles import KeptEvidence, ScheduledStore, Turnstile

VICTIM, BYSTANDER, GROUP = "v", "b", "sess-v"
INVALID_BODY = '{"eventType": "query", "requestId": "v"'  # cut off in transit: not JSON
HEALTHY = ("q2", "r2")


def bodies(victim: str = VICTIM) -> dict[str, str]:
    """The events of a workload, by key: the victim's (q, r, f), the bystander's, the invalid."""
    session = {"schemaVersion": 1, "sessionId": GROUP}
    query = {**session, "eventType": "query", "query": "What is her notice period?"}
    response = {
        **session,
        "eventType": "response",
        "matchType": "partial",
        "matchScore": 61.5,
        "response": "One month.",
        "model": "m",
        "variant": "prompt-a",
    }
    return {
        "q": json.dumps({**query, "requestId": victim, "timestamp": BASE_TS}),
        "r": json.dumps({**response, "requestId": victim, "timestamp": BASE_TS + 900}),
        "f": json.dumps(
            {
                **session,
                "eventType": "feedback",
                "requestId": victim,
                "timestamp": BASE_TS + 60_000,
                "rating": 4,
            }
        ),
        "q2": json.dumps({**query, "requestId": BYSTANDER, "timestamp": BASE_TS + 5}),
        "r2": json.dumps({**response, "requestId": BYSTANDER, "timestamp": BASE_TS + 905}),
        "bad": INVALID_BODY,
    }


@dataclass(frozen=True)
class Workload:
    name: str
    steps: tuple[tuple[str, ...], ...]  # each step: events sent together, then drained

    @property
    def keys(self) -> list[str]:
        return [key for step in self.steps for key in step]


WORKLOADS = (
    Workload("query, then response", (("q", "bad", "q2"), ("r", "r2"))),
    Workload("response first", (("r", "bad", "r2"), ("q", "q2"))),
    Workload("same batch", (("q", "r", "bad", "q2", "r2"),)),
    Workload("feedback first", (("f", "bad", "q2"), ("q", "r2"), ("r",))),
    Workload("feedback on a complete record", (("q", "r", "q2", "r2"), ("f", "bad"))),
    Workload("no query ever (orphans)", (("r", "f", "bad", "q2"), ("r2",))),
)


@dataclass(frozen=True)
class Kind:
    name: str
    error: Callable[[str], BaseException]
    when: When
    times: int | None  # None: until healed (through the last receive)
    dlq_unreachable: bool = False
    check_fails: bool = False
    notes_fail: bool = False

    @property
    def lasting(self) -> bool:
        return self.times is None


KINDS = (
    Kind("transient", connection_lost, "before", 1),
    Kind("throttling", throttled, "before", 2),
    Kind("crash after the call", read_timeout, "after", 1),
    Kind("invocation dies after the call", died, "after", 1),
    Kind("lasting", connection_lost, "before", None),
    Kind("lasting, DLQ unreachable", connection_lost, "before", None, dlq_unreachable=True),
    Kind("lasting, last-receive check fails", connection_lost, "before", None, check_fails=True),
    Kind(
        "lasting, DLQ unreachable, note fails",
        connection_lost,
        "before",
        None,
        dlq_unreachable=True,
        notes_fail=True,
    ),
)
QUICK_KINDS = ("transient", "invocation dies after the call", "lasting", "lasting, DLQ unreachable")
QUICK_WORKLOADS = ("response first", "no query ever (orphans)")


@dataclass(frozen=True, order=True)
class Site:
    function: str  # "processor" or "expiry"
    operation: str
    table: str  # "analytics", "interim", "dlq", "queue"

    def __str__(self) -> str:
        return f"{self.function}: {self.operation} {self.table}"

    def applies(self, kind: Kind, *, takes_effect: bool = True) -> bool:
        """Whether ``kind`` can happen at this call (a fault after the call took effect needs
        a call that takes effect: in some workloads every call of a site fails its condition)."""
        if kind.when == "after" and not takes_effect:
            return False
        combined = kind.dlq_unreachable or kind.check_fails or kind.notes_fail
        return not (combined and (self.function == "expiry" or self.table in ("dlq", "queue")))


@dataclass
class Tally:
    scenarios: int = 0
    reached: int = 0
    events: int = 0
    once: int = 0
    twice: int = 0
    lost: int = 0
    reasonless: int = 0
    only_logged: int = 0
    healthy_redriven: int = 0
    replay_failures: int = 0

    def add(self, other: Tally) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class Report:
    by_site: dict[Site, dict[str, Tally]] = field(default_factory=dict)
    total: Tally = field(default_factory=Tally)
    problems: list[str] = field(default_factory=list)
    interleavings: Counter[str] = field(default_factory=Counter)


@contextmanager
def emulated() -> Iterator[None]:
    """moto in-process, with fake credentials: nothing here can reach a real account."""
    with emulator_credentials():
        endpoint = os.environ.pop("AWS_ENDPOINT_URL", None)  # in-process, not a server's
        try:
            with mock_aws():
                yield
        finally:
            if endpoint is not None:
                os.environ["AWS_ENDPOINT_URL"] = endpoint


def _table_of(harness: Harness, resource: str) -> str | None:
    if resource == harness.names.analytics_table:
        return "analytics"
    if resource == harness.names.interim_table:
        return "interim"
    if resource == harness.resources.dead_letter_queue_url:
        return "dlq"
    if resource.endswith("/" + harness.names.queue):
        return "queue"
    return None


def _resource(harness: Harness, table: str) -> str:
    return {
        "analytics": harness.names.analytics_table,
        "interim": harness.names.interim_table,
        "dlq": harness.resources.dead_letter_queue_url,
        "queue": "/" + harness.names.queue,
    }[table]


def _play(harness: Harness, workload: Workload, events: dict[str, str]) -> None:
    for step in workload.steps:
        harness.send([(events[key], GROUP) for key in step])
        harness.drain()


def call_sites(workload: Workload, clients: Clients) -> dict[Site, bool]:
    """The calls a fault-free run makes about the victim, and for the batch, per function; for
    each, whether one of them took effect."""
    harness = Harness(clients=clients)
    _play(harness, workload, bodies())
    harness.expire()
    sites: dict[Site, bool] = {}
    for function, injector in (
        ("processor", harness.injector),
        ("expiry", harness.expiry_injector),
    ):
        effective = set(injector.effective)
        for call in injector.calls:
            operation, resource, ids = call
            table = _table_of(harness, resource)
            if table is None or (table in ("analytics", "interim") and VICTIM not in ids):
                continue
            site = Site(function, operation, table)
            sites[site] = sites.get(site, False) or call in effective
    return dict(sorted(sites.items()))


def _in_record(event: Any, record: AnalyticsRecord | None) -> bool:
    if record is None:
        return False
    if isinstance(event, QueryEvent):
        return record.query is not None and not differing_fields(
            query_view(event), recorded_query_view(record)
        )
    if isinstance(event, ResponseEvent):
        return record.match_type is not None and not differing_fields(
            response_view(event), recorded_response_view(record)
        )
    if isinstance(event, FeedbackEvent):
        return record.feedback is not None and (
            record.feedback == event.feedback() or record.feedback.timestamp > event.timestamp
        )
    return False


def _in_park(event: Any, held: dict[str, Any] | None) -> bool:
    if held is None:
        return False
    field_name = "event" if isinstance(event, ResponseEvent) else "feedback"
    stored = held.get(field_name)
    return stored is not None and parse_event_json(str(stored)) == event


def balance(
    harness: Harness, events: dict[str, str], keys: list[str], label: str, problems: list[str]
) -> Tally:
    """Where each event sent is: once, twice or nowhere; and every dead letter's reason."""
    tally = Tally(events=len(keys))
    records = harness.records()
    parked = harness.parked()
    letters = harness.receive_dead_letters(delete=False)
    for key in keys:
        body = events[key]
        copies = sum(1 for letter in letters if letter.body == body)
        places = copies
        if key != "bad":
            event = parse_event_json(body)
            places += _in_record(event, records.get(event.request_id))
            places += _in_park(event, parked.get(event.request_id))
        if places == 1:
            tally.once += 1
        elif places == 0:
            tally.lost += 1
            problems.append(f"{label}: event {key} lost")
        else:
            tally.twice += 1
            problems.append(f"{label}: event {key} in {places} places")
        if key in HEALTHY and copies:
            tally.healthy_redriven += 1
            problems.append(f"{label}: healthy event {key} in the dead-letter queue")
    for letter in letters:
        if harness.reason_of(letter) is None:
            if harness.logged_reason(letter) is None:
                tally.reasonless += 1
                problems.append(f"{label}: dead letter {letter.body[:40]!r} without a reason")
            else:
                tally.only_logged += 1
    return tally


def replayed(harness: Harness, events: dict[str, str], keys: list[str]) -> bool:
    """After a replay of the DLQ: every valid event in its record, only the invalid one left."""
    harness.replay()
    harness.drain()
    harness.expire()
    records = harness.records()
    for key in keys:
        if key == "bad":
            continue
        event = parse_event_json(events[key])
        if not _in_record(event, records.get(event.request_id)):
            return False
    letters = harness.receive_dead_letters(delete=False)
    return [letter.body for letter in letters] == [INVALID_BODY] and not harness.parked()


def run_scenario(
    workload: Workload, site: Site, kind: Kind, clients: Clients, problems: list[str]
) -> Tally:
    label = f"{workload.name} / {site} / {kind.name}"
    harness = Harness(clients=clients)
    events = bodies()
    target = harness.injector if site.function == "processor" else harness.expiry_injector
    times = kind.times if kind.times is not None or site.function == "processor" else 3
    fault = Fault(
        site.operation,
        _resource(harness, site.table),
        error=kind.error,
        when=kind.when,
        request_id=VICTIM if site.table in ("analytics", "interim") else None,
        times=times,
        label=label,
    )
    extra = []
    if kind.dlq_unreachable:
        extra.append(
            Fault("SendMessage", harness.resources.dead_letter_queue_url, error=queue_missing)
        )
    if kind.check_fails:
        extra.append(Fault("GetItem", harness.names.analytics_table, request_id=VICTIM))
    if kind.notes_fail:
        extra.append(Fault("PutItem", harness.names.interim_table))
    if site.function == "processor":
        for each in (fault, *extra):
            target.add(each)
    _play(harness, workload, events)
    harness.injector.heal()
    if site.function == "expiry":
        target.add(fault)
    harness.expire()
    harness.expiry_injector.heal()
    tally = balance(harness, events, workload.keys, label, problems)
    tally.scenarios = 1
    tally.reached = int(fault.hits > 0)
    if not replayed(harness, events, workload.keys):
        tally.replay_failures += 1
        problems.append(f"{label}: the DLQ replay did not restore every event")
    return tally


# -- every interleaving of two invocations for one request id -----------------------------------


def interleavings(quick: bool, clients: Clients, problems: list[str]) -> Counter[str]:
    """Every order of the two sides' store calls (4 each at most), per pair of event types."""
    pairs = {"query + response": ("q", "r"), "query + feedback": ("q", "f"),
             "response + feedback": ("r", "f")}  # fmt: skip
    if quick:
        pairs = {"query + response": ("q", "r")}
    done: Counter[str] = Counter()
    harness = Harness(clients=clients)
    repository = Repository(
        harness.peek_dynamodb,
        analytics_table=harness.names.analytics_table,
        interim_table=harness.names.interim_table,
    )
    for name, (first, second) in pairs.items():
        for number, schedule in enumerate(sorted(set(itertools.permutations("AAAABBBB")))):
            request_id = f"{first}{second}-{number}"
            events = _events_for(request_id)
            errors = _interleave(
                harness,
                repository,
                schedule,
                {"A": _request(events, first), "B": _request(events, second)},
            )
            if errors:
                problems.append(f"interleaving {name} {''.join(schedule)}: {errors[0]}")
                continue
            if not _settled(harness, repository, events, (first, second)):
                problems.append(f"interleaving {name} {''.join(schedule)}: not in one place")
                continue
            done[name] += 1
    return done


def _interleave(
    harness: Harness, repository: Repository, schedule: tuple[str, ...], sides: dict[str, Request]
) -> list[BaseException]:
    """Run the two sides in threads, their store calls in the order of ``schedule``."""
    turnstile = Turnstile(schedule)
    errors: list[BaseException] = []
    evidence = KeptEvidence()

    def side(me: str, request: Request) -> None:
        correlator = Correlator(
            ScheduledStore(repository, turnstile, me),
            correlation_window_seconds=86_400,
            record_ttl_days=90,
            clock=harness.clock,
            evidence=evidence,
        )
        try:
            correlator.process(request)
        except BaseException as error:  # noqa: BLE001 - reported by the caller
            errors.append(error)
        finally:
            turnstile.finish(me)

    threads = [threading.Thread(target=side, args=item) for item in sides.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    errors.extend(
        RuntimeError(f"conflict kept as evidence: {reason}") for _, reason in evidence.kept
    )
    return errors


def _events_for(request_id: str) -> dict[str, Any]:
    events = bodies(request_id)
    return {key: parse_event_json(events[key]) for key in ("q", "r", "f")}


def _request(events: dict[str, Any], key: str) -> Request:
    event = events[key]
    kind = {"q": "query", "r": "response", "f": "feedback"}[key]
    return Request(event.request_id, **{kind: event})


def _settled(
    harness: Harness, repository: Repository, events: dict[str, Any], keys: tuple[str, str]
) -> bool:
    """Each of the two events in exactly one place: the record, or (no query) one park, which
    the expiry then records as an orphan."""
    request_id = events[keys[0]].request_id
    record = repository.record(request_id)
    held = repository.parked(request_id)
    for key in keys:
        event = events[key]
        in_record = _in_record(event, record)
        in_park = held is not None and (
            held.response == event if key == "r" else held.feedback == event
        )
        if in_record + in_park != 1:
            return False
    if held is not None:
        if "q" in keys:
            return False  # with its query recorded, nothing may stay parked
        correlator = Correlator(
            repository,
            correlation_window_seconds=86_400,
            record_ttl_days=90,
            clock=harness.clock,
            evidence=KeptEvidence(),
        )
        correlator.expire(request_id, Parked(held.response, held.feedback))
        repository.unpark(request_id)
        record = repository.record(request_id)
        return all(_in_record(events[key], record) for key in keys)
    return True


# -- the section ----------------------------------------------------------------------------------


def collect(*, quick: bool = False) -> Report:
    report = Report()
    workloads = [w for w in WORKLOADS if not quick or w.name in QUICK_WORKLOADS]
    kinds = [k for k in KINDS if not quick or k.name in QUICK_KINDS]
    with emulated():
        clients = Clients.create()
        for workload in workloads:
            for site, takes_effect in call_sites(workload, clients).items():
                for kind in kinds:
                    if not site.applies(kind, takes_effect=takes_effect):
                        continue
                    tally = run_scenario(workload, site, kind, clients, report.problems)
                    report.by_site.setdefault(site, {}).setdefault(kind.name, Tally()).add(tally)
                    report.total.add(tally)
        report.interleavings = interleavings(quick, clients, report.problems)
    return report


INTRO = (
    "Every DynamoDB and SQS call the processor and its expiry function make for a workload (one "
    "question's events in a given order, a healthy question of the same session and an invalid "
    "message in the same FIFO group) is a call site; each kind of fault is injected at each site "
    "(botocore hooks, before or after the call took effect) and the workload runs through a real "
    "FIFO queue on moto (receive counts, SQS's redrive after maxReceiveCount), the processor, the "
    "interim table's TTL and the expiry function. Then the balance: every event sent in exactly "
    "one place (its record or the DLQ), every DLQ message's reason findable (its attributes, the "
    "note beside it, or the log line with its message id), no healthy event redriven; and after "
    "a DLQ replay every valid event in its record. Each cell: scenarios where the fault was "
    "reached / scenarios run, and whether the balance held; '-' where the kind cannot happen (a "
    "fault after the call needs a call that takes effect, and in some workloads every call of a "
    "site fails its condition; the combined kinds apply to the processor's DynamoDB calls). A "
    "throttling fault here is one that outlasted botocore's own retries (standard mode, 3 "
    "attempts)."
)


def _cell(tally: Tally | None) -> str:
    if tally is None:
        return "-"
    bad = tally.twice + tally.lost + tally.reasonless + tally.healthy_redriven
    bad += tally.replay_failures
    mark = "ok" if not bad else f"{bad} problem(s)"
    return f"{tally.reached}/{tally.scenarios} {mark}"


def run(*, quick: bool = False) -> Section:
    report = collect(quick=quick)
    kinds = [k.name for k in KINDS if not quick or k.name in QUICK_KINDS]
    rows = [
        [str(site), *[_cell(by_kind.get(kind)) for kind in kinds]]
        for site, by_kind in sorted(report.by_site.items())
    ]
    total = report.total
    interleaved = sum(report.interleavings.values())
    return Section(
        title="Processor and expiry: faults at every AWS call",
        intro=INTRO
        + " Workloads: "
        + "; ".join(w.name for w in WORKLOADS if not quick or w.name in QUICK_WORKLOADS)
        + ".",
        headers=["call site", *kinds],
        rows=rows,
        totals={
            "faults injected (kinds x call sites, reached)": total.reached,
            "scenarios run": total.scenarios,
            "events sent": total.events,
            "events placed exactly once": total.once,
            "events in two places": total.twice,
            "events lost": total.lost,
            "DLQ messages whose reason cannot be found": total.reasonless,
            "DLQ messages whose reason is only in the log": total.only_logged,
            "healthy events redriven unprocessed": total.healthy_redriven,
            "DLQ replays that did not restore every event": total.replay_failures,
            "interleavings of two invocations, each event once": (
                f"{interleaved} ("
                + ", ".join(f"{name}: {count}" for name, count in report.interleavings.items())
                + ")"
            ),
        },
        problems=report.problems,
    )
