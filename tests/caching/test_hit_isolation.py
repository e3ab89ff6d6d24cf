"""Every cache hit is the caller's own: editing it at any depth changes neither the entry nor any later hit.

Each cache class (exact and semantic, in process and on a real Redis, the near cache on and off) is filled,
then its hits are tampered with everywhere a caller can reach (content blocks, response_metadata with the
routing and cache-marker dicts, usage details, tool-call arguments, additional_kwargs, generation_info),
and so is the answer the caller stored; the next hit must be what was stored.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from langchain_core.caches import BaseCache
from langchain_core.globals import set_llm_cache
from langchain_core.load import dumps
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.outputs import ChatGeneration, Generation
from langchain_core.tools import tool

from langchain_bedrock_routing.caching import CachePolicy, InMemoryExactCache, RedisCache
from langchain_bedrock_routing.caching.copies import owned
from langchain_bedrock_routing.caching.semantic_memory import InMemorySemanticCache
from langchain_bedrock_routing.caching.semantic_redis import RedisSemanticCache
from langchain_bedrock_routing.converse import CachingChatBedrockConverse
from langchain_bedrock_routing.embeddings import HashingEmbeddings
from langchain_bedrock_routing.routing.chat_model import RoutedChatBedrock

CACHES = ["memory_exact", "memory_semantic", "redis_near", "redis_no_near", "redis_semantic"]
PROMPT = dumps([HumanMessage("What is the capital of France?")])
LLM = "llm-string"
TAMPERED = "TAMPERED"
TOOL_PROMPT = "Use the lookup_city tool to look up Paris."


@tool
def lookup_city(city: str) -> str:
    """Look up facts about a city."""
    return city


def rich_answer() -> list[Generation]:
    """A chat answer with a nested value in every part a caller can reach."""
    message = AIMessage(
        content=[
            {"type": "text", "text": "Paris.", "extras": {"citations": [{"page": 1}]}},
            {"type": "tool_use", "id": "t1", "name": "lookup", "input": {"city": "Paris"}},
        ],
        additional_kwargs={"trace": {"ids": [1, 2]}},
        response_metadata={
            "stopReason": "tool_use",
            "metrics": {"latencyMs": [12]},
            "routing": {"tier": "simple", "attempts": [{"model_id": "m", "error": None}], "scores": {"m": 0.5}},
        },
        usage_metadata={
            "input_tokens": 10,
            "output_tokens": 5,
            "total_tokens": 15,
            "input_token_details": {"cache_read": 2, "cache_creation": 0},
            "output_token_details": {"reasoning": 1},
        },
        tool_calls=[{"name": "lookup", "args": {"city": "Paris", "filters": {"years": [2024]}}, "id": "t1"}],
        id="msg-1",
    )
    return [ChatGeneration(message=message, generation_info={"finish": {"reason": "stop"}, "logprobs": [[0.1]]})]


def tamper(value: Any) -> None:
    """Change every dict and list inside ``value`` in place: scalars overwritten, a key or an item added."""
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, dict | list):
                tamper(item)
            else:
                value[key] = TAMPERED
        value[TAMPERED] = TAMPERED
    elif isinstance(value, list):
        for position, item in enumerate(value):
            if isinstance(item, dict | list):
                tamper(item)
            else:
                value[position] = TAMPERED
        value.append(TAMPERED)


def tamper_message(message: BaseMessage) -> None:
    """Tamper with every mutable part of a served message (the cache marker included)."""
    assert isinstance(message, AIMessage)
    for part in (message.content, message.additional_kwargs, message.response_metadata, message.usage_metadata):
        tamper(part)
    tamper(message.tool_calls)
    tamper(message.invalid_tool_calls)


def tamper_hit(generations: list[Generation]) -> None:
    for gen in generations:
        assert isinstance(gen, ChatGeneration)
        tamper_message(gen.message)
        tamper(gen.generation_info)


def snapshot(message: BaseMessage) -> dict[str, Any]:
    """``message`` as plain data, without the hit's age (it differs from one hit to the next)."""
    dumped = message.model_dump()
    dumped["response_metadata"].get("cache", {}).pop("age_s", None)
    return dumped


def hit_snapshot(generations: list[Generation] | None) -> list[dict[str, Any]]:
    assert generations is not None, "expected a hit"
    return [
        {**snapshot(g.message), "info": copy.deepcopy(g.generation_info)}
        for g in generations
        if isinstance(g, ChatGeneration)
    ]


@pytest.fixture(params=CACHES)
def make_cache(request: pytest.FixtureRequest) -> Iterator[Callable[..., BaseCache]]:
    """A factory of empty caches of one class (storing tool calls too), the Redis ones on a real redis-server."""
    made: list[RedisCache | RedisSemanticCache] = []

    def make(**kwargs: Any) -> BaseCache:
        kwargs.setdefault("policy", CachePolicy(cache_tool_calls=True))
        kind = request.param
        if kind == "memory_exact":
            return InMemoryExactCache(**kwargs)
        if kind == "memory_semantic":
            return InMemorySemanticCache(HashingEmbeddings(), **kwargs)
        url = request.getfixturevalue("redis_url")
        cache: RedisCache | RedisSemanticCache
        if kind == "redis_semantic":
            cache = RedisSemanticCache(redis_url=url, embeddings=HashingEmbeddings(), **kwargs)
        else:
            cache = RedisCache(url, near_cache_entries=10 if kind == "redis_near" else 0, **kwargs)
            assert cache.near_cache is None or cache.near_cache.wait_live(5.0)
        made.append(cache)
        return cache

    yield make
    for cache in made:
        cache.close()


