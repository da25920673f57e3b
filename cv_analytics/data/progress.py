"""A progress bar for long reads, on standard error only (standard output carries results).

Drawn with rich when standard error is a terminal; silent otherwise (a log or a pipe gets the
closing summary line instead of redraws).
"""

from __future__ import annotations

import sys
from typing import IO, Any, Protocol


class Progress(Protocol):
    def start(self, weeks: int) -> None: ...

    def week(self, week_id: str) -> None:
        """Reading ``week_id`` begins."""
        ...

    def advance(self, records: int = 1) -> None: ...

    def stop(self) -> None: ...


class NoProgress:
    """Draws nothing."""

    def start(self, weeks: int) -> None:
        return None

    def week(self, week_id: str) -> None:
        return None

    def advance(self, records: int = 1) -> None:
        return None

    def stop(self) -> None:
        return None


class WeeksProgress:
    """A bar over the weeks of a read, with the records read so far and their rate."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TextColumn,
            TimeElapsedColumn,
        )
        from rich.progress import Progress as RichProgress

        console = Console(file=stream or sys.stderr, stderr=stream is None)
        self._bar = RichProgress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("weeks  {task.fields[records]:,} records  {task.fields[rate]}"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self._task: Any = None
        self._records = 0
        self._weeks_done = -1

    def start(self, weeks: int) -> None:
        self._bar.start()
        self._task = self._bar.add_task("exporting", total=weeks, records=0, rate="")

    def week(self, week_id: str) -> None:
        self._weeks_done += 1
        self._bar.update(self._task, completed=self._weeks_done, description=week_id)

    def advance(self, records: int = 1) -> None:
        self._records += records
        if self._records % 500 < records or records > 1:
            elapsed = self._bar.tasks[0].elapsed or 0.0
            rate = f"{self._records / elapsed:,.0f}/s" if elapsed > 0 else ""
            self._bar.update(self._task, records=self._records, rate=rate)

    def stop(self) -> None:
        if self._task is not None:
            self._bar.update(
                self._task,
                completed=self._weeks_done + 1,
                records=self._records,
                description="exported",
            )
        self._bar.stop()


def progress_for(enabled: bool, stream: IO[str] | None = None) -> Progress:
    """A bar on ``stream`` (default: standard error) when enabled and it is a terminal."""
    target = stream or sys.stderr
    if enabled and target.isatty():
        return WeeksProgress(stream)
    return NoProgress()
