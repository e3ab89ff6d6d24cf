"""Cached streaming for plain ChatBedrockConverse users: CachingChatBedrockConverse on a real Redis."""

from __future__ import annotations

from langchain_bedrock_routing.caching import RedisCache
from langchain_bedrock_routing.converse import CachingChatBedrockConverse


def _model(cache: RedisCache) -> CachingChatBedrockConverse:
    return CachingChatBedrockConverse(model="amazon.nova-micro-v1:0", region_name="us-east-1", cache=cache)


def test_a_stream_is_stored_and_replayed_from_redis(emulator, redis_url):
    cache = RedisCache(redis_url, ttl=60)
    model = _model(cache)
    streamed = list(model.stream("What does the emulator do with a stream?"))
    replayed = list(model.stream("What does the emulator do with a stream?"))
    assert len(emulator.requests) == 1
    assert "".join(c.text for c in replayed) == "".join(c.text for c in streamed)
    assert len(replayed) > 2
    assert replayed[-1].chunk_position == "last"
    assert replayed[-1].response_metadata["cache"]["kind"] == "exact"
    invoked = model.invoke("What does the emulator do with a stream?")
    assert invoked.response_metadata["cache"]["hit"] is True
    assert len(emulator.requests) == 1
    cache.close()


async def test_astream_hits_what_invoke_stored(emulator, redis_url):
    cache = RedisCache(redis_url, ttl=60)
    model = _model(cache)
    answer = await model.ainvoke("Name one thing a cache must never do.")
    replayed = [chunk async for chunk in model.astream("Name one thing a cache must never do.")]
    assert len(emulator.requests) == 1
    assert "".join(c.text for c in replayed) == answer.text
    assert replayed[-1].response_metadata["cache"]["hit"] is True
    cache.close()


def test_a_dead_redis_streams_from_bedrock(emulator, own_redis_server):
    cache = RedisCache(own_redis_server.url, ttl=60)
    model = _model(cache)
    own_redis_server.stop()
    first = list(model.stream("Is Redis needed to stream?"))
    second = list(model.stream("Is Redis needed to stream?"))
    assert "".join(c.text for c in first) == "".join(c.text for c in second)
    assert len(emulator.requests) == 2
    assert cache.stats.errors > 0
    cache.close()
