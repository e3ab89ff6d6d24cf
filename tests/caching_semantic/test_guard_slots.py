"""One template with another word in one slot is refused; paraphrases of it are still served.

The pairs come from the soak (the trie / bloom-filter pair) and from the kinds of the slot DEV set
(tests/data/guard_subst_dev.jsonl); the TEST set (guard_subst_test.jsonl) is only evaluated by
evals/semantic_cache.py, never asserted on.
"""

from __future__ import annotations

import pytest
from langchain_core.caches import BaseCache

from langchain_bedrock_routing.caching.guard import near_miss_reason
from langchain_bedrock_routing.emulator import BedrockEmulator
from langchain_bedrock_routing.routing.chat_model import RoutedChatBedrock

from .conftest import SemanticFactory

BLOOM = "Describe a bloom filter for a new engineer: the idea, a small example with 7 items, and the common mistakes."
TRIE = "Describe a trie for a new engineer: the idea, a small example with 7 items, and the common mistakes."

SUBSTITUTIONS = [
    (TRIE, BLOOM),
    (
        "Walk a new homeowner through tile grouting: tools needed, one worked example, and what usually goes wrong.",
        "Walk a new homeowner through drywall repair: tools needed, one worked example, and what usually goes wrong.",
    ),
    (
        "how did norm abram recommend fixing a squeaky staircase in an old farmhouse without removing the carpet",
        "how did bob vila recommend fixing a squeaky staircase in an old farmhouse without removing the carpet",
    ),
    (
        "How should I trim the nails of a nervous parrot that hates being picked up?",
        "How should I trim the nails of a nervous rabbit that hates being picked up?",
    ),
    (
        "What is the usual spacing between deck joists in centimeters and why does the board thickness change it?",
        "What is the usual spacing between deck joists in inches and why does the board thickness change it?",
    ),
    (
        "How should I transplant an overgrown clump of hostas in the shade border without killing the plants?",
        "How should I divide an overgrown clump of hostas in the shade border without killing the plants?",
    ),
]

PARAPHRASES = [
    (
        "For a new engineer, describe a bloom filter: the idea, a small example with 7 items, and the common mistakes.",
        BLOOM,
    ),
    (
        "Explain a bloom filter to a new engineer: the idea, a tiny example with 7 items, and the common mistakes.",
        BLOOM,
    ),
    (
        "How do I repair a leaking kitchen faucet without calling a plumber on a weekend?",
        "How do I fix a leaking kitchen faucet without calling a plumber on a weekend?",
    ),
    (
        "Walk a new homeowner through repairing drywall: the tools needed, one worked example, and what usually goes "
        "wrong.",
        "Walk a new homeowner through drywall repair: tools needed, one worked example, and what usually goes wrong.",
    ),
    (
        "How do I repaint a rusty metal garden gate so that the new coat of paint lasts through several wet winters?",
        "How do I repaint a rusty metal garden gate so the new coat lasts through several wet winters?",
    ),
    (
        "Which houseplants survive a north-facing bathroom with almost no direct light in a cold colour-coded flat?",
        "Which houseplants survive a north-facing bathroom with almost no direct light in a cold color-coded flat?",
    ),
]


@pytest.mark.parametrize(("query", "cached"), SUBSTITUTIONS, ids=range(len(SUBSTITUTIONS)))
def test_a_refilled_slot_is_named_both_ways(query: str, cached: str):
    reason = near_miss_reason(query, cached)
    assert reason is not None
    assert "slot substituted" in reason
    assert near_miss_reason(cached, query) is not None


@pytest.mark.parametrize(("query", "cached"), PARAPHRASES, ids=range(len(PARAPHRASES)))
def test_reordered_inflected_and_synonym_paraphrases_pass(query: str, cached: str):
    assert near_miss_reason(query, cached) is None
    assert near_miss_reason(cached, query) is None


def test_a_short_question_is_left_to_the_embedding():
    """Four content words around the slot are too few: short paraphrases swap words most ("keep"/"stay")."""
    assert (
        near_miss_reason(
            "How can I bake chicken breast and stay juicy?", "How can I bake chicken breast and keep juicy?"
        )
        is None
    )


def _ask(cache: BaseCache, question: str) -> str:
    reply = RoutedChatBedrock(cache=cache).invoke(question)
    return "hit" if reply.response_metadata.get("cache", {}).get("hit") else "billed"


def test_the_soak_trie_question_is_not_served_the_bloom_filter_answer(
    emulator: BedrockEmulator, make_semantic: SemanticFactory
):
    cache = make_semantic()
    assert _ask(cache, BLOOM) == "billed"
    assert _ask(cache, TRIE) == "billed"
    assert cache.guard_rejections == 1
    assert _ask(cache, PARAPHRASES[0][0]) == "hit"
    assert len(emulator.requests) == 2
