"""LLMComplexityClassifier against the Bedrock emulator: structured rating, usage and cost, cache, fallback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from langchain_aws import ChatBedrockConverse
from langchain_core.caches import InMemoryCache
from langchain_core.globals import set_llm_cache
from langchain_core.messages import AIMessage, HumanMessage

from langchain_bedrock_routing.catalog import get_catalog
from langchain_bedrock_routing.routing.classifiers.heuristic import HeuristicComplexityClassifier
from langchain_bedrock_routing.routing.classifiers.llm import DEFAULT_MODEL_ID, LLMComplexityClassifier

QUESTION = "Compare two sorting algorithms and explain when each is faster."


@pytest.fixture
def llm_cache() -> Iterator[InMemoryCache]:
    cache = InMemoryCache()
    set_llm_cache(cache)
    yield cache
    set_llm_cache(None)


def test_rates_through_the_cheapest_model(emulator):
    classifier = LLMComplexityClassifier(region_name="us-east-1")
    decision = classifier.invoke(QUESTION)
    assert decision.classifier == "llm"
    assert decision.score in (0.0, 0.25, 0.5, 0.75, 1.0)
    assert decision.tier == classifier.thresholds.tier_for(decision.score)
    assert decision.reason.startswith("llm rated ")
    [request] = emulator.requests
    assert (request.model_id, request.status) == (DEFAULT_MODEL_ID, 200)


def test_counts_tokens_and_cost_at_catalog_prices(emulator):
    classifier = LLMComplexityClassifier(region_name="us-east-1")
    classifier.invoke(QUESTION)
    classifier.invoke([HumanMessage("hi"), AIMessage("hello"), HumanMessage(QUESTION)])
    usage = classifier.usage
    billed = emulator.requests
    prices = get_catalog().get(DEFAULT_MODEL_ID).prices
    assert prices.input is not None
    assert prices.output is not None
    assert (usage.calls, usage.cache_hits, usage.failures) == (2, 0, 0)
    assert usage.input_tokens == sum(r.input_tokens for r in billed) > 0
    assert usage.output_tokens == sum(r.output_tokens for r in billed) > 0
    expected = (usage.input_tokens * prices.input + usage.output_tokens * prices.output) / 1e6
    assert usage.cost_usd == pytest.approx(expected)


def test_repeated_request_is_served_by_the_langchain_cache(emulator, llm_cache):
    classifier = LLMComplexityClassifier(region_name="us-east-1")
    first = classifier.invoke(QUESTION)
    second = classifier.invoke(QUESTION)
    assert second == first
    assert len(emulator.requests) == 1
    usage = classifier.usage
    assert (usage.calls, usage.cache_hits) == (2, 1)
    assert usage.input_tokens == emulator.requests[0].input_tokens


def test_failure_falls_back_to_the_heuristic_and_says_why(emulator):
    emulator.set_faults(fail_models=[DEFAULT_MODEL_ID])
    classifier = LLMComplexityClassifier(region_name="us-east-1")
    decision = classifier.invoke(QUESTION)
    expected = HeuristicComplexityClassifier().invoke(QUESTION)
    assert decision.classifier == "heuristic"
    assert (decision.tier, decision.score) == (expected.tier, expected.score)
    assert decision.reason.startswith("llm classifier failed (")
    assert expected.reason in decision.reason
    assert classifier.usage.failures == 1
    assert len(emulator.requests) == 1  # one attempt, no retries on the request path


async def test_async_rating_and_async_fallback(emulator):
    classifier = LLMComplexityClassifier(region_name="us-east-1")
    assert (await classifier.ainvoke(QUESTION)).classifier == "llm"
    emulator.set_faults(fail_models=[DEFAULT_MODEL_ID])
    fallback = await classifier.ainvoke(QUESTION)
    assert fallback.classifier == "heuristic"
    assert "llm classifier failed" in fallback.reason


def test_an_injected_model_is_used_and_priced(emulator):
    model = ChatBedrockConverse(model="amazon.nova-lite-v1:0", region_name="us-east-1")
    classifier = LLMComplexityClassifier(llm=model)
    assert classifier.invoke(QUESTION).classifier == "llm"
    assert [r.model_id for r in emulator.requests] == ["amazon.nova-lite-v1:0"]
    prices = get_catalog().get("amazon.nova-lite-v1:0").prices
    assert prices.input is not None
    assert prices.output is not None
    usage = classifier.usage
    assert usage.cost_usd == pytest.approx(
        (usage.input_tokens * prices.input + usage.output_tokens * prices.output) / 1e6
    )


def test_the_rating_call_is_a_child_run_of_the_classifier(emulator):
    from langchain_core.callbacks import BaseCallbackHandler

    class Recorder(BaseCallbackHandler):
        def __init__(self) -> None:
            self.chat_models: list[str] = []

        def on_chat_model_start(self, serialized, messages, **kwargs) -> None:
            self.chat_models.append(str((kwargs.get("metadata") or {}).get("ls_model_name")))

    recorder = Recorder()
    LLMComplexityClassifier(region_name="us-east-1").invoke(QUESTION, {"callbacks": [recorder]})
    assert recorder.chat_models == [DEFAULT_MODEL_ID]