def test_edits_to_a_hit_or_to_the_stored_answer_never_reach_a_later_hit(make_cache: Callable[..., BaseCache]):
    cache = make_cache()
    stored = rich_answer()
    cache.update(PROMPT, LLM, stored)
    tamper_hit(stored)
    first = cache.lookup(PROMPT, LLM)
    expected = hit_snapshot(first)
    assert expected[0]["content"][0]["text"] == "Paris."
    assert expected[0]["response_metadata"]["routing"]["tier"] == "simple"
    for _ in range(3):  # the codec's remembered entry and the near cache serve the repeats
        assert first is not None
        tamper_hit(first)
        first = cache.lookup(PROMPT, LLM)
        assert hit_snapshot(first) == expected


async def test_async_hits_are_independent_too(make_cache: Callable[..., BaseCache]):
    cache = make_cache()
    stored = rich_answer()
    await cache.aupdate(PROMPT, LLM, stored)
    tamper_hit(stored)
    hits = await asyncio.gather(*(cache.alookup(PROMPT, LLM) for _ in range(4)))
    expected = hit_snapshot(hits[0])
    for hit in hits[1:]:
        assert hit is not None
        tamper_hit(hit)
    for hit in hits[:1]:
        assert hit_snapshot(hit) == expected
    assert hit_snapshot(await cache.alookup(PROMPT, LLM)) == expected
    assert expected[0]["tool_calls"][0]["args"]["filters"] == {"years": [2024]}


def _tool_model(cache: BaseCache) -> Any:
    return RoutedChatBedrock(cache=cache).bind_tools([lookup_city])


def test_a_routed_invoke_hit_is_never_changed_by_editing_earlier_answers(emulator, make_cache):
    model = _tool_model(make_cache())
    answered = model.invoke(TOOL_PROMPT)  # a miss: the caller's answer is also what was stored
    answer = {name: copy.deepcopy(getattr(answered, name)) for name in ("content", "tool_calls", "id")}
    routing = copy.deepcopy(answered.response_metadata["routing"])
    tamper_message(answered)
    hit = model.invoke(TOOL_PROMPT)
    assert hit.response_metadata["cache"]["hit"] is True
    assert {name: getattr(hit, name) for name in answer} == answer
    assert hit.response_metadata["routing"] == routing
    expected = snapshot(hit)
    assert expected["content"][0]["input"] == {"city": "Paris"}
    tamper_message(hit)
    assert snapshot(model.invoke(TOOL_PROMPT)) == expected
    assert len(emulator.requests) == 1


async def test_a_routed_ainvoke_hit_is_never_changed_by_editing_earlier_hits(emulator, make_cache):
    model = _tool_model(make_cache())
    await model.ainvoke(TOOL_PROMPT)
    hit = await model.ainvoke(TOOL_PROMPT)
    expected = snapshot(hit)
    tamper_message(hit)
    again = await model.ainvoke(TOOL_PROMPT)
    assert snapshot(again) == expected
    assert again.tool_calls[0]["args"] == {"city": "Paris"}
    assert len(emulator.requests) == 1


def _replayed(chunks: list[Any]) -> dict[str, Any]:
    """The aggregated stream as plain data, without the id LangChain gives each run."""
    whole = chunks[0]
    for chunk in chunks[1:]:
        whole = whole + chunk
    return {k: v for k, v in snapshot(whole).items() if k != "id"}


@pytest.mark.parametrize("model_class", [RoutedChatBedrock, CachingChatBedrockConverse])
def test_a_stream_replay_is_never_changed_by_editing_earlier_streams(emulator, make_cache, model_class):
    cache = make_cache()
    if model_class is RoutedChatBedrock:
        model = RoutedChatBedrock(cache=cache)
    else:
        model = CachingChatBedrockConverse(model="amazon.nova-micro-v1:0", region_name="us-east-1", cache=cache)
    question = "Name three rivers of France and say where each one meets the sea."
    streamed: list[Any] = []
    for chunk in model.stream(question):  # a miss, stored once complete; the caller edits each text as it comes
        streamed.append(copy.deepcopy(chunk))
        for block in chunk.content if isinstance(chunk.content, list) else []:
            block["text"] = TAMPERED
    replay = list(model.stream(question))
    expected = _replayed(replay)
    assert expected["content"] == _replayed(streamed)["content"]
    assert expected["response_metadata"]["cache"]["hit"] is True
    for chunk in replay:
        tamper_message(chunk)
    assert _replayed(list(model.stream(question))) == expected
    assert len(emulator.requests) == 1


def test_a_miss_answer_edited_by_the_caller_is_stored_as_answered(emulator, make_cache):
    set_llm_cache(make_cache())
    model = RoutedChatBedrock()
    question = "What is the capital of France?"
    answered = model.invoke(question)
    text = answered.text
    tamper_message(answered)
    hit = model.invoke(question)
    assert hit.text == text
    assert TAMPERED not in str(hit.model_dump())


def test_owned_copies_extra_fields_and_unknown_containers_too():
    message = AIMessage.model_validate({"type": "ai", "content": "x", "vendor": {"ids": [1]}, "tags": {"a"}})
    (copied,) = owned([ChatGeneration(message=message, generation_info={"seen": {1, 2}})])
    copied.message.vendor["ids"].append(2)  # type: ignore[attr-defined]
    copied.message.tags.add("b")  # type: ignore[attr-defined]
    assert copied.generation_info is not None
    copied.generation_info["seen"].add(3)
    assert message.vendor == {"ids": [1]}  # type: ignore[attr-defined]
    assert message.tags == {"a"}  # type: ignore[attr-defined]
    assert copied.text == "x"
