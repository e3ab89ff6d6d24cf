"""The dev set through evals/semantic_cache.py: at the default threshold the guard must earn its keep."""

from __future__ import annotations

from collections import Counter

from evals.semantic_cache import load_pairs, score_pairs
from evals.semantic_cv import Setting, rates
from langchain_bedrock_routing.caching.semantic_base import DEFAULT_SIMILARITY_THRESHOLD
from langchain_bedrock_routing.caching.semantic_memory import InMemorySemanticCache
from langchain_bedrock_routing.embeddings import HashingEmbeddings


def test_dev_set_is_large_and_covers_every_trap_kind():
    pairs = load_pairs()
    counts = Counter(pair["category"] for pair in pairs)
    assert len(pairs) >= 150
    assert len({pair["id"] for pair in pairs}) == len(pairs)
    for category in ("paraphrase", "negation", "numbers", "dates", "entities", "scope", "topic", "document"):
        assert counts[category] >= 5, category


def test_default_threshold_with_guard_on_the_in_process_cache():
    scored = score_pairs(InMemorySemanticCache(HashingEmbeddings()), load_pairs())
    guarded = rates(scored, Setting("on", DEFAULT_SIMILARITY_THRESHOLD))
    first_stage = rates(scored, Setting("checks only", DEFAULT_SIMILARITY_THRESHOLD))
    unguarded = rates(scored, Setting("off", DEFAULT_SIMILARITY_THRESHOLD))
    assert first_stage.true_hits == unguarded.true_hits  # the guard's checks cost no paraphrase hits here
    assert first_stage.wrong_rate <= unguarded.wrong_rate / 4
    assert guarded.hit_rate >= 0.7  # the second stage asks reworded questions to score higher
    assert guarded.wrong <= first_stage.wrong / 2
    assert "document" not in guarded.wrong_by_kind  # partitions, not the guard, keep documents apart
    assert "history" not in unguarded.wrong_by_kind
