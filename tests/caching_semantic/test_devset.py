"""The dev set through evals/semantic_cache.py: at the default threshold the guard must earn its keep."""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

from langchain_bedrock_routing.caching.semantic_base import DEFAULT_SIMILARITY_THRESHOLD
from langchain_bedrock_routing.caching.semantic_memory import InMemorySemanticCache
from langchain_bedrock_routing.embeddings import HashingEmbeddings

EVAL = Path(__file__).resolve().parents[2] / "evals" / "semantic_cache.py"


def _eval_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("semantic_cache_eval", EVAL)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_dev_set_is_large_and_covers_every_trap_kind():
    pairs = _eval_module().load_pairs()
    counts = Counter(pair["category"] for pair in pairs)
    assert len(pairs) >= 150
    assert len({pair["id"] for pair in pairs}) == len(pairs)
    for category in ("paraphrase", "negation", "numbers", "dates", "entities", "scope", "topic", "document"):
        assert counts[category] >= 5, category


def test_default_threshold_with_guard_on_the_in_process_cache():
    module = _eval_module()
    results = module.evaluate(InMemorySemanticCache(HashingEmbeddings()), "memory", module.load_pairs())
    at_default = {r.guard: r for r in results if abs(r.threshold - DEFAULT_SIMILARITY_THRESHOLD) < 1e-9}
    guarded, unguarded = at_default[True], at_default[False]
    assert guarded.hit_rate == unguarded.hit_rate  # the guard costs no paraphrase hits here
    assert guarded.hit_rate >= 0.75
    assert guarded.false_hit_rate <= unguarded.false_hit_rate / 4
    assert "document" not in guarded.false_hits_by_category  # partitions, not the guard, keep documents apart
    assert "history" not in unguarded.false_hits_by_category
