"""A full Redis (``maxmemory`` reached, ``noeviction``): stores are refused, lookups keep hitting.

A refused write says the server is up and out of room; it must not open the breaker that guards reads. Refused
stores are counted (``stores_refused``) and, after a few in a row, the write breaker stops sending doomed writes
while reads go on. Exact cache (near cache on and off) and semantic cache, sync and async, on a real redis-server.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import pytest
import redis
from langchain_core.load import dumps
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.outputs import ChatGeneration, Generation

from langchain_bedrock_routing.caching import RedisCache
from langchain_bedrock_routing.caching.semantic_redis import RedisSemanticCache
from langchain_bedrock_routing.embeddings import HashingEmbeddings
from langchain_bedrock_routing.testing import RedisServer

LLM = "full-redis-llm-string"
KNOWN = 20
ROUNDS = 10
WRITES_PER_ROUND = 10
_FILLER = b"x" * 10_000
_MAX_FILLERS = 2_000
"""Bound on the fill loop: 20 MB of filler, far past the server's 4 MB ``maxmemory``."""
_HEADROOM = 512 * 1024
"""Bytes by which the filled server stays over its ``maxmemory`` (see :func:`_fill`)."""

Cache = RedisCache | RedisSemanticCache


@pytest.fixture
def full_redis() -> Iterator[RedisServer]:
    """A redis-server with 4 MB of ``maxmemory`` and no eviction (filled by :func:`_fill`)."""
    with RedisServer(extra_args=("--maxmemory", "4mb", "--maxmemory-policy", "noeviction")) as server:
        yield server


def _fill(server: RedisServer) -> None:
    """Write filler keys until the server refuses writes with OOM, then lower ``maxmemory`` half a megabyte under what
    it uses, so memory freed by a closing connection cannot make room for a store again."""
    client = server.client()
    try:
        for i in range(_MAX_FILLERS):
            client.set(f"filler:{i}", _FILLER)
    except redis.exceptions.OutOfMemoryError:
        used = int(client.info("memory")["used_memory"])
        client.config_set("maxmemory", used - _HEADROOM)
        return
    finally:
        client.close()
    raise AssertionError(f"the server took {_MAX_FILLERS} fillers without refusing one")


def _answer(text: str) -> list[Generation]:
    return [ChatGeneration(message=AIMessage(text))]


def _exact_prompt(i: int) -> str:
    return f"exact question {i}"


def _semantic_prompt(i: int) -> str:
    return dumps([HumanMessage(f"What is stored in warehouse number {i}?")])


def _make(kind: str, url: str) -> tuple[Cache, Callable[[int], str]]:
    if kind == "semantic":
        return RedisSemanticCache(HashingEmbeddings(), redis_url=url, ttl=600), _semantic_prompt
    return RedisCache(url, ttl=600, near_cache_entries=10_000 if kind == "exact-near" else 0), _exact_prompt


def _assert_reads_unharmed(cache: Cache, hits: list[bool]) -> None:
    assert all(hits), f"{hits.count(False)} of {len(hits)} lookups of stored prompts missed"
    assert cache.breaker.times_opened == 0
    assert cache.stats.error_misses == 0
    assert cache.stats.stores_refused >= 1
    assert cache.stats.stores_refused == cache.stats.errors  # every error was a refused store
    assert cache.fail_open.write_breaker.times_opened >= 1  # doomed writes were not all sent


KINDS = ["exact", "exact-near", "semantic"]


@pytest.mark.parametrize("kind", KINDS)
def test_sync_lookups_keep_hitting_when_redis_refuses_writes(full_redis: RedisServer, kind: str):
    cache, prompt = _make(kind, full_redis.url)
    for i in range(KNOWN):
        cache.update(prompt(i), LLM, _answer(f"answer {i}"))
    _fill(full_redis)
    hits: list[bool] = []
    for round_ in range(ROUNDS):
        for i in range(WRITES_PER_ROUND):
            cache.update(prompt(1000 + round_ * WRITES_PER_ROUND + i), LLM, _answer("refused"))
        hits += [cache.lookup(prompt(i), LLM) is not None for i in range(KNOWN)]
    _assert_reads_unharmed(cache, hits)
    cache.close()


@pytest.mark.parametrize("kind", KINDS)
async def test_async_lookups_keep_hitting_when_redis_refuses_writes(full_redis: RedisServer, kind: str):
    cache, prompt = _make(kind, full_redis.url)
    for i in range(KNOWN):
        await cache.aupdate(prompt(i), LLM, _answer(f"answer {i}"))
    _fill(full_redis)
    hits: list[bool] = []
    for round_ in range(ROUNDS):
        new = range(1000 + round_ * WRITES_PER_ROUND, 1000 + (round_ + 1) * WRITES_PER_ROUND)
        await asyncio.gather(*(cache.aupdate(prompt(i), LLM, _answer("refused")) for i in new))
        found = await asyncio.gather(*(cache.alookup(prompt(i), LLM) for i in range(KNOWN)))
        hits += [hit is not None for hit in found]
    _assert_reads_unharmed(cache, hits)
    await cache.aclose()
    cache.close()
