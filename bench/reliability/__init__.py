"""Sections of the reliability report that ``python -m bench.faults`` prints and writes.

Each section is a module of this package with a ``run(*, quick: bool = False) -> Section``
function, listed in :data:`SECTIONS` in the order the report shows them. A section says what it
tried and how each was answered, in one table, and lists every *problem* it found (an event lost,
placed twice, a DLQ message without a findable reason, a healthy event redriven unprocessed, a
bad input answered differently from the catalogue). The report's verdict is "no problems" only
when every section's list is empty; ``bench.faults`` exits non-zero otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Section modules, in report order (``bench.reliability.<name>``). A module that is not there yet
#: is skipped with a note, so the command keeps working while sections are added.
SECTIONS: tuple[str, ...] = (
    "processor_faults",
    "reporter_faults",
    "bad_inputs",
    "pii",
)


@dataclass
class Section:
    title: str
    intro: str
    headers: list[str]
    rows: list[list[str]]
    #: Figures worth quoting on their own (e.g. {"events lost": 0}), printed under the table.
    totals: dict[str, int | float | str] = field(default_factory=dict)
    #: Every problem found; empty means this section holds.
    problems: list[str] = field(default_factory=list)

    def markdown(self) -> str:
        lines = [f"## {self.title}", "", self.intro, ""]
        lines.append("| " + " | ".join(self.headers) + " |")
        lines.append("| " + " | ".join("---" for _ in self.headers) + " |")
        lines.extend(
            "| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in self.rows
        )
        if self.totals:
            lines.append("")
            lines.extend(f"- {name}: **{value}**" for name, value in self.totals.items())
        lines.append("")
        if self.problems:
            lines.append("Problems found:")
            lines.extend(f"- {problem}" for problem in self.problems)
        else:
            lines.append("No problems found.")
        return "\n".join(lines) + "\n"
