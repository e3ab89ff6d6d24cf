"""warm_cache / awarm_cache against the offline emulator and a real redis-server: idempotency, the key later
calls use, tenants, store policy, failures and costs."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal

import pytest
from langchain_aws import ChatBedrockConverse
from langchain_core.caches import InMemoryCache
from langchain_core.globals import set_llm_cache
from langchain_core.messages import HumanMessage, SystemMessage

from langchain_bedrock_routing import RoutedChatBedrock
from langchain_bedrock_routing.caching import CachePolicy, InMemoryExactCache, RedisCache, RedisSemanticCache
from langchain_bedrock_routing.emulator import BedrockEmulator
from langchain_bedrock_routing.testing import RedisServer
from langchain_bedrock_routing.warming.prompts import WarmPrompt
from langchain_bedrock_routing.warming.report import WarmResult
from langchain_bedrock_routing.warming.run import awarm_cache, warm_cache

RedisCaches = Callable[..., RedisCache | RedisSemanticCache]
NOVA = "amazon.nova-micro-v1:0"
QUESTIONS = [
    "How many people can a notebook be shared with?",
    "Which platforms does the desktop app run on?",
    "Does search look inside attached PDF files?",
]


def _nova(**kwargs: object) -> ChatBedrockConverse:
    return ChatBedrockConverse(model=NOVA, region_name="us-east-1", **kwargs)  # type: ignore[arg-type]


def _routed() -> RoutedChatBedrock:
    return RoutedChatBedrock(preset="nova", region_name="us-east-1")


@pytest.mark.parametrize("semantic", [False, True], ids=["RedisCache", "RedisSemanticCache"])
def test_second_warm_pays_nothing_and_later_invokes_are_hits(
    emulator: BedrockEmulator, redis_caches: RedisCaches, semantic: bool
):
    cache = redis_caches(semantic=semantic)
    first = warm_cache(_routed(), QUESTIONS, cache=cache, concurrency=2)
    assert first.counts["stored"] == 3
    assert first.paid_calls == 3
    assert first.cost_usd is not None
    assert first.cost_usd > 0
    assert first.tokens.output > 0
    assert first.cache_counters is not None
    assert first.cache_counters["stores"] == 3
    assert len(emulator.requests) == 3

    second = warm_cache(_routed(), QUESTIONS, cache=cache)
    assert second.counts["already_cached"] == 3
    assert second.cost_usd == 0
    assert second.paid_calls == 0
    assert second.tokens.total == 0
    assert {r.reason for r in second.results} == {"exact"}  # the same question: an exact match either way
    assert len(emulator.requests) == 3

    set_llm_cache(cache)  # the app's ordinary setup, with a fresh model object
    reply = _routed().invoke(QUESTIONS[1])
    assert reply.response_metadata["cache"]["hit"] is True
    assert len(emulator.requests) == 3


def test_semantic_warming_serves_paraphrases(emulator: BedrockEmulator, redis_caches: RedisCaches):
    cache = redis_caches(semantic=True)
    warm_cache(_nova(), ["How do I reverse a list in Python?"], cache=cache)
    set_llm_cache(cache)
    reply = _nova().invoke("What's the way to reverse a list in Python?")
    assert reply.response_metadata["cache"]["kind"] == "semantic"
    assert len(emulator.requests) == 1


async def test_async_warming_is_idempotent_too(emulator: BedrockEmulator, redis_caches: RedisCaches):
    cache = redis_caches()
    first = await awarm_cache(_nova(), QUESTIONS, cache=cache, concurrency=3)
    second = await awarm_cache(_nova(), QUESTIONS, cache=cache)
    assert (first.counts["stored"], second.counts["already_cached"]) == (3, 3)
    assert len(emulator.requests) == 3
    set_llm_cache(cache)
    assert (await _nova().ainvoke(QUESTIONS[0])).response_metadata["cache"]["hit"] is True
    await cache.aclose()


def test_the_models_own_cache_and_langchains_caches_are_used_by_default(emulator: BedrockEmulator):
    own = InMemoryExactCache()
    model = _nova(cache=own)
    assert warm_cache(model, QUESTIONS[:1]).counts["stored"] == 1
    assert warm_cache(model, QUESTIONS[:1]).counts["already_cached"] == 1

    set_llm_cache(InMemoryCache())  # LangChain's own: no hit marker, hits found by total_cost == 0
    assert warm_cache(_nova(), QUESTIONS[:1]).counts["stored"] == 1
    again = warm_cache(_nova(), QUESTIONS[:1])
    assert (again.counts["already_cached"], again.results[0].reason) == (1, "langchain")
    assert len(emulator.requests) == 2


def test_tenant_warmed_entries_serve_only_that_tenant(emulator: BedrockEmulator, redis_caches: RedisCaches):
    cache = redis_caches()
    prompts = [QUESTIONS[0], WarmPrompt.of(QUESTIONS[1], "globex")]
    model = _nova()
    report = warm_cache(model, prompts, cache=cache, tenant="acme")
    assert [r.tenant for r in report.results] == ["acme", "globex"]
    set_llm_cache(cache)
    as_acme = model.invoke(QUESTIONS[0], config={"metadata": {"tenant_id": "acme"}})
    assert as_acme.response_metadata["cache"]["hit"] is True
    assert len(emulator.requests) == 2
    as_other = model.invoke(QUESTIONS[0], config={"metadata": {"tenant_id": "initech"}})
    shared = model.invoke(QUESTIONS[0])
    assert "cache" not in as_other.response_metadata
    assert "cache" not in shared.response_metadata
    assert len(emulator.requests) == 4


def test_policy_refusals_are_reported_and_paid_again_next_time(emulator: BedrockEmulator, redis_caches: RedisCaches):
    cache = redis_caches(policy=CachePolicy(skip_pii=True))
    prompts = ["Write to jane.doe@example.com about the outage.", QUESTIONS[0]]
    first = warm_cache(_nova(), prompts, cache=cache)
    assert [(r.status, r.reason) for r in first.results] == [("not_stored", "pii"), ("stored", None)]
    assert first.results[0].cost_usd is not None
    assert first.results[0].cost_usd > 0
    assert first.cache_counters is not None
    assert first.cache_counters["skipped"] == {"pii": 1}
    second = warm_cache(_nova(), prompts, cache=cache)
    assert [r.status for r in second.results] == ["not_stored", "already_cached"]
    assert len(emulator.requests) == 3


def test_answers_cut_by_max_tokens_are_not_stored(emulator: BedrockEmulator):
    report = warm_cache(_nova(max_tokens=3), ["Explain in detail how vector search works."], cache=InMemoryExactCache())
    assert (report.results[0].status, report.results[0].reason) == ("not_stored", "truncated")


def test_a_failing_prompt_is_reported_and_the_run_goes_on(emulator: BedrockEmulator):
    too_long = "word " * 400_000  # beyond Nova Micro's context window: Bedrock's ValidationException
    seen: list[WarmResult] = []
    report = warm_cache(
        _nova(), [QUESTIONS[0], too_long, QUESTIONS[1]], cache=InMemoryExactCache(), progress=seen.append
    )
    assert [r.status for r in report.results] == ["stored", "failed", "stored"]
    failed = report.results[1]
    assert failed.reason is not None
    assert failed.reason.startswith("ValidationException")
    assert failed.cost_usd == 0
    assert failed.tokens.total == 0
    assert sorted(r.index for r in seen) == [0, 1, 2]


def test_duplicates_are_sent_once(emulator: BedrockEmulator):
    prompts = [
        WarmPrompt((HumanMessage(QUESTIONS[0]),), line=1),
        WarmPrompt((HumanMessage(QUESTIONS[0]),), line=2),
        WarmPrompt((HumanMessage(QUESTIONS[0]),), "acme", line=3),
    ]
    seen: list[WarmResult] = []
    report = warm_cache(_nova(), prompts, cache=InMemoryExactCache(), concurrency=3, progress=seen.append)
    assert [(r.status, r.reason) for r in report.results] == [
        ("stored", None),
        ("duplicate", "same as line 1"),
        ("stored", None),
    ]
    assert len(emulator.requests) == 2
    assert len(seen) == 3


def test_unknown_prices_make_the_cost_unknown_not_zero(emulator: BedrockEmulator):
    model = ChatBedrockConverse(model="qwen.qwen3-32b-v1:0", region_name="us-east-1")
    report = warm_cache(model, QUESTIONS[:1], cache=InMemoryExactCache())
    assert report.counts["stored"] == 1
    assert report.tokens.total > 0
    assert report.results[0].cost_usd is None
    assert report.cost_usd is None
    assert report.to_dict()["cost_usd"] is None


def test_report_is_json_safe_and_adds_up(emulator: BedrockEmulator):
    report = warm_cache(
        _routed(), [*QUESTIONS, [SystemMessage("Be brief."), HumanMessage("Hi")]], cache=InMemoryExactCache()
    )
    data = json.loads(json.dumps(report.to_dict()))
    assert data["prompts"] == 4
    assert data["counts"]["stored"] == 4
    assert data["paid_calls"] == 4
    assert data["cache"] == "InMemoryExactCache"
    assert data["store_failures"] == 0
    assert sum(r["cost_usd"] for r in data["results"]) == pytest.approx(data["cost_usd"])
    assert Decimal(str(data["cost_usd"])) == pytest.approx(report.cost_usd)
    assert {r["model_id"] for r in data["results"]} <= {
        "amazon.nova-micro-v1:0",
        "amazon.nova-lite-v1:0",
        "amazon.nova-pro-v1:0",
    }


def test_stores_lost_to_a_redis_outage_are_reported(emulator: BedrockEmulator, own_redis_server: RedisServer):
    cache = RedisCache(redis_url=own_redis_server.url)
    own_redis_server.stop()
    report = warm_cache(_nova(), QUESTIONS, cache=cache)
    assert report.counts["stored"] == 3  # the model answered; the cache failed open
    assert report.store_failures == 3
    assert report.cache_counters is not None
    assert report.cache_counters["stores"] == 0
    cache.close()


def test_bad_arguments_fail_before_any_model_call(emulator: BedrockEmulator):
    model = _nova()
    with pytest.raises(ValueError, match="no cache to warm"):
        warm_cache(model, QUESTIONS)
    with pytest.raises(ValueError, match=r"model\.cache is False"):
        warm_cache(model.model_copy(update={"cache": False}), QUESTIONS)
    with pytest.raises(ValueError, match="concurrency must be an int >= 1, got 0"):
        warm_cache(model, QUESTIONS, cache=InMemoryExactCache(), concurrency=0)
    with pytest.raises(ValueError, match="tenant must be a non-empty string"):
        warm_cache(model, QUESTIONS, cache=InMemoryExactCache(), tenant="")
    with pytest.raises(TypeError, match="not one string"):
        warm_cache(model, "one prompt", cache=InMemoryExactCache())
    with pytest.raises(TypeError, match="BaseChatModel"):
        warm_cache(model.bind(stop=["x"]), QUESTIONS, cache=InMemoryExactCache())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="must not be empty"):
        warm_cache(model, [QUESTIONS[0], ""], cache=InMemoryExactCache())
    assert emulator.requests == []
