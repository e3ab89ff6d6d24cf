"""The native async path of RoutedChatBedrock against the emulator over HTTP: ``ainvoke``, ``astream`` and
``abatch`` send the same requests as the sync path, fall back, cool down and report the same way, and never hop to
an executor thread (checked with the event loop's own default executor, which records every use)."""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pytest
from botocore.exceptions import ClientError
from langchain_aws import BedrockEmbeddings, ChatBedrockConverse
from langchain_core.caches import InMemoryCache
from langchain_core.globals import set_llm_cache
from langchain_core.messages import AIMessageChunk, BaseMessage, HumanMessage, SystemMessage
from langchain_core.runnables import RunnableConfig
from pydantic import BaseModel

from langchain_bedrock_routing.caching import InMemoryExactCache, RedisCache
from langchain_bedrock_routing.callbacks.handler import get_bedrock_stats_callback
from langchain_bedrock_routing.core.async_embeddings import AsyncBedrockEmbeddings
from langchain_bedrock_routing.emulator import BedrockEmulator
from langchain_bedrock_routing.errors import AllModelsFailedError, StreamInterruptedError
from langchain_bedrock_routing.routing import ModelCallError, RoutedChatBedrock
from langchain_bedrock_routing.routing.async_converse import AsyncChatBedrockConverse
from langchain_bedrock_routing.routing.classifiers import ComplexityClassifier
from langchain_bedrock_routing.routing.classifiers.banded import BandedClassifier
from langchain_bedrock_routing.routing.classifiers.llm import LLMComplexityClassifier
from langchain_bedrock_routing.routing.decision import RouteDecision

from .conftest import NOVA_TIERS

MICRO = "amazon.nova-micro-v1:0"
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
PROMPT = "Hi! What is the capital of France?"
QUESTION = "Compare two sorting algorithms and explain when each is faster."


class RecordingExecutor(ThreadPoolExecutor):
    """The loop's default executor: counts every callable handed to it."""

    def __init__(self) -> None:
        super().__init__(max_workers=2)
        self.used: list[str] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.used.append(getattr(fn, "__qualname__", repr(fn)))
        return super().submit(fn, *args, **kwargs)


def run_recorded(coro_factory: Callable[[], Any]) -> tuple[Any, list[str]]:
    """Run ``coro_factory()`` on a fresh loop whose default executor records its use."""
    executor = RecordingExecutor()
    loop = asyncio.new_event_loop()
    loop.set_default_executor(executor)
    try:
        return loop.run_until_complete(coro_factory()), executor.used
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
        executor.shutdown()


class SimpleTier(ComplexityClassifier):
    """An offline classifier that starts every request at the simple tier (run inline, as the heuristic is)."""

    def classify_messages(self, messages: list[BaseMessage], config: RunnableConfig | None = None) -> RouteDecision:
        return RouteDecision(tier="simple", score=0.1, reason="fixed", classifier="fixed")


def _router(emulator: BedrockEmulator, **settings: Any) -> RoutedChatBedrock:
    """Nova tiers from the simple tier (Nova Micro, then Claude 3 Haiku), talking to the emulator."""
    return RoutedChatBedrock(tiers=NOVA_TIERS, classifier=SimpleTier(), **{**emulator.client_kwargs(), **settings})


@pytest.fixture
def router(emulator: BedrockEmulator) -> RoutedChatBedrock:
    return _router(emulator)


def test_ainvoke_answers_as_invoke_does(emulator: BedrockEmulator, router: RoutedChatBedrock):
    sync = router.invoke(PROMPT)
    emulator.clear_requests()
    answer, used = run_recorded(lambda: router.ainvoke(PROMPT))
    assert used == []
    assert answer.content == sync.content
    assert answer.usage_metadata == sync.usage_metadata
    assert answer.response_metadata["routing"] == sync.response_metadata["routing"]
    assert answer.response_metadata["model_name"] == sync.response_metadata["model_name"]
    [record] = emulator.requests
    assert (record.operation, record.status) == ("Converse", 200)


