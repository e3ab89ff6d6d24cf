"""The near-miss guard: traps are refused with a reason, paraphrases pass."""

from __future__ import annotations

import pytest

from langchain_bedrock_routing.caching.guard import near_miss_reason, resolve_guard

TRAPS = [
    ("What are flights from Paris to London?", "What are flights from London to Paris?", "swapped"),
    ("Is Python faster than Java?", "Is Java faster than Python?", "swapped"),
    ("Convert USD to EUR.", "Convert EUR to USD.", "swapped"),
    ("What is the capital of France?", "What is the capital of Germany?", "entities differ"),
    ("Is ibuprofen safe during pregnancy?", "Is ibuprofen not safe during pregnancy?", "negation"),
    ("Why does my code compile?", "Why doesn't my code compile?", "negation"),
    ("How do I make coffee with milk?", "How do I make coffee without milk?", "negation"),
    ("What was revenue in Q3 2023?", "What was revenue in Q3 2024?", "numbers"),
    ("Top 5 sights in Rome", "Top ten sights in Rome", "numbers"),
    ("Summarize the first chapter.", "Summarize the second chapter.", "numbers"),
    ("What happened on March 3rd?", "What happened on March 4th?", "numbers"),
    ("Weather in Berlin tomorrow", "Weather in Berlin today", "dates"),
    ("Show sales for January.", "Show sales for February.", "dates"),
    ("How many users signed up last week?", "How many users signed up last month?", "dates"),
    ("What is the cheapest EC2 instance?", "What is the most expensive EC2 instance?", "opposite"),
    ("How do I enable logging in nginx?", "How do I disable logging in nginx?", "opposite"),
    ("Is the museum closed on Mondays?", "Is the museum open on Mondays?", "opposite"),  # inflected opposites
    ("Why was the job stopped?", "Why was the job started?", "opposite"),
    ("What is the total cost?", "What is the average cost?", "scope"),
]

PARAPHRASES = [
    ("How do I reverse a list in Python?", "In Python, how can I reverse a list?"),
    ("what is the capital of france", "What's the capital of France?"),
    ("What is the GDP of Japan?", "What's Japan's GDP?"),
    ("Convert 5 miles to km", "Convert five miles to km"),
    ("Why doesn't my code compile?", "Why does my code not compile?"),
    ("May I reset my password?", "Can I reset my password?"),
    ("Compare AWS and Azure pricing", "Compare Azure and AWS pricing"),
]


@pytest.mark.parametrize(("query", "cached", "kind"), TRAPS)
def test_traps_are_refused_with_a_reason(query: str, cached: str, kind: str):
    reason = near_miss_reason(query, cached)
    assert reason is not None
    assert kind in reason
    assert near_miss_reason(cached, query) is not None  # symmetric


@pytest.mark.parametrize(("query", "cached"), PARAPHRASES)
def test_paraphrases_pass(query: str, cached: str):
    assert near_miss_reason(query, cached) is None


def test_resolve_guard_choices():
    def custom(query: str, cached: str) -> str | None:
        return "always" if query else None

    assert resolve_guard(True) is near_miss_reason
    assert resolve_guard(False) is None
    assert resolve_guard(custom) is custom
    with pytest.raises(ValueError, match="guard must be True, False or a callable"):
        resolve_guard("yes")  # type: ignore[arg-type]
