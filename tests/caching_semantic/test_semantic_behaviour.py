"""Both semantic caches, same contract: paraphrase hits, partitions, tenants, TTL, eviction, guard, policy."""

from __future__ import annotations

import time

import pytest
from langchain_core.embeddings import Embeddings
from langchain_core.messages import AIMessage, HumanMessage

from langchain_bedrock_routing.caching.context import cache_scope
from langchain_bedrock_routing.caching.semantic_redis import RedisSemanticCache

from .conftest import SemanticFactory, answer, prompt

LLM = "model-a---[('stop', None)]"
STORED = "How do I reverse a list in Python?"
PARAPHRASE = "What's the way to reverse a list in Python?"


def _text(generations) -> str:
    assert generations is not None
    return generations[0].text


def test_paraphrase_hits_with_a_semantic_marker(make_semantic: SemanticFactory):
    cache = make_semantic()
    cache.update(prompt(STORED), LLM, answer("Use reversed()."))
    hit = cache.lookup(prompt(PARAPHRASE), LLM)
    assert _text(hit) == "Use reversed()."
    marker = hit[0].message.response_metadata["cache"]
    assert marker["hit"] is True
    assert marker["kind"] == "semantic"
    assert cache.similarity_threshold <= marker["similarity"] < 1.0
    assert marker["age_s"] >= 0.0
    assert hit[0].message.usage_metadata["output_tokens"] == 5
    exact = cache.lookup(prompt(STORED), LLM)
    assert exact[0].message.response_metadata["cache"]["similarity"] == 1.0
    assert exact[0].message.response_metadata["cache"]["kind"] == "exact"  # the same question: matched exactly
    assert cache.stats.hits == 2


def test_unrelated_question_misses(make_semantic: SemanticFactory):
    cache = make_semantic()
    cache.update(prompt(STORED), LLM, answer("Use reversed()."))
    assert cache.lookup(prompt("What is the boiling point of water?"), LLM) is None
    assert cache.stats.misses == 1


def test_different_documents_never_share_an_answer(make_semantic: SemanticFactory):
    cache = make_semantic()
    doc_a, doc_b = "Document: Acme Q3 earnings report.", "Document: Globex employee handbook."
    cache.update(prompt("Summarize this document.", system=doc_a), LLM, answer("Acme grew 12%."))
    assert cache.lookup(prompt("Summarize this document.", system=doc_b), LLM) is None
    assert cache.lookup(prompt("Summarize the document.", system=doc_b), LLM) is None
    assert _text(cache.lookup(prompt("Summarize this document.", system=doc_a), LLM)) == "Acme grew 12%."


def test_different_earlier_turns_or_models_never_share_an_answer(make_semantic: SemanticFactory):
    cache = make_semantic()
    redis_turns = [HumanMessage("What is Redis?"), AIMessage("An in-memory data store.")]
    kafka_turns = [HumanMessage("What is Kafka?"), AIMessage("A distributed log.")]
    cache.update(prompt("Tell me more about it.", history=redis_turns), LLM, answer("Redis has..."))
    assert cache.lookup(prompt("Tell me more about it.", history=kafka_turns), LLM) is None
    assert cache.lookup(prompt("Tell me more about it."), LLM) is None
    assert cache.lookup(prompt("Tell me more about it.", history=redis_turns), "model-b") is None
    assert _text(cache.lookup(prompt("Tell me more about it.", history=redis_turns), LLM)) == "Redis has..."


def test_tenants_never_see_each_others_answers(make_semantic: SemanticFactory):
    shared = make_semantic()
    with cache_scope(tenant="acme"):
        shared.update(prompt(STORED), LLM, answer("acme's answer"))
        assert _text(shared.lookup(prompt(PARAPHRASE), LLM)) == "acme's answer"
    with cache_scope(tenant="globex"):
        assert shared.lookup(prompt(STORED), LLM) is None
        assert shared.lookup(prompt(PARAPHRASE), LLM) is None
    assert shared.lookup(prompt(STORED), LLM) is None  # no tenant is not a wildcard
    fixed = (
        make_semantic(tenant="globex", namespace="t")
        if hasattr(shared, "namespace")
        else make_semantic(tenant="globex")
    )
    assert fixed.lookup(prompt(STORED), LLM) is None


def test_entries_expire_after_their_ttl(make_semantic: SemanticFactory):
    cache = make_semantic(ttl=0.3)
    cache.update(prompt(STORED), LLM, answer("soon gone"))
    assert cache.lookup(prompt(PARAPHRASE), LLM) is not None
    time.sleep(0.5)
    assert cache.lookup(prompt(STORED), LLM) is None
    assert cache.lookup(prompt(PARAPHRASE), LLM) is None