def test_astream_streams_chunks_and_closes_with_routing(emulator: BedrockEmulator, router: RoutedChatBedrock):
    async def collect() -> list[AIMessageChunk]:
        return [chunk async for chunk in router.astream(PROMPT)]

    chunks, used = run_recorded(collect)
    assert used == []
    texts = [c.text for c in chunks if c.text]
    assert len(texts) > 2
    merged = chunks[0]
    for chunk in chunks[1:]:
        merged += chunk
    assert merged.text == router.invoke(PROMPT).text
    assert chunks[-1].response_metadata["routing"]["model_id"] == MICRO
    assert next(r.operation for r in emulator.requests) == "ConverseStream"


def test_abatch_runs_every_prompt_concurrently_without_threads(emulator: BedrockEmulator, router: RoutedChatBedrock):
    prompts = [f"{PROMPT} Case {i}." for i in range(24)]
    answers, used = run_recorded(lambda: router.abatch(prompts))
    assert used == []
    assert [a.content for a in answers] == [router.invoke(p).content for p in prompts]
    assert sum(r.operation == "Converse" for r in emulator.requests) == 48


def test_exact_cache_hits_and_misses_stay_on_the_loop(emulator: BedrockEmulator, redis_url: str):
    set_llm_cache(RedisCache(redis_url=redis_url))
    router = _router(emulator)

    async def twice() -> tuple[Any, Any, list[AIMessageChunk]]:
        first = await router.ainvoke(PROMPT)
        second = await router.ainvoke(PROMPT)
        streamed = [chunk async for chunk in router.astream(PROMPT)]
        await router.aclose()
        return first, second, streamed

    (first, second, streamed), used = run_recorded(twice)
    assert used == []
    assert second.content == first.content
    assert sum(r.operation == "Converse" for r in emulator.requests) == 1
    assert "".join(c.text for c in streamed) == first.text


def test_a_stream_miss_is_stored_in_the_cache_by_the_async_path(emulator: BedrockEmulator):
    set_llm_cache(InMemoryExactCache())
    router = _router(emulator)

    async def stream_then_invoke() -> tuple[str, str]:
        streamed = "".join([c.text async for c in router.astream(PROMPT)])
        return streamed, (await router.ainvoke(PROMPT)).text

    (streamed, invoked), _ = run_recorded(stream_then_invoke)
    assert streamed == invoked
    assert [r.operation for r in emulator.requests] == ["ConverseStream"]


def test_tools_images_and_system_send_the_same_request_as_sync(emulator: BedrockEmulator, router: RoutedChatBedrock):
    def get_weather(city: str) -> str:
        """The weather in a city."""
        return city

    pixel = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 64).decode()
    messages = [
        SystemMessage("You are terse."),
        HumanMessage(
            content=[
                {"type": "text", "text": "What is the weather in Paris? Use the tool."},
                {"type": "image", "base64": pixel, "mime_type": "image/png"},
            ]
        ),
    ]
    bound = router.bind_tools([get_weather])
    sync = bound.invoke(messages, model="amazon.nova-lite-v1:0")
    answer, used = run_recorded(lambda: bound.ainvoke(messages, model="amazon.nova-lite-v1:0"))
    assert used == []
    assert answer.tool_calls == sync.tool_calls
    assert answer.tool_calls[0]["name"] == "get_weather"
    sync_record, async_record = emulator.requests
    assert async_record.input_tokens == sync_record.input_tokens > 0


def test_structured_output(router: RoutedChatBedrock):
    class City(BaseModel):
        city: str

    answer = asyncio.run(router.with_structured_output(City).ainvoke("The weather in Paris?"))
    assert isinstance(answer, City)
    assert answer.city


