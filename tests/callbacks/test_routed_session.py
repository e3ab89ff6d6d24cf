"""RoutedChatBedrock with a semantic cache against the emulator: routes, fallbacks and semantic hits counted once."""

from __future__ import annotations

from decimal import Decimal

import pytest
from langchain_aws import ChatBedrockConverse
from langchain_core.runnables import RunnableLambda

from langchain_bedrock_routing.caching.semantic_memory import InMemorySemanticCache
from langchain_bedrock_routing.callbacks import get_bedrock_stats_callback
from langchain_bedrock_routing.catalog import get_catalog
from langchain_bedrock_routing.embeddings import HashingEmbeddings
from langchain_bedrock_routing.emulator import BedrockEmulator
from langchain_bedrock_routing.routing.chat_model import RoutedChatBedrock
from langchain_bedrock_routing.routing.decision import RouteDecision

MICRO, HAIKU = "amazon.nova-micro-v1:0", "anthropic.claude-3-haiku-20240307-v1:0"
TIERS = {"simple": [MICRO, HAIKU], "medium": ["amazon.nova-lite-v1:0"], "complex": ["amazon.nova-pro-v1:0"]}


def _cost(record) -> Decimal:
    prices = get_catalog().get(record.invoked_model_id).prices
    return (Decimal(record.input_tokens) * Decimal(str(prices.input))
            + Decimal(record.output_tokens) * Decimal(str(prices.output))) / 10**6  # fmt: skip


def test_routed_fallback_and_semantic_hit_match_the_log(emulator: BedrockEmulator):
    simple = RunnableLambda(lambda _m: RouteDecision(tier="simple", score=0.1, reason="short", classifier="fixed"))
    router = RoutedChatBedrock(
        tiers=TIERS, classifier=simple, region_name="us-east-1", cache=InMemorySemanticCache(HashingEmbeddings())
    )
    emulator.set_faults(fail_models=[MICRO])
    with get_bedrock_stats_callback() as stats:
        first = router.invoke("What is the capital city of France?")
        again = router.invoke("what is the capital city of France")
    assert first.response_metadata["routing"]["model_id"] == HAIKU
    assert again.response_metadata["cache"]["kind"] == "semantic"

    billed = [r for r in emulator.requests if r.billed]
    failed = [r for r in emulator.requests if not r.billed]
    assert [r.invoked_model_id for r in billed] == [HAIKU]
    assert failed
    assert {r.error_code for r in failed} == {"ServiceUnavailableException"}
    data = stats.to_dict()
    total = data["total"]
    assert (total["requests"], total["cache"]["misses"], total["cache"]["hits_by_kind"]) == (2, 1, {"semantic": 1})
    assert total["api_calls"] == len(billed)
    assert total["api_errors"] == {"ServiceUnavailableException": 1}
    assert total["fallbacks"] == 1
    assert total["tokens"]["input"] == billed[0].input_tokens
    assert total["tokens"]["output"] == billed[0].output_tokens
    assert total["cost_usd"]["total"] == pytest.approx(float(_cost(billed[0])), rel=1e-12)
    assert total["saved_by_cache"]["cost_usd"] == pytest.approx(float(_cost(billed[0])), rel=1e-12)
    assert data["routes"] == {"by_tier": {"simple": 1}, "by_classifier": {"fixed": 1}}
    assert data["models"][MICRO]["api_errors"] == {"ServiceUnavailableException": 1}
    assert data["models"][HAIKU]["requests"] == 2


def test_llm_classifier_call_is_spend_besides_the_routed_answer(emulator: BedrockEmulator):
    judge = ChatBedrockConverse(model="amazon.nova-lite-v1:0", region_name="us-east-1")

    def classify(messages, config):
        judge.invoke(f"Rate the complexity of: {messages[-1].content}", config)
        return RouteDecision(tier="simple", score=0.2, reason="judged simple", classifier="llm")

    router = RoutedChatBedrock(tiers=TIERS, classifier=RunnableLambda(classify), region_name="us-east-1")
    with get_bedrock_stats_callback() as stats:
        router.invoke("What is 2 + 2?")
    billed = [r for r in emulator.requests if r.billed]
    assert sorted(r.invoked_model_id for r in billed) == sorted(["amazon.nova-lite-v1:0", MICRO])
    total = stats.to_dict()["total"]
    assert (total["requests"], total["api_calls"]) == (1, 2)
    assert total["tokens"]["input"] == sum(r.input_tokens for r in billed)
    assert total["cost_usd"]["total"] == pytest.approx(float(sum(map(_cost, billed))), rel=1e-12)
    assert stats.to_dict()["models"][MICRO]["requests"] == 1