def test_max_entries_per_partition_evicts_the_oldest(make_semantic: SemanticFactory):
    cache = make_semantic(max_entries_per_partition=2)
    questions = ["How do I boil an egg?", "What is the capital of Peru?", "Why is the sky blue?"]
    for i, question in enumerate(questions):
        cache.update(prompt(question), LLM, answer(f"answer {i}"))
    assert cache.lookup(prompt(questions[0]), LLM) is None
    assert _text(cache.lookup(prompt(questions[1]), LLM)) == "answer 1"
    assert _text(cache.lookup(prompt(questions[2]), LLM)) == "answer 2"
    cache.update(prompt("Other document question?", system="another doc"), LLM, answer("own partition"))
    assert _text(cache.lookup(prompt(questions[2]), LLM)) == "answer 2"


@pytest.mark.parametrize(
    ("stored", "asked"),
    [
        ("What are the cheapest flights from Paris to London?", "What are the cheapest flights from London to Paris?"),
        ("Is it safe to take ibuprofen with coffee?", "Is it not safe to take ibuprofen with coffee?"),
        ("What was the inflation rate in 2008?", "What was the inflation rate in 2020?"),
        (
            "What meetings with the design team do I have today?",
            "What meetings with the design team do I have tomorrow?",
        ),
    ],
)
def test_guard_refuses_near_miss_traps_that_the_threshold_lets_through(make_semantic: SemanticFactory, stored, asked):
    guarded, unguarded = make_semantic(similarity_threshold=0.8), make_semantic(similarity_threshold=0.8, guard=False)
    for cache in (guarded, unguarded):
        cache.clear()
        cache.update(prompt(stored), LLM, answer("stored answer"))
    assert unguarded.lookup(prompt(asked), LLM) is not None  # the embeddings alone would serve it
    assert guarded.lookup(prompt(asked), LLM) is None
    assert guarded.guard_rejections == 1


def test_lookup_then_update_embeds_the_text_once(make_semantic: SemanticFactory):
    cache = make_semantic()
    assert cache.lookup(prompt(STORED), LLM) is None
    cache.update(prompt(STORED), LLM, answer("Use reversed()."))
    assert cache.embedder.calls == 1


async def test_async_paths_match_the_sync_ones(make_semantic: SemanticFactory):
    cache = make_semantic()
    await cache.aupdate(prompt(STORED), LLM, answer("Use reversed()."))
    hit = await cache.alookup(prompt(PARAPHRASE), LLM)
    assert hit[0].message.response_metadata["cache"]["kind"] == "semantic"
    assert await cache.alookup(prompt(STORED, system="other"), LLM) is None
    await cache.aclear()
    assert await cache.alookup(prompt(STORED), LLM) is None
    if isinstance(cache, RedisSemanticCache):
        await cache.aclose()


def test_directives_and_store_policy(make_semantic: SemanticFactory):
    cache = make_semantic()
    with cache_scope(directive="no-store"):
        cache.update(prompt(STORED), LLM, answer("not kept"))
    assert cache.lookup(prompt(STORED), LLM) is None
    cache.update(prompt(STORED), LLM, answer("kept"))
    with cache_scope(directive="no-cache"):
        assert cache.lookup(prompt(STORED), LLM) is None
    with cache_scope(directive="refresh"):
        assert cache.lookup(prompt(STORED), LLM) is None
        cache.update(prompt(STORED), LLM, answer("refreshed"))
    assert _text(cache.lookup(prompt(STORED), LLM)) == "refreshed"
    cut = [
        answer("half an ans")[0].model_copy(
            update={"message": AIMessage("half", response_metadata={"stopReason": "max_tokens"})}
        )
    ]
    cache.update(prompt("Write a long essay."), LLM, cut)
    assert cache.lookup(prompt("Write a long essay."), LLM) is None
    assert cache.stats.skipped == {"truncated": 1}


class _BrokenEmbeddings(Embeddings):
    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        raise ConnectionError("embedding service down")

    def embed_query(self, text: str) -> list[float]:
        raise ConnectionError("embedding service down")


def test_failing_embeddings_are_counted_misses(make_semantic: SemanticFactory):
    cache = make_semantic(embeddings=_BrokenEmbeddings())
    cache.update(prompt(STORED), LLM, answer("never stored"))
    assert cache.lookup(prompt(STORED), LLM) is None
    assert cache.stats.errors == 2
    assert cache.stats.error_misses == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"similarity_threshold": 1.5}, "similarity_threshold must be a number in \\[0, 1\\], got 1.5"),
        ({"similarity_threshold": -0.1}, "got -0.1"),
        ({"ttl": -5}, "ttl must be a positive number of seconds or None .*got -5"),
        ({"max_entries_per_partition": 0}, "max_entries_per_partition must be an int >= 1 .*got 0"),
        ({"guard": "strict"}, "guard must be True, False or a callable"),
        ({"embeddings": "titan"}, "embeddings must be a langchain_core Embeddings, got str"),
    ],
)
def test_bad_settings_are_named_at_construction(make_semantic: SemanticFactory, kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_semantic(**kwargs)
