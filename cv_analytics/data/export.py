"""``cv-analytics export``'s use case: the records of a range of weeks, read and written to a file.

Typed against a record source (:class:`RecordSource`: the table reader, or anything that yields
records week by week), so it runs the same on the real table, the local stack and test data.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from analytics_contract.records import AnalyticsRecord
from cv_analytics.data.progress import NoProgress, Progress
from cv_analytics.data.reader import ReadStats
from cv_analytics.data.writers import Format, open_writer


class RecordSource(Protocol):
    stats: ReadStats

    def records(self, weeks: Iterable[str]) -> Iterator[AnalyticsRecord]: ...


@dataclass(frozen=True)
class ExportResult:
    path: Path
    format: Format
    weeks: list[str]
    records: int
    seconds: float
    bytes: int
    stats: ReadStats = field(default_factory=ReadStats)

    @property
    def complete(self) -> bool:
        """Every record the index listed was written (``vanished`` records, deleted while the
        export ran, are not missing: they are gone)."""
        return self.stats.unreadable == 0

    def summary(self) -> str:
        stats = self.stats
        rate = self.records / self.seconds if self.seconds > 0 else 0.0
        weeks = self.weeks[0] if len(self.weeks) == 1 else f"{self.weeks[0]}..{self.weeks[-1]}"
        lines = [
            f"exported {self.records:,} records of {weeks} ({len(self.weeks)} weeks) to "
            f"{self.path} ({self.format}, {self.bytes:,} bytes) in {self.seconds:.1f}s "
            f"({rate:,.0f} records/s)"
        ]
        if stats.unreadable:
            lines.append(
                f"WARNING: {stats.unreadable} records break the contract and were left out "
                "(their requestIds are in the log above)"
            )
        if stats.vanished:
            lines.append(
                f"note: {stats.vanished} records were deleted (TTL) between listing and reading"
            )
        return "\n".join(lines)


def export_records(
    source: RecordSource,
    weeks: list[str],
    path: Path,
    fmt: Format,
    progress: Progress | None = None,
) -> ExportResult:
    """Write every record of ``weeks`` (oldest first) from ``source`` to ``path``."""
    bar = progress or NoProgress()
    started = time.perf_counter()
    bar.start(len(weeks))
    try:
        with open_writer(path, fmt) as writer:
            for week_id in weeks:
                bar.week(week_id)
                for record in source.records([week_id]):
                    writer.write(record)
                    bar.advance()
    finally:
        bar.stop()
    return ExportResult(
        path=path,
        format=fmt,
        weeks=list(weeks),
        records=writer.rows,
        seconds=time.perf_counter() - started,
        bytes=path.stat().st_size,
        stats=source.stats,
    )
