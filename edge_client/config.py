"""Tunables of the edge client, with their defaults and the rules that keep them safe.

Every number here trades something: a bigger buffer survives a longer outage but holds more memory;
a longer ``give_up_after`` loses fewer events in an outage but must stay inside SQS FIFO's
five-minute deduplication window, or a retry after an ambiguous timeout could become a duplicate.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Literal

#: SendMessageBatch takes at most 10 entries...
MAX_BATCH_ENTRIES = 10
#: ...and at most 256 KiB of message bodies, per message and per batch.
MAX_BATCH_BYTES = 262_144
#: SQS FIFO drops a message whose deduplication id it accepted in the last five minutes.
DEDUPLICATION_WINDOW_SECONDS = 300.0

Mode = Literal["auto", "background", "serverless"]
ResolvedMode = Literal["background", "serverless"]

#: Set by the AWS Lambda runtime in every function's environment.
LAMBDA_ENV = "AWS_LAMBDA_FUNCTION_NAME"


@dataclass(frozen=True, slots=True)
class Settings:
    """How the client buffers, batches, retries and shuts down. The defaults suit a chatbot."""

    #: Events held in memory (buffered plus awaiting retry); beyond it new events are dropped.
    max_queue_size: int = 10_000
    #: Entries per SendMessageBatch call (1-10).
    batch_size: int = MAX_BATCH_ENTRIES
    #: Longest an event waits for a batch to fill before it is sent anyway, in seconds.
    flush_interval: float = 0.5
    #: An event not delivered this long after it was tracked is given up (counted as failed).
    #: Must stay inside SQS's 5-minute deduplication window so that a retry is never a duplicate.
    give_up_after: float = 120.0
    #: First retry delay; doubles per consecutive failure, with jitter, up to ``retry_max_delay``.
    retry_base_delay: float = 0.1
    retry_max_delay: float = 5.0
    #: botocore socket timeouts for one SendMessageBatch attempt (botocore's own retries are off).
    connect_timeout: float = 1.0
    read_timeout: float = 2.0
    #: Default deadline of ``flush()`` and ``close()``.
    flush_timeout: float = 5.0
    #: Deadline of the flush made by the interpreter's exit hook.
    exit_timeout: float = 2.0
    #: Serverless mode: longest flush at the end of an invocation...
    serverless_flush_timeout: float = 2.0
    #: ...and time kept in hand before the Lambda's own deadline.
    lambda_deadline_margin: float = 0.3
    #: requestId -> sessionId of recent queries, to group a response tracked without sessionId.
    session_memory_size: int = 10_000
    #: At most one log record per kind of problem in this many seconds (the rest are counted).
    log_interval: float = 60.0

    def __post_init__(self) -> None:
        if self.max_queue_size < 1:
            raise ValueError("max_queue_size must be at least 1")
        if not 1 <= self.batch_size <= MAX_BATCH_ENTRIES:
            raise ValueError(f"batch_size must be between 1 and {MAX_BATCH_ENTRIES}")
        for name in (
            "flush_interval",
            "retry_base_delay",
            "retry_max_delay",
            "flush_timeout",
            "exit_timeout",
            "serverless_flush_timeout",
            "lambda_deadline_margin",
            "log_interval",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        for name in ("connect_timeout", "read_timeout", "give_up_after"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        if self.retry_max_delay < self.retry_base_delay:
            raise ValueError("retry_max_delay must be at least retry_base_delay")
        # The last attempt may start just before the give-up time and take a full request; all of
        # it must end inside the deduplication window measured from the first attempt.
        if self.give_up_after + self.connect_timeout + self.read_timeout >= (
            DEDUPLICATION_WINDOW_SECONDS
        ):
            raise ValueError(
                "give_up_after + connect_timeout + read_timeout must stay under SQS's "
                f"{DEDUPLICATION_WINDOW_SECONDS:.0f} s deduplication window"
            )
        if self.session_memory_size < 0:
            raise ValueError("session_memory_size must not be negative")


def resolve_mode(mode: Mode) -> ResolvedMode:
    """``auto`` is serverless inside AWS Lambda (its runtime sets ``AWS_LAMBDA_FUNCTION_NAME``)."""
    if mode == "auto":
        return "serverless" if os.environ.get(LAMBDA_ENV) else "background"
    return mode
