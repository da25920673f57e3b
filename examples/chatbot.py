"""A stand-in for the chatbot's brain, shared by the examples: answers questions about a CV.

No LLM here: a keyword match over a few CV facts is enough to produce what the analytics care
about (how well the CV matched, the answer, token counts, how long it took).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MODEL = "example-keyword-matcher"
#: The prompt version (A/B arm) that produced the answers, sent as the response's ``variant``.
PROMPT_VARIANT = "keywords-v1"

CV_FACTS: dict[str, str] = {
    "terraform": "She wrote the Terraform modules for the queue, the processor and the reporter.",
    "python": "Python is her main language: the edge client, the processor and the reporter.",
    "aws": "She runs the analytics on AWS serverless: SQS FIFO, Lambda, DynamoDB and SES.",
    "kubernetes": "The CV mentions Kubernetes once, for a side project.",
}


@dataclass(frozen=True)
class Answer:
    text: str
    match_type: str  # "full" | "partial" | "none": the contract's MatchType
    match_score: float
    reasoning: str
    input_tokens: int
    output_tokens: int


def answer(question: str) -> Answer:
    words = set(re.findall(r"[a-z]+", question.lower()))
    found = [topic for topic in CV_FACTS if topic in words]
    if not found:
        return Answer(
            "The CV does not say.", "none", 0.0, "no CV topic in the question", len(words), 5
        )
    text = " ".join(CV_FACTS[topic] for topic in found)
    match_type = "full" if len(found) == 1 and found[0] != "kubernetes" else "partial"
    score = 90.0 if match_type == "full" else 55.0
    return Answer(
        text, match_type, score, f"matched {', '.join(found)}", len(words), len(text.split())
    )