def test_a_failing_model_falls_back_and_cools_down(emulator: BedrockEmulator):
    emulator.set_faults(fail_models=[MICRO])
    router = _router(emulator, cooldown_failures=2, cooldown_seconds=60)

    async def three() -> list[Any]:
        return [await router.ainvoke(PROMPT) for _ in range(3)]

    answers, _ = run_recorded(three)
    for answer in answers[:2]:
        assert [(a["model_id"], a["error"]) for a in answer.response_metadata["routing"]["attempts"]] == [
            (MICRO, "ServiceUnavailableException"),
            (HAIKU, None),
        ]
    assert [a["model_id"] for a in answers[2].response_metadata["routing"]["attempts"]] == [HAIKU]
    assert router._balancer.cooldown.cooling(MICRO)


def test_every_candidate_failing_raises_all_models_failed(emulator: BedrockEmulator):
    emulator.set_faults(fail_models=[m for tier in NOVA_TIERS.values() for m in tier])
    router = _router(emulator)
    with pytest.raises(AllModelsFailedError) as failed:
        asyncio.run(router.ainvoke(PROMPT))
    assert {a["error"] for a in failed.value.attempts} == {"ServiceUnavailableException"}
    assert len(failed.value.attempts) == 4


def test_throttling_is_retried_by_botocore_then_falls_back(emulator: BedrockEmulator):
    emulator.set_faults(throttle_rate=1.0)
    router = _router(emulator, max_retries=1, escalate_on_failure=False)
    with pytest.raises(AllModelsFailedError) as failed:
        asyncio.run(router.ainvoke(PROMPT))
    assert [a["error"] for a in failed.value.attempts] == ["ThrottlingException", "ThrottlingException"]
    assert len(emulator.requests) == 4  # two candidates, each tried twice (max_retries=1)


def test_a_non_retryable_error_raises_model_call_error(emulator: BedrockEmulator, router: RoutedChatBedrock):
    with pytest.raises(ModelCallError) as failed:
        asyncio.run(router.ainvoke(PROMPT, additional_model_request_fields={"unknownField": {"x": [1]}}, top_k=-3))
    assert failed.value.model_id == MICRO


def test_a_stream_cut_after_output_raises_as_on_the_sync_path(emulator: BedrockEmulator, router: RoutedChatBedrock):
    emulator.set_faults(stream_error="modelStreamErrorException", stream_error_after=2, stream_error_models=[MICRO])

    def sync_run() -> tuple[list[AIMessageChunk], StreamInterruptedError]:
        received: list[AIMessageChunk] = []
        with pytest.raises(StreamInterruptedError) as info:
            received.extend(router.stream(PROMPT))
        return received, info.value

    async def drain(received: list[AIMessageChunk]) -> None:
        async for chunk in router.astream(PROMPT):
            received.append(chunk)

    async def async_run() -> tuple[list[AIMessageChunk], StreamInterruptedError]:
        received: list[AIMessageChunk] = []
        with pytest.raises(StreamInterruptedError) as info:
            await drain(received)
        return received, info.value

    sync_chunks, sync_error = sync_run()
    (async_chunks, async_error), used = run_recorded(async_run)
    assert used == []
    assert [c.text for c in async_chunks] == [c.text for c in sync_chunks]
    assert (async_error.model_id, async_error.chunks) == (sync_error.model_id, sync_error.chunks) == (MICRO, 3)
    assert str(async_error) == str(sync_error)


def test_a_stream_cut_before_output_falls_back(emulator: BedrockEmulator, router: RoutedChatBedrock):
    emulator.set_faults(stream_error="throttlingException", stream_error_after=0, stream_error_models=[MICRO])

    async def collect() -> list[AIMessageChunk]:
        return [chunk async for chunk in router.astream(PROMPT)]

    chunks = asyncio.run(collect())
    attempts = chunks[-1].response_metadata["routing"]["attempts"]
    assert [(a["model_id"], a["error"]) for a in attempts] == [(MICRO, "throttlingException"), (HAIKU, None)]
    assert "".join(c.text for c in chunks).strip()


