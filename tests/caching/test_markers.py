"""Hit markers on real ChatBedrockConverse results (emulator over HTTP), sync and async, Redis and in process."""

from __future__ import annotations

import pytest
from langchain_aws import ChatBedrockConverse
from langchain_core.globals import set_llm_cache

from langchain_bedrock_routing.caching import InMemoryExactCache, RedisCache
from langchain_bedrock_routing.emulator import BedrockEmulator


@pytest.fixture(params=["redis", "memory"])
async def cache(request, redis_url: str):
    cache = RedisCache(redis_url, ttl=300) if request.param == "redis" else InMemoryExactCache(ttl=300)
    yield cache
    if isinstance(cache, RedisCache):
        await cache.aclose()
        cache.close()


def _chat() -> ChatBedrockConverse:
    return ChatBedrockConverse(model="amazon.nova-micro-v1:0", region_name="us-east-1")


def test_second_invoke_is_a_marked_hit_with_the_original_usage(emulator: BedrockEmulator, cache):
    set_llm_cache(cache)
    first = _chat().invoke("What is 12 + 30?")
    second = _chat().invoke("What is 12 + 30?")
    assert len(emulator.requests) == 1
    assert "cache" not in first.response_metadata
    marker = second.response_metadata["cache"]
    assert marker["hit"] is True
    assert marker["kind"] == "exact"
    assert marker["similarity"] == 1.0
    assert marker["age_s"] >= 0
    assert second.text == first.text == "12 + 30 = 42."
    assert second.usage_metadata is not None
    assert second.usage_metadata["input_tokens"] == first.usage_metadata["input_tokens"]
    assert second.usage_metadata["output_tokens"] == first.usage_metadata["output_tokens"]
    assert second.response_metadata["model_name"] == first.response_metadata["model_name"]


async def test_async_hit_is_marked(emulator: BedrockEmulator, cache):
    set_llm_cache(cache)
    await _chat().ainvoke("Hello there")
    hit = await _chat().ainvoke("Hello there")
    assert hit.response_metadata["cache"]["hit"] is True
    assert len(emulator.requests) == 1
    assert cache.stats.hits == 1


def test_different_model_settings_do_not_share_entries(emulator: BedrockEmulator, cache):
    set_llm_cache(cache)
    _chat().invoke("Hello there")
    other = ChatBedrockConverse(model="amazon.nova-micro-v1:0", region_name="us-east-1", temperature=0.9)
    assert "cache" not in other.invoke("Hello there").response_metadata
    assert len(emulator.requests) == 2
