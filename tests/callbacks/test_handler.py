"""BedrockStatsCallbackHandler on real LangChain runs: caches, nesting, errors, concurrency."""

from __future__ import annotations

import asyncio
import json
import threading

import pytest
from langchain_core.caches import InMemoryCache
from langchain_core.messages import AIMessage
from langchain_core.runnables import RunnableLambda

from langchain_bedrock_routing.callbacks import BedrockStatsCallbackHandler, TokenUsage, get_bedrock_stats_callback
from langchain_bedrock_routing.catalog import get_catalog
from langchain_bedrock_routing.catalog.pricing import price_counterfactual, price_usage

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
SONNET = "anthropic.claude-3-5-sonnet-20240620-v1:0"
OPUS = "anthropic.claude-3-opus-20240229-v1:0"


def _cost(model_id, usage):
    return float(price_usage(get_catalog(), model_id, usage).total)


def test_langchain_cache_hit_is_a_hit_not_spend(scripted, usage_of):
    model = scripted(
        model_id=HAIKU, script=[AIMessage("hi", usage_metadata=usage_of(100, 20, 30, 10))], cache=InMemoryCache()
    )
    with get_bedrock_stats_callback(baseline_model=OPUS) as stats:
        model.invoke("question")
        model.invoke("question")
        model.invoke("another")
    one = TokenUsage(input=100, output=20, cache_read=30, cache_write=10)
    data = stats.to_dict()
    total = data["total"]
    assert total["requests"] == 3
    assert total["cache"] == {"hits": 1, "hits_by_kind": {"langchain": 1}, "misses": 2, "hit_rate": 1 / 3}
    assert total["api_calls"] == 2
    assert total["tokens"] == (one + one).as_dict()
    assert total["cost_usd"]["total"] == pytest.approx(_cost(HAIKU, one + one))
    assert total["saved_by_cache"]["cost_usd"] == pytest.approx(_cost(HAIKU, one))
    assert total["latency_ms"]["count"] == 3
    assert total["hit_latency_ms"]["count"] == 1
    baseline = float(price_counterfactual(get_catalog(), OPUS, one + one + one).total)
    assert data["baseline"]["cost_usd"] == pytest.approx(baseline)
    assert data["baseline"]["savings_usd"] == pytest.approx(baseline - _cost(HAIKU, one + one))
    assert data["models"].keys() == {HAIKU}
    json.dumps(data)


def test_marked_hits_count_by_kind_and_price_at_producing_model(scripted, usage_of):
    semantic = AIMessage(
        "cached",
        usage_metadata=usage_of(500, 50),
        response_metadata={"model_name": SONNET, "cache": {"hit": True, "kind": "semantic", "similarity": 0.97}},
    )
    model = scripted(model_id=HAIKU, script=[semantic])
    handler = BedrockStatsCallbackHandler()
    model.invoke("q", {"callbacks": [handler]})
    total = handler.to_dict()["total"]
    assert total["cache"]["hits_by_kind"] == {"semantic": 1}
    assert total["api_calls"] == 0
    assert total["cost_usd"]["total"] == 0
    assert total["saved_by_cache"]["cost_usd"] == pytest.approx(_cost(SONNET, TokenUsage(input=500, output=50)))
    assert handler.to_dict()["models"][SONNET]["cache"]["hits"] == 1


def test_nested_calls_are_spend_and_fallbacks_of_one_request(scripted, delegating, usage_of, throttling):
    classifier = scripted(model_id=HAIKU, script=[AIMessage("simple", usage_metadata=usage_of(40, 2))])
    chain = RunnableLambda(lambda messages: classifier.invoke(messages))
    router = delegating(
        delegates=[
            scripted(model_id=SONNET, script=[throttling()]),
            scripted(model_id=HAIKU, script=[AIMessage("answer", usage_metadata=usage_of(100, 30))]),
        ],
        before=lambda messages, config: chain.invoke(messages, config),
    )
    with get_bedrock_stats_callback() as stats:
        router.invoke("hello")
    data = stats.to_dict()
    total = data["total"]
    spent = TokenUsage(input=140, output=32)
    assert total["requests"] == 1
    assert total["api_calls"] == 2
    assert total["api_errors"] == {"ThrottlingException": 1}
    assert total["fallbacks"] == 1
    assert total["cache"]["misses"] == 1
    assert total["tokens"] == spent.as_dict()
    assert total["cost_usd"]["total"] == pytest.approx(_cost(HAIKU, spent))
    assert data["models"][HAIKU]["requests"] == 1
    assert data["models"][SONNET]["api_errors"] == {"ThrottlingException": 1}
    assert data["tiers"]["simple"]["requests"] == 1
    assert data["routes"] == {"by_tier": {"simple": 1}, "by_classifier": {"test": 1}}