def test_stats_count_async_calls(emulator: BedrockEmulator, router: RoutedChatBedrock):
    async def calls() -> Any:
        with get_bedrock_stats_callback() as stats:
            await router.abatch([PROMPT, PROMPT + " Again."])
            async for _ in router.astream(PROMPT + " Once more."):
                pass
        return stats

    stats, used = run_recorded(calls)
    assert used == []
    assert stats.requests == 3
    assert {model: bucket.requests for model, bucket in stats.figures.models.items()} == {MICRO: 3}


def test_async_with_closes_the_connections(emulator: BedrockEmulator):
    async def use() -> tuple[str, bool]:
        async with _router(emulator) as router:
            answer = await router.ainvoke(PROMPT)
            session = router._bedrock._sessions[asyncio.get_running_loop()]
        return answer.text, session.closed

    text, closed = asyncio.run(use())
    assert text
    assert closed


@pytest.mark.parametrize("fail", [False, True])
def test_the_llm_classifier_rates_on_the_loop_as_on_the_sync_path(emulator: BedrockEmulator, fail: bool):
    if fail:
        emulator.set_faults(fail_models=[MICRO])
    classifier = LLMComplexityClassifier(region_name="us-east-1")
    sync = classifier.invoke(QUESTION)
    sync_usage = classifier.usage

    async def rate() -> RouteDecision:
        decision = await classifier.ainvoke(QUESTION)
        await classifier.aclose()
        return decision

    decision, used = run_recorded(rate)
    assert used == []
    assert decision == sync
    assert decision.classifier == ("heuristic" if fail else "llm")
    usage = classifier.usage
    assert (usage.calls, usage.failures) == (2 * sync_usage.calls, 2 * sync_usage.failures)
    assert (usage.input_tokens, usage.output_tokens) == (2 * sync_usage.input_tokens, 2 * sync_usage.output_tokens)
    assert [r.operation for r in emulator.requests] == ["Converse", "Converse"]


def test_the_llm_classifier_s_async_repeat_is_served_by_the_langchain_cache(emulator: BedrockEmulator):
    set_llm_cache(InMemoryCache())
    classifier = LLMComplexityClassifier(region_name="us-east-1")

    async def twice() -> tuple[RouteDecision, RouteDecision]:
        first, second = await classifier.ainvoke(QUESTION), await classifier.ainvoke(QUESTION)
        await classifier.aclose()
        return first, second

    (first, second), used = run_recorded(twice)
    assert used == []
    assert second == first
    assert len(emulator.requests) == 1
    usage = classifier.usage
    assert (usage.calls, usage.cache_hits, usage.failures) == (2, 1, 0)
    assert usage.input_tokens == emulator.requests[0].input_tokens


def test_a_router_with_the_cascade_classifier_classifies_and_answers_on_the_loop(emulator: BedrockEmulator):
    cascade = BandedClassifier(bands=((0.0, 1.0),), second=LLMComplexityClassifier(region_name="us-east-1"))
    router = RoutedChatBedrock(tiers=NOVA_TIERS, classifier=cascade, **emulator.client_kwargs())

    async def ask() -> Any:
        async with router:
            return await router.ainvoke(QUESTION)

    answer, used = run_recorded(ask)
    assert used == []
    routing = answer.response_metadata["routing"]
    assert routing["classifier"] == "llm"
    assert "inside uncertainty band [0.00, 1.00)" in routing["reason"]
    rating, _answer = emulator.requests  # the rating, then the answer
    assert (rating.operation, rating.model_id) == ("Converse", MICRO)


def test_the_named_llm_classifier_uses_the_router_s_connection_on_the_loop(emulator: BedrockEmulator):
    router = RoutedChatBedrock(tiers=NOVA_TIERS, classifier="llm", **emulator.client_kwargs())

    async def stream() -> list[AIMessageChunk]:
        async with router:
            return [chunk async for chunk in router.astream(QUESTION)]

    chunks, used = run_recorded(stream)
    assert used == []
    assert chunks[-1].response_metadata["routing"]["classifier"] == "llm"
    assert [r.operation for r in emulator.requests] == ["Converse", "ConverseStream"]


