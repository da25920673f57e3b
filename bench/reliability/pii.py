"""PII redaction: precision and recall per kind on a labelled set of what visitors type.

The set (``pii_cases.jsonl`` beside this module, one JSON object per line: ``text`` and ``pii``, a
list of ``[kind, value]`` with ``value`` a substring of ``text``) holds strings with personal
data of every kind the edge client's ``redact_pii`` covers, and near-misses that must stay
(order numbers, ISO dates, version strings, prices, years, times, look-alike codes).

Scoring, per kind: a finding is correct when a labelled value of the same kind overlaps it;
*precision* is correct findings over findings, *recall* is labelled values found (by a finding of
their kind) over labelled values. The ``any kind`` row ignores kinds: a card number redacted as a
phone number is still redacted. ``tests/unit/edge_client/test_pii.py`` fails if a figure falls
below what was measured when the set was committed.

    .venv/bin/python -m bench.reliability.pii      # this section alone
    .venv/bin/python -m bench.faults               # the whole reliability report
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bench.reliability import Section
from edge_client.pii import KINDS, PiiMatch, find_pii

CASES_PATH = Path(__file__).with_name("pii_cases.jsonl")
ANY = "any kind"


@dataclass(frozen=True)
class Case:
    text: str
    pii: tuple[tuple[str, str], ...]
    #: ``tuned``: the rules were adjusted until these passed; ``held-out``: written after that and
    #: committed as measured, the honest estimate for text the rules were not fitted to.
    batch: str = "tuned"

    def spans(self) -> list[tuple[str, int, int]]:
        """Each labelled value as (kind, start, end); repeated values are found in turn."""
        spans: list[tuple[str, int, int]] = []
        searched_from: dict[str, int] = {}
        for kind, value in self.pii:
            start = self.text.index(value, searched_from.get(value, 0))
            searched_from[value] = start + len(value)
            spans.append((kind, start, start + len(value)))
        return spans


@dataclass(frozen=True)
class Score:
    kind: str
    labelled: int
    found: int
    correct_findings: int
    labelled_found: int

    @property
    def precision(self) -> float:
        return self.correct_findings / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        return self.labelled_found / self.labelled if self.labelled else 1.0


def load_cases(path: Path = CASES_PATH) -> list[Case]:
    cases = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            data = json.loads(line)
            pii = tuple((kind, value) for kind, value in data["pii"])
            cases.append(Case(data["text"], pii, data.get("batch", "tuned")))
    return cases


def _overlaps(match: PiiMatch, start: int, end: int) -> bool:
    return match.start < end and start < match.end


def evaluate(cases: list[Case]) -> dict[str, Score]:
    """Scores per kind, and for :data:`ANY` kind."""
    counts: dict[str, Counter[str]] = {kind: Counter() for kind in (*KINDS, ANY)}
    for case in cases:
        spans = case.spans()
        found = find_pii(case.text)
        for match in found:
            for kind in (match.kind, ANY):
                counts[kind]["found"] += 1
                if any(
                    (kind == ANY or label == kind) and _overlaps(match, start, end)
                    for label, start, end in spans
                ):
                    counts[kind]["correct"] += 1
        for label, start, end in spans:
            for kind in (label, ANY):
                counts[kind]["labelled"] += 1
                if any(
                    (kind == ANY or match.kind == kind) and _overlaps(match, start, end)
                    for match in found
                ):
                    counts[kind]["labelled_found"] += 1
    return {
        kind: Score(
            kind,
            labelled=count["labelled"],
            found=count["found"],
            correct_findings=count["correct"],
            labelled_found=count["labelled_found"],
        )
        for kind, count in counts.items()
    }


def misses(cases: list[Case]) -> tuple[list[str], list[str]]:
    """Strings with a labelled value not found, and strings with a finding not labelled."""
    missed, spurious = [], []
    for case in cases:
        spans = case.spans()
        found = find_pii(case.text)
        if any(
            not any(m.kind == kind and _overlaps(m, start, end) for m in found)
            for kind, start, end in spans
        ):
            missed.append(
                f"{case.text!r}: found {[(m.kind, case.text[m.start : m.end]) for m in found]}"
            )
        if any(
            not any(kind == m.kind and _overlaps(m, start, end) for kind, start, end in spans)
            for m in found
        ):
            spurious.append(
                f"{case.text!r}: {[(m.kind, case.text[m.start : m.end]) for m in found]}"
            )
    return missed, spurious


def _microseconds_per_string(cases: list[Case], rounds: int) -> float:
    texts = [case.text for case in cases]
    started = time.perf_counter()
    for _ in range(rounds):
        for text in texts:
            find_pii(text)
    return (time.perf_counter() - started) / (rounds * len(texts)) * 1e6


def run(*, quick: bool = False) -> Section:
    cases = load_cases()
    scores = evaluate(cases)
    rows = [
        [
            kind,
            str(score.labelled),
            str(score.found),
            f"{score.precision:.3f}",
            f"{score.recall:.3f}",
        ]
        for kind, score in scores.items()
    ]
    with_pii = sum(1 for case in cases if case.pii)
    held_out = [case for case in cases if case.batch == "held-out"]
    held = evaluate(held_out)[ANY]
    rows.append(
        [
            f"{ANY}, held-out strings only",
            str(held.labelled),
            str(held.found),
            f"{held.precision:.3f}",
            f"{held.recall:.3f}",
        ]
    )
    return Section(
        title="PII redaction (edge client)",
        intro=(
            f"`edge_client.redact_pii` on {len(cases)} labelled strings ({with_pii} with personal "
            f"data, {len(cases) - with_pii} near-misses that must stay: order numbers, ISO dates, "
            "versions, prices, years, times, look-alike codes), from "
            "`bench/reliability/pii_cases.jsonl`. A finding is correct when it overlaps a labelled "
            "value of its kind; `any kind` counts a value redacted under another kind as found. "
            f"The rules were tuned on the first {len(cases) - len(held_out)} strings; the last "
            f"{len(held_out)} were written afterwards and are reported as measured (held-out). "
            "Redaction runs on the client's sender thread, never on the caller's."
        ),
        headers=["kind", "labelled", "found", "precision", "recall"],
        rows=rows,
        totals={
            "strings": len(cases),
            "µs per string (find_pii, mean)": round(
                _microseconds_per_string(cases, 1 if quick else 20), 1
            ),
        },
    )


def main() -> None:
    section = run()
    print(section.markdown())
    missed, spurious = misses(load_cases())
    print("Labelled values missed:", *missed or ["none"], sep="\n- ")
    print("Findings not labelled:", *spurious or ["none"], sep="\n- ")


if __name__ == "__main__":
    main()
