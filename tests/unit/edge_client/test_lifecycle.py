"""flush / close / exit / fork / asyncio: bounded, idempotent, and never hanging."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable

import pytest

from edge_client import DeliveryFailure, EdgeClient, InMemorySink, Settings, lifecycle
from edge_client import delivery as delivery_module
from edge_client.sender import Sender

from .conftest import HANG_GUARD, ScriptedTransport, eventually

Make = Callable[..., EdgeClient]


def test_the_sender_starts_with_the_first_event_not_before(make_client: Make) -> None:
    transport = ScriptedTransport()
    client = make_client(transport=transport)
    assert not client._sender.alive()
    client.track_query(session_id="s", query="q")
    assert client._sender.alive()


def test_flush_keeps_its_deadline_when_delivery_is_stuck(make_client: Make) -> None:
    transport = ScriptedTransport()
    transport.gate.clear()  # every call hangs until the gate opens
    client = make_client(transport=transport)
    client.track_query(session_id="s", query="q")

    assert client.flush(timeout=0.1) is False
    assert client.stats().pending == 1
    transport.gate.set()
    assert client.flush(timeout=HANG_GUARD) is True


def test_flush_waits_only_for_events_tracked_before_it(make_client: Make) -> None:
    transport = ScriptedTransport()
    client = make_client(transport=transport)
    client.track_query(session_id="s", query="before")
    assert client.flush(HANG_GUARD) is True
    assert client.flush(HANG_GUARD) is True  # nothing new: at once
    assert client.stats().sent == 1


def test_close_keeps_its_deadline_and_gives_up_what_is_left(make_client: Make) -> None:
    failures: list[DeliveryFailure] = []
    transport = ScriptedTransport()
    transport.gate.clear()
    client = make_client(transport=transport, on_error=failures.append)
    for index in range(25):
        client.track_query(session_id=f"s{index}", query="q")

    assert client.close(timeout=0.1) is False
    transport.gate.set()  # the call in flight returns; everything else is given up
    assert eventually(lambda: client.stats().pending == 0)
    stats = client.stats()
    assert stats.enqueued == stats.sent + stats.failed == 25
    assert stats.failed >= 15
    assert sum(len(f.request_ids) for f in failures) == stats.failed
    assert {f.reason for f in failures} == {"closed"}


def test_close_is_idempotent_and_refuses_later_events(make_client: Make) -> None:
    sink = InMemorySink()
    client = make_client(transport=sink)
    client.track_query(session_id="s", query="q")
    assert client.close() is True
    assert client.close() is True
    client.track_query(session_id="s", query="late")
    assert client.flush() is True
    stats = client.stats()
    assert (stats.sent, stats.dropped) == (1, 1)
    assert client not in lifecycle.open_clients()


def test_the_context_manager_closes_the_client() -> None:
    sink = InMemorySink()
    with EdgeClient(transport=sink, mode="background") as client:
        client.track_query(session_id="s", query="q")
        assert client in lifecycle.open_clients()
    assert len(sink.messages) == 1
    assert client not in lifecycle.open_clients()


def test_a_dead_sender_does_not_stop_flush_from_delivering(
    make_client: Make, monkeypatch: pytest.MonkeyPatch
) -> None:
    cycle = Sender._cycle

    def crash_on_the_sender_thread(self: Sender, *, deadline: float | None) -> bool:
        if threading.current_thread().name == "edge-client-sender":
            raise RuntimeError("sender bug")
        return cycle(self, deadline=deadline)

    monkeypatch.setattr(Sender, "_cycle", crash_on_the_sender_thread)  # every thread dies
    transport = ScriptedTransport()
    client = make_client(transport=transport)
    client.track_query(session_id="s", query="q")
    assert eventually(lambda: not client._sender.alive())

    assert client.flush(timeout=HANG_GUARD) is True  # delivered on the flushing thread
    assert transport.threads == [threading.current_thread().name]


def test_a_crashing_sender_is_not_restarted_by_every_call(
    make_client: Make, monkeypatch: pytest.MonkeyPatch
) -> None:
    starts: list[int] = []
    start, cycle = Sender.start, Sender._cycle

    def counting_start(self: Sender) -> None:
        starts.append(1)
        start(self)

    def crash(self: Sender, *, deadline: float | None) -> bool:
        if threading.current_thread().name == "edge-client-sender":
            raise RuntimeError("sender bug")
        return cycle(self, deadline=deadline)

    monkeypatch.setattr(Sender, "start", counting_start)
    monkeypatch.setattr(Sender, "_cycle", crash)
    monkeypatch.setattr(delivery_module, "_restart_clock", lambda: 1_000.0)  # time stands still
    client = make_client(transport=ScriptedTransport())
    client.track_query(session_id="s", query="first")
    assert eventually(lambda: not client._sender.alive())
    for index in range(200):
        client.track_query(session_id="s", query=f"q{index}")
    assert len(starts) == 1  # the next restart waits a second; flush() does not wait for it
    monkeypatch.setattr(delivery_module, "_restart_clock", lambda: 1_001.5)  # a second later
    client.track_query(session_id="s", query="later")
    assert len(starts) == 2
    assert client.flush(timeout=HANG_GUARD) is True


def test_a_sender_that_can_no_longer_start_is_replaced_by_the_flushing_thread(
    make_client: Make, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(self: Sender) -> None:
        raise RuntimeError("can't create new thread at interpreter shutdown")

    monkeypatch.setattr(Sender, "start", refuse)
    transport = ScriptedTransport()
    client = make_client(transport=transport)
    client.track_query(session_id="s", query="q")  # never raises into the caller
    assert client.close(timeout=HANG_GUARD) is True
    assert transport.threads == [threading.current_thread().name]


def test_the_exit_hook_delivers_with_its_deadline(make_client: Make) -> None:
    transport = ScriptedTransport()
    client = make_client(transport=transport, settings=Settings(flush_interval=600))
    for index in range(3):
        client.track_query(session_id=f"s{index}", query="q")
    client._close_at_exit(time.monotonic() + HANG_GUARD)
    assert len(transport.accepted) == 3
    assert client not in lifecycle.open_clients()


def test_the_exit_hook_gives_up_at_its_deadline(
    make_client: Make, caplog: pytest.LogCaptureFixture
) -> None:
    transport = ScriptedTransport()
    transport.gate.clear()
    client = make_client(transport=transport, settings=Settings(exit_timeout=0.1))
    client.track_query(session_id="s", query="q")
    client._close_at_exit(time.monotonic() + HANG_GUARD)  # own exit_timeout is the shorter
    assert "1 events not delivered at exit" in caplog.text
    transport.gate.set()


def test_after_fork_the_child_starts_empty_and_sends_only_its_own_events(
    make_client: Make,
) -> None:
    # The hook as os.fork() runs it in the child (the real fork is an integration test).
    transport = ScriptedTransport()
    client = make_client(transport=transport, settings=Settings(flush_interval=600))
    inherited = [client.track_query(session_id="p", query=f"p{n}") for n in range(3)]
    assert client.stats().pending == 3

    client._reset_after_fork()

    assert transport.resets == 1
    assert client.stats().pending == 0
    assert not client._sender.alive()
    own = client.track_query(session_id="c", query="c")
    assert client.flush(HANG_GUARD) is True
    assert [m.body for m in transport.accepted if own in m.body]
    assert not [m for m in transport.accepted if any(rid in m.body for rid in inherited)]


def test_a_closed_client_stays_closed_in_a_child(make_client: Make) -> None:
    client = make_client(transport=InMemorySink())
    client.close()
    client._reset_after_fork()
    client.track_query(session_id="s", query="q")
    assert client.stats().dropped == 1


def test_tracking_from_an_event_loop_never_blocks_it(make_client: Make) -> None:
    transport = ScriptedTransport()
    transport.gate.clear()  # delivery stuck: the loop must keep running regardless
    client = make_client(transport=transport)

    async def handler(index: int) -> str:
        request_id = client.track_query(session_id=f"s{index % 3}", query="q")
        await asyncio.sleep(0)
        return request_id

    async def main() -> tuple[list[str], bool, bool]:
        ids = await asyncio.gather(*(handler(n) for n in range(100)))
        stuck = await client.aflush(timeout=0.05)
        transport.gate.set()
        delivered = await client.aflush(timeout=HANG_GUARD)
        return list(ids), stuck, delivered

    ids, stuck, delivered = asyncio.run(main())
    assert len(set(ids)) == 100
    assert (stuck, delivered) == (False, True)
    assert asyncio.run(client.aclose()) is True