def test_async_chat_bedrock_converse_streams_on_the_loop_as_the_sync_model(emulator: BedrockEmulator):
    native = AsyncChatBedrockConverse(model=MICRO, **emulator.client_kwargs())
    plain = ChatBedrockConverse(model=MICRO, **emulator.client_kwargs())

    async def both() -> tuple[Any, list[AIMessageChunk]]:
        answer = await native.ainvoke(PROMPT)
        chunks = [chunk async for chunk in native.astream(PROMPT)]
        await native.aclose()
        return answer, chunks

    (answer, chunks), used = run_recorded(both)
    assert used == []
    assert answer.content == plain.invoke(PROMPT).content
    assert "".join(c.text for c in chunks) == "".join(c.text for c in plain.stream(PROMPT))
    assert answer.usage_metadata == plain.invoke(PROMPT).usage_metadata


def test_titan_embeddings_fetch_the_same_vectors_on_the_loop(emulator: BedrockEmulator):
    titan = "amazon.titan-embed-text-v2:0"
    native = AsyncBedrockEmbeddings(model_id=titan, **emulator.client_kwargs())
    plain = BedrockEmbeddings(model_id=titan, **emulator.client_kwargs())

    async def embed() -> tuple[list[float], list[list[float]]]:
        query = await native.aembed_query("hello world")
        documents = await native.aembed_documents(["a hash map", "a binary tree"])
        await native.aclose()
        return query, documents

    (query, documents), used = run_recorded(embed)
    assert used == []
    assert query == plain.embed_query("hello world")
    assert documents == plain.embed_documents(["a hash map", "a binary tree"])
    assert {(r.operation, r.model_id, r.status) for r in emulator.requests} == {("InvokeModel", titan, 200)}


@pytest.mark.parametrize("cohere", ["cohere.embed-english-v3", "cohere.embed-v4:0"])
def test_cohere_embeddings_fetch_the_same_vectors_on_the_loop(emulator: BedrockEmulator, cohere: str):
    native = AsyncBedrockEmbeddings(model_id=cohere, **emulator.client_kwargs())
    plain = BedrockEmbeddings(model_id=cohere, **emulator.client_kwargs())
    texts = [f"document number {i}\nabout topic {i % 7}" for i in range(100)]  # two batches of at most 96

    async def embed() -> tuple[list[float], list[list[float]]]:
        query = await native.aembed_query("hello world")
        documents = await native.aembed_documents(texts)
        await native.aclose()
        return query, documents

    (query, documents), used = run_recorded(embed)
    assert used == []
    assert [(r.operation, r.status) for r in emulator.requests] == [("InvokeModel", 200)] * 3
    assert query == plain.embed_query("hello world")
    assert documents == plain.embed_documents(texts)
    assert len(documents) == 100


def test_embedding_errors_are_botocore_s(emulator: BedrockEmulator):
    emulator.set_faults(fail_models=["amazon.titan-embed-text-v2:0"])
    native = AsyncBedrockEmbeddings(model_id="amazon.titan-embed-text-v2:0", **emulator.client_kwargs())
    with pytest.raises(ClientError) as failed:
        asyncio.run(native.aembed_query("hello"))
    assert failed.value.response["Error"]["Code"] == "ServiceUnavailableException"
    assert len(emulator.requests) > 1  # botocore's own retries, awaited


def test_the_emulator_s_fixed_latency_replaces_the_modeled_one():
    with BedrockEmulator(fixed_latency_ms=0) as fast, BedrockEmulator(fixed_latency_ms=400) as slow:
        answers = []
        for emulator in (fast, slow):
            model = ChatBedrockConverse(model=MICRO, **emulator.client_kwargs())
            began = time.monotonic()
            answers.append((model.invoke(PROMPT).text, time.monotonic() - began))
    (fast_text, _), (slow_text, slow_seconds) = answers
    assert fast_text == slow_text
    assert slow_seconds >= 0.4  # a lower bound only: the emulator slept at least that long
