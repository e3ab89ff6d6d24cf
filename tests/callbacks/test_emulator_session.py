"""A scripted session against the Bedrock emulator; every figure is checked against its request log.

Expected values are computed from the emulator's records (tokens as Bedrock billed them) and the
catalog's prices, independently of the handler's own parsing of LangChain usage metadata.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
from botocore.config import Config
from langchain_aws import ChatBedrockConverse
from langchain_core.caches import InMemoryCache
from langchain_core.messages import HumanMessage, SystemMessage
from langchain_core.tools import tool

from langchain_bedrock_routing.caching import InMemoryExactCache
from langchain_bedrock_routing.callbacks import get_bedrock_stats_callback
from langchain_bedrock_routing.callbacks.report import report_text
from langchain_bedrock_routing.catalog import get_catalog
from langchain_bedrock_routing.emulator import BedrockEmulator

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
SONNET = "anthropic.claude-3-5-sonnet-20240620-v1:0"
NOVA = "amazon.nova-lite-v1:0"
OPUS = "anthropic.claude-3-opus-20240229-v1:0"
NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"})


def _billed_cost(record) -> Decimal:
    """USD of one billed emulator record at the catalog price of the model that ran it."""
    prices = get_catalog().get(record.invoked_model_id).prices
    parts = [
        (record.input_tokens, prices.input),
        (record.output_tokens, prices.output),
        (record.cache_read_input_tokens, prices.cache_read),
        (record.cache_write_input_tokens, prices.cache_write),
    ]
    return sum((Decimal(n) * Decimal(str(p)) / 10**6 for n, p in parts if n), Decimal(0))


def _tokens(records) -> dict[str, int]:
    return {
        "input": sum(r.input_tokens for r in records),
        "output": sum(r.output_tokens for r in records),
        "cache_read": sum(r.cache_read_input_tokens for r in records),
        "cache_write": sum(r.cache_write_input_tokens for r in records),
    }


@tool
def get_weather(city: str) -> str:
    """Current weather in a city."""
    return f"Sunny in {city}"


def test_scripted_session_figures_match_the_emulator_log(emulator: BedrockEmulator, delegating):
    haiku = ChatBedrockConverse(model=HAIKU, region_name="us-east-1", cache=InMemoryExactCache())
    nova = ChatBedrockConverse(model=NOVA, region_name="us-east-1", cache=InMemoryCache())
    sonnet = ChatBedrockConverse(model=SONNET, region_name="us-east-1", cache=False)
    policy = SystemMessage(" ".join(f"Policy clause {i}: orders ship in {i % 7 + 1} days." for i in range(200)))

    with BedrockEmulator(throttle_rate=1.0) as throttled_region:
        busy_sonnet = ChatBedrockConverse(
            model=SONNET, region_name="us-east-1", endpoint_url=throttled_region.endpoint_url, config=NO_RETRIES
        )
        fallback = delegating(delegates=[busy_sonnet, ChatBedrockConverse(model=HAIKU, region_name="us-east-1")])
        with get_bedrock_stats_callback(baseline_model=OPUS) as stats:
            first = haiku.invoke("What is 12 + 30?")  # miss
            haiku.invoke("What is 12 + 30?")  # exact hit (our cache, marked)
            nova.invoke("Hello there")  # miss
            nova.invoke("Hello there")  # hit from LangChain's InMemoryCache (unmarked)
            sonnet.invoke([policy, HumanMessage("How long does shipping take?")], cache_control={"type": "default"})
            sonnet.invoke([policy, HumanMessage("What does clause 3 say?")], cache_control={"type": "default"})
            tool_answer = haiku.bind_tools([get_weather]).invoke("What's the weather in Paris?")
            fallback.invoke("What is 2 * 8?")  # throttled on sonnet, answered by haiku
        throttled = throttled_region.requests

    log = emulator.requests
    billed = [r for r in log if r.billed]
    assert len(billed) == len(log) == 6
    assert [(r.error_code, r.billed) for r in throttled] == [("ThrottlingException", False)]
    assert tool_answer.tool_calls
    assert any(r.cache_write_input_tokens for r in billed)
    assert any(r.cache_read_input_tokens for r in billed)

    data = stats.to_dict()
    total = data["total"]
    requests = 8
    hits = requests - len(billed)
    assert total["requests"] == requests
    assert total["cache"]["hits"] == hits == 2
    assert total["cache"]["hits_by_kind"] == {"exact": 1, "langchain": 1}
    assert total["cache"]["misses"] == len(billed)
    assert total["cache"]["hit_rate"] == pytest.approx(hits / requests)
    assert total["api_calls"] == len(billed)
    assert total["api_errors"] == {"ThrottlingException": len(throttled)}
    assert (total["fallbacks"], total["errors"], total["tool_calls"]) == (1, 0, 1)
    assert total["tokens"] == _tokens(billed)
    expected_cost = sum((_billed_cost(r) for r in billed), Decimal(0))
    assert total["cost_usd"]["total"] == pytest.approx(float(expected_cost), rel=1e-12)
    assert total["latency_ms"]["count"] == requests
    assert total["hit_latency_ms"]["count"] == hits

    # The two hits repeat the first haiku call and the first nova call: their billed usage is what was saved.
    first_haiku = next(r for r in billed if r.invoked_model_id == HAIKU)
    first_nova = next(r for r in billed if r.invoked_model_id == NOVA)
    saved = _billed_cost(first_haiku) + _billed_cost(first_nova)
    assert total["saved_by_cache"]["cost_usd"] == pytest.approx(float(saved), rel=1e-12)
    assert first.usage_metadata["output_tokens"] == first_haiku.output_tokens

    for model_id in (HAIKU, SONNET, NOVA):
        records = [r for r in billed if r.invoked_model_id == model_id]
        figures = data["models"][model_id]
        assert figures["api_calls"] == len(records)
        assert figures["tokens"] == _tokens(records)
        assert figures["cost_usd"]["total"] == pytest.approx(float(sum(map(_billed_cost, records))), rel=1e-12)
    assert data["models"][SONNET]["api_errors"] == {"ThrottlingException": 1}
    assert {m: f["requests"] for m, f in data["models"].items()} == {HAIKU: 4, NOVA: 2, SONNET: 2}

    # Counterfactual: every answer's usage (hits included) on Opus, which has no prompt cache.
    answered = [*billed, first_haiku, first_nova]
    opus = get_catalog().get(OPUS).prices
    inputs = sum(r.input_tokens + r.cache_read_input_tokens + r.cache_write_input_tokens for r in answered)
    outputs = sum(r.output_tokens for r in answered)
    baseline = (Decimal(inputs) * Decimal(str(opus.input)) + Decimal(outputs) * Decimal(str(opus.output))) / 10**6
    assert data["baseline"]["cost_usd"] == pytest.approx(float(baseline), rel=1e-12)
    assert data["baseline"]["savings_usd"] == pytest.approx(float(baseline - expected_cost), rel=1e-12)

    text = report_text(stats.figures)
    assert "Cached responses" in text
    assert "Claude 3 Haiku" in text


async def test_hundred_concurrent_ainvoke_match_the_log(emulator: BedrockEmulator):
    chat = ChatBedrockConverse(model=NOVA, region_name="us-east-1")
    with get_bedrock_stats_callback() as stats:
        await asyncio.gather(*(chat.ainvoke(f"What is {i} + {i}?") for i in range(100)))
    log = emulator.requests
    total = stats.to_dict()["total"]
    assert len(log) == total["requests"] == total["api_calls"] == total["cache"]["misses"] == 100
    assert total["tokens"] == _tokens(log)
    assert total["cost_usd"]["total"] == pytest.approx(float(sum(map(_billed_cost, log))), rel=1e-12)
