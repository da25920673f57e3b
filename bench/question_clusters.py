"""Benchmark: question clustering, quality and cost.

    .venv/bin/python -m bench.question_clusters

1. Quality on the labelled set ``bench/data/question_intents.json`` (hand-written wordings of
   intents from the simulator's topics, with politeness, filler, word order, typos and near misses
   between intents): pairwise precision and recall of the clusters against the intents, each
   wording counted once. Target: both >= 0.9 (exit status 1 otherwise).
2. Cost at scale: 100,000 questions (the labelled wordings, drawn by a Zipf law over intents and
   varied further in case, punctuation, politeness and typos, plus a long tail of one-off
   questions), counted by wording the way the reporter's week pass does, then clustered. Prints
   wall time (without tracemalloc) and tracemalloc's peak.
"""

from __future__ import annotations

import itertools
import json
import random
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from reporter.clustering import assignments
from reporter.questions import QuestionTally

DATA = Path(__file__).resolve().parent / "data" / "question_intents.json"
QUESTIONS = 100_000
TARGET = 0.9

OPENERS = ("", "", "", "Hi, ", "Hello! ", "Hey ", "Quick question: ", "Sorry, ", "Hi there, ")
CLOSERS = ("", "", "", " thanks", " Thanks!", " please", " cheers", " thank you")
TECH = (
    "Rust", "Scala", "Elixir", "Salesforce", "Unity", "Swift", "PHP", "Oracle", "Azure", "COBOL",
    "Kotlin", "SAP HANA", "Snowflake", "Tableau", "Terraform", "Docker", "PostgreSQL", "Redis",
    "Kafka", "FastAPI", "Django", "gRPC", "GraphQL", "Prometheus", "Spark", "Airflow", "dbt",
    "Flink", "Haskell", "OCaml", "Clojure", "Julia", "MATLAB", "Fortran", "Perl", "Ruby", "Rails",
    "Laravel", "Vue", "Svelte", "Angular", "React", "Next.js", "Deno", "Bun", "Zig", "Nim",
)  # fmt: skip
TAIL = (
    "Have you used {} in production?",
    "How many years of {} do you have?",
    "Would you be able to lead a {} migration?",
    "What do you think about {} versus {}?",
    "Is {} better than {} for a startup?",
    "Could you build our {} platform on {}?",
)


def load() -> dict[str, list[str]]:
    data: dict[str, list[str]] = json.loads(DATA.read_text(encoding="utf-8"))
    data.pop("_about", None)
    return data


def pairwise(labels: dict[str, str], clusters: dict[str, int]) -> tuple[float, float, int, int]:
    tp = fp = fn = 0
    for first, second in itertools.combinations(labels, 2):
        same_intent = labels[first] == labels[second]
        same_cluster = clusters[first] == clusters[second]
        tp += same_intent and same_cluster
        fp += same_cluster and not same_intent
        fn += same_intent and not same_cluster
    return tp / (tp + fp), tp / (tp + fn), tp + fp, tp + fn


def quality() -> tuple[float, float]:
    intents = load()
    labels = {wording: intent for intent, wordings in intents.items() for wording in wordings}
    started = time.perf_counter()
    clusters = assignments(labels)
    elapsed = time.perf_counter() - started
    precision, recall, predicted, actual = pairwise(labels, clusters)
    print(
        f"labelled set: {len(labels)} wordings in {len(intents)} intents -> "
        f"{len(set(clusters.values()))} clusters ({elapsed * 1000:.0f} ms)"
    )
    print(
        f"pairwise precision {precision:.3f} ({predicted} pairs clustered together), "
        f"recall {recall:.3f} ({actual} pairs of the same intent)"
    )
    return precision, recall


def _typo(text: str, rng: random.Random) -> str:
    words = text.split()
    index = rng.randrange(len(words))
    word = words[index]
    if len(word) > 4:
        at = rng.randrange(1, len(word) - 2)
        word = word[:at] + word[at + 1] + word[at] + word[at + 2 :]  # swap two letters
    words[index] = word
    return " ".join(words)


def questions(count: int, seed: int = 100) -> Iterator[str]:
    rng = random.Random(seed)
    wordings = list(load().values())
    weights = [1 / (rank + 1) for rank in range(len(wordings))]  # Zipf over intents
    for _ in range(count):
        if rng.random() < 0.2:  # the long tail: one-off questions
            template = rng.choice(TAIL)
            text = template.format(*rng.sample(TECH, template.count("{}")))
            text += f" (asking for team {rng.randrange(1000)})" if rng.random() < 0.5 else ""
        else:
            text = rng.choice(rng.choices(wordings, weights)[0])
            if rng.random() < 0.3:
                text = rng.choice(OPENERS) + text + rng.choice(CLOSERS)
            if rng.random() < 0.1:
                text = _typo(text, rng)
            if rng.random() < 0.3:
                text = text.lower()
        yield text


def scale(count: int) -> None:
    texts = list(questions(count))
    started = time.perf_counter()
    tally = QuestionTally()
    for text in texts:
        tally.add(text)
    counted = time.perf_counter() - started
    clusters = tally.clusters()
    total = time.perf_counter() - started
    tracemalloc.start()
    tally = QuestionTally()
    for text in texts:
        tally.add(text)
    tally.clusters()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    sizes = Counter(len(c.wordings) for c in clusters.clusters)
    print(
        f"{count:,} questions: {len(tally):,} wordings -> {len(clusters.clusters):,} clusters "
        f"({sum(n for s, n in sizes.items() if s == 1):,} of a single wording); "
        f"count {counted:.2f} s + cluster {total - counted:.2f} s = {total:.2f} s; "
        f"peak memory {peak / 2**20:.1f} MiB (tracemalloc)"
    )


def main() -> int:
    precision, recall = quality()
    scale(QUESTIONS)
    ok = precision >= TARGET and recall >= TARGET
    print(f"target: precision and recall >= {TARGET}: {'met' if ok else 'NOT MET'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
