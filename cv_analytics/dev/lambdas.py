"""Run the project's Lambda handlers in this process, the way Lambda would.

:func:`cold_start` loads a handler module afresh with the function's environment, as a new Lambda
container does: each module builds its clients and reads its configuration at import, so a fresh
load per stack (or per "deployment", e.g. a fixed processor after a broken one) is what keeps the
runs apart. The module is loaded under a private name and never replaces the importable
``processor.app`` / ``reporter.app``.

:func:`lambda_output` sends what the functions print (powertools' JSON logs and EMF metrics, which
CloudWatch would collect) to a file instead of the operator's terminal.
"""

from __future__ import annotations

import contextlib
import importlib.util
import itertools
import logging
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import boto3

from cv_analytics.dev.emulator import patched_environment

if TYPE_CHECKING:
    from cv_analytics.dev.stack import LocalStack

Handler = Callable[[dict[str, Any], Any], Any]

#: powertools ``Logger`` service names of the project's functions.
SERVICES = ("processor", "reporter")
_loads = itertools.count(1)


def cold_start(module: str, environment: Mapping[str, str], attribute: str = "handler") -> Handler:
    """Load ``module`` (e.g. ``processor.app``) as a new container would, with ``environment``
    set while it initialises; returns its handler."""
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise ImportError(f"cannot find the handler module {module}")
    private = importlib.util.spec_from_file_location(
        f"_cv_analytics_local_{module.replace('.', '_')}_{next(_loads)}", spec.origin
    )
    assert private is not None and private.loader is not None
    loaded = importlib.util.module_from_spec(private)
    with patched_environment(environment):
        private.loader.exec_module(loaded)
    handler: Handler = getattr(loaded, attribute)
    return handler


def _powertools_handlers() -> list[logging.StreamHandler[TextIO]]:
    handlers: list[logging.StreamHandler[TextIO]] = []
    for service in SERVICES:
        for handler in logging.getLogger(service).handlers:
            if isinstance(handler, logging.StreamHandler):
                handlers.append(handler)
    return handlers


def _swap_stream(handler: logging.StreamHandler[TextIO], stream: TextIO) -> TextIO:
    """Point ``handler`` at ``stream``; returns the old one. Unlike ``setStream`` it does not
    flush the old stream, which may be closed (a test's captured output, for instance)."""
    handler.acquire()
    try:
        old = handler.stream
        handler.stream = stream
    finally:
        handler.release()
    return old


@contextlib.contextmanager
def lambda_output(path: Path) -> Iterator[TextIO]:
    """Append everything the functions print in the block to ``path`` (JSON lines).

    Handlers loaded (cold-started) inside the block write there too; when it ends every handler
    goes back to where it wrote before (to standard output if that stream is gone).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as sink, contextlib.redirect_stdout(sink):
        # powertools' Logger keeps the stream it was created with (sys.stdout at the time).
        previous = {id(h): _swap_stream(h, sink) for h in _powertools_handlers()}
        try:
            yield sink
        finally:
            for handler in _powertools_handlers():
                if handler.stream is sink:
                    old = previous.get(id(handler))
                    if old is None or getattr(old, "closed", False):
                        old = sys.__stdout__ or sys.stderr
                    _swap_stream(handler, old)
            sink.flush()


class LocalFunctions:
    """The processor and its expiry function, running against a local stack in the background.

    What Lambda's triggers do in AWS, done here in one thread: the local SQS event source mapping
    polls the events queue (long polls of ``wait_seconds``) and invokes ``processor.app.handler``;
    every ``sweep_seconds`` the local TTL stand-in expires the interim table's due items into
    ``processor.expiry_app.handler``. Failed messages come back after ``retry_delay_seconds``
    (instead of the queue's 3-minute visibility timeout), so the redrive to the dead-letter queue
    after 3 receives happens within a minute.
    """

    def __init__(
        self,
        *,
        sqs: Any,
        dynamodb: Any,
        queue_url: str,
        interim_table: str,
        environment: Mapping[str, str],
        wait_seconds: int = 1,
        retry_delay_seconds: int = 10,
        sweep_seconds: float = 60.0,
    ) -> None:
        from cv_analytics.dev.sqs_trigger import DrainResult, SqsTrigger

        self._dynamodb = dynamodb
        self._interim_table = interim_table
        self._sweep_seconds = sweep_seconds
        self._expiry = cold_start("processor.expiry_app", environment)
        self._trigger = SqsTrigger(
            sqs,
            queue_url,
            cold_start("processor.app", environment),
            wait_time_seconds=wait_seconds,
            retry_delay_seconds=retry_delay_seconds,
        )
        self.processed = DrainResult()
        self.expired = 0
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="local-functions", daemon=True)

    @classmethod
    def for_stack(cls, stack: LocalStack) -> LocalFunctions:
        """The functions of a local stack, with its clients and the processor's environment."""
        session = boto3.session.Session(region_name=stack.aws.region)
        return cls(
            sqs=session.client("sqs", endpoint_url=stack.aws.endpoint_url),
            dynamodb=session.client("dynamodb", endpoint_url=stack.aws.endpoint_url),
            queue_url=stack.resources.queue_url,
            interim_table=stack.resources.interim_table,
            environment={**stack.aws.environment(), **stack.resources.processor_environment()},
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def summary(self) -> str:
        """What the functions did, in one line."""
        done = self.processed
        errors = f"; {len(self.errors)} errors" if self.errors else ""
        return (
            f"processor: {done.received} messages in {done.batches} batches ({done.failed} "
            f"failed); expiry: {self.expired} items expired{errors}"
        )

    def _run(self) -> None:
        from cv_analytics.dev.ttl import expire_items

        next_sweep = time.monotonic() + self._sweep_seconds
        while not self._stop.is_set():
            try:
                batch = self._trigger.poll()
                if batch.received:
                    self.processed.add(batch)
                if time.monotonic() >= next_sweep:
                    next_sweep = time.monotonic() + self._sweep_seconds
                    result = expire_items(self._dynamodb, self._interim_table, self._expiry)
                    self.expired += result.expired
            except Exception as exc:  # noqa: BLE001 - keep serving; the operator sees the count
                self.errors.append(f"{type(exc).__name__}: {exc}")
                self._stop.wait(1.0)


@contextlib.contextmanager
def local_functions(stack: LocalStack, logs: Path | None) -> Iterator[LocalFunctions | None]:
    """Run the stack's functions in the background for the block, their output going to
    ``logs``; with ``logs=None`` nothing runs (resources only) and the block gets ``None``."""
    if logs is None:
        yield None
        return
    with lambda_output(logs):
        functions = LocalFunctions.for_stack(stack)
        functions.start()
        try:
            yield functions
        finally:
            functions.stop()