def test_failed_request_is_an_error_not_a_miss(scripted, throttling):
    model = scripted(model_id=HAIKU, script=[throttling()])
    with get_bedrock_stats_callback() as stats, pytest.raises(Exception, match="ThrottlingException"):
        model.invoke("q")
    total = stats.to_dict()["total"]
    assert (total["requests"], total["errors"], total["cache"]["misses"], total["api_calls"]) == (1, 1, 0, 0)
    assert total["cache"]["hit_rate"] is None


def test_nested_context_managers_each_count_their_block(scripted, usage_of):
    model = scripted(model_id=HAIKU, script=[AIMessage("x", usage_metadata=usage_of(1, 1))])
    with get_bedrock_stats_callback() as outer:
        model.invoke("a")
        with get_bedrock_stats_callback() as inner:
            model.invoke("b")
        model.invoke("c")
    model.invoke("after")
    assert (outer.requests, inner.requests) == (3, 1)


def test_tenant_from_run_metadata(scripted, usage_of):
    model = scripted(model_id=HAIKU, script=[AIMessage("x", usage_metadata=usage_of(10, 1))])
    with get_bedrock_stats_callback() as stats:
        model.invoke("a", {"metadata": {"tenant_id": "acme"}})
        model.invoke("b", {"metadata": {"tenant_id": "acme"}})
        model.invoke("c", {"metadata": {"tenant_id": "globex"}})
    tenants = stats.to_dict()["tenants"]
    assert {k: v["requests"] for k, v in tenants.items()} == {"acme": 2, "globex": 1}


def test_threads_give_exact_totals(scripted, usage_of):
    model = scripted(model_id=HAIKU, script=[AIMessage("x", usage_metadata=usage_of(7, 3, 5, 2))])
    handler = BedrockStatsCallbackHandler()

    def work():
        for _ in range(25):
            model.invoke("q", {"callbacks": [handler]})

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    total = handler.to_dict()["total"]
    assert total["requests"] == total["api_calls"] == 200
    assert total["tokens"] == {"input": 1400, "output": 600, "cache_read": 1000, "cache_write": 400}


async def test_hundred_concurrent_ainvoke_give_exact_totals(scripted, usage_of):
    model = scripted(model_id=HAIKU, script=[AIMessage("x", usage_metadata=usage_of(11, 13))])
    with get_bedrock_stats_callback() as stats:
        await asyncio.gather(*(model.ainvoke(f"q{i}") for i in range(100)))
    total = stats.to_dict()["total"]
    assert total["requests"] == total["cache"]["misses"] == 100
    assert total["tokens"]["input"] == 1100
    assert total["cost_usd"]["total"] == pytest.approx(_cost(HAIKU, TokenUsage(input=1100, output=1300)))


def test_reset_forgets_figures(scripted, usage_of):
    model = scripted(model_id=HAIKU, script=[AIMessage("x", usage_metadata=usage_of(1, 1))])
    with get_bedrock_stats_callback() as stats:
        model.invoke("a")
        stats.reset()
        model.invoke("b")
    assert stats.requests == 1
    assert stats.total_cost == price_usage(get_catalog(), HAIKU, TokenUsage(input=1, output=1)).total


def test_unknown_baseline_fails_naming_known_models():
    with pytest.raises(ValueError, match=r"anthropic\.claude-3-haiku"):
        BedrockStatsCallbackHandler(baseline_model="gpt-5")
