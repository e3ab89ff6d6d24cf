"""Word-order swaps and one-word changes in long prompts are refused, end to end through both semantic caches.

The pairs here come from the issue and from the guard's DEV trap set's kinds (tests/data/guard_traps_dev.jsonl);
the TEST set (guard_traps_test.jsonl) is only evaluated by evals/semantic_cache.py, never asserted on.
"""

from __future__ import annotations

import pytest

from langchain_bedrock_routing.caching.guard import near_miss_reason

from .conftest import SemanticFactory, answer, prompt

LLM = "llm-a"


def _long(word: str) -> str:
    """The issue's trap: a code word, then 30 clauses, then the question."""
    clauses = [f"Clause {n}: the {animal} walked to the {place}" for n, (animal, place) in enumerate(_FILLER, 1)]
    return f"The code word is {word}. " + ". ".join(clauses) + ". What is the code word?"


_FILLER = [
    (a, p) for a in ("hen", "goat", "calf", "dog", "cat", "pony") for p in ("barn", "pond", "field", "shed", "well")
]

TRAPS = [
    ("Convert 12 inches to centimeters", "Convert 12 centimeters to inches", "swapped"),
    (_long("truck"), _long("ship"), "words differ in a long text"),
    ("How do I convert 3 tablespoons into teaspoons?", "How do I convert 3 teaspoons into tablespoons?", "swapped"),
    ("butter vs margarine for baking?", "margarine vs butter for baking?", "swapped"),
    (
        "How do I move the cows from the barn to the field?",
        "How do I move the cows from the field to the barn?",
        "swapped",
    ),
    ("Is a pumpkin heavier than a watermelon?", "Is a watermelon heavier than a pumpkin?", "swapped"),
    (
        "Translate 'The bread is fresh.' from italian to english.",
        "Translate 'The bread is fresh.' from english to italian.",
        "swapped",
    ),
    ("Does the dog chase the cat around the barn?", "Does the cat chase the dog around the barn?", "exchanged"),
    (_long("apple").replace("Clause 17: the dog", "Clause 17: the muddy dog"), _long("apple"), "long text"),
]

STILL_HITS = [
    ("Convert 12 inches to centimeters.", "Please convert 12 inches to centimeters."),
    ("Is a pumpkin heavier than a watermelon?", "Is a pumpkin really heavier than a watermelon?"),
    (_long("truck"), _long("truck").replace("What is the code word?", "What's the code word?")),
    ("What's the difference between TCP and UDP?", "What's the difference between UDP and TCP?"),
    ("How do I improve my sleep quality?", "How can I improve the quality of my sleep?"),
]


@pytest.mark.parametrize(("query", "cached", "kind"), TRAPS, ids=range(len(TRAPS)))
def test_the_guard_names_the_difference_both_ways(query: str, cached: str, kind: str):
    reason = near_miss_reason(query, cached)
    assert reason is not None
    assert kind in reason
    assert near_miss_reason(cached, query) is not None


@pytest.mark.parametrize(("query", "cached"), STILL_HITS, ids=range(len(STILL_HITS)))
def test_rephrasings_without_a_changed_meaning_pass(query: str, cached: str):
    assert near_miss_reason(query, cached) is None


@pytest.mark.parametrize(("query", "cached", "kind"), TRAPS[:2], ids=["swap", "long"])
def test_the_issue_examples_are_not_served_by_either_cache(
    make_semantic: SemanticFactory, query: str, cached: str, kind: str
):
    cache = make_semantic()
    cache.update(prompt(cached), LLM, answer("the cached answer"))
    assert cache.lookup(prompt(query), LLM) is None
    assert cache.guard_rejections == 1
    assert cache.lookup(prompt(cached), LLM) is not None


@pytest.mark.parametrize(("stored", "asked"), [("a \ud800 b", "a \udc00 b"), ("code \ud800", "code")])
def test_questions_that_differ_only_in_a_surrogate_do_not_share_an_answer(
    make_semantic: SemanticFactory, stored: str, asked: str
):
    cache = make_semantic()
    cache.update(prompt(f"What does this stand for: {stored}"), LLM, answer("one"))
    assert cache.lookup(prompt(f"What does this stand for: {stored}"), LLM) is not None
    assert cache.lookup(prompt(f"What does this stand for: {asked}"), LLM) is None
    assert cache.stats.errors == 0
