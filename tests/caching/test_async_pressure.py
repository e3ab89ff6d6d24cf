"""Async caches while another thread of the process is CPU-bound: the event loop runs late, Redis is healthy.

The hog parses a 1 MB JSON document again and again; each parse holds the GIL for 5-20 ms, so the event loop
(and every timer on it) gets to run only between parses. That is a local scheduling delay, not a Redis
outage: lookups must still hit, stores must land, the breaker must stay closed and no answered prompt may be
billed again.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from langchain_core.globals import set_llm_cache
from langchain_core.load import dumps
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.outputs import ChatGeneration, Generation

from langchain_bedrock_routing.caching import RedisCache
from langchain_bedrock_routing.caching.semantic_redis import RedisSemanticCache
from langchain_bedrock_routing.embeddings import HashingEmbeddings
from langchain_bedrock_routing.emulator import BedrockEmulator
from langchain_bedrock_routing.routing.chat_model import RoutedChatBedrock

LLM = "pressure-llm-string"
_DOCUMENT = json.dumps([{"id": i, "name": f"item {i}", "tags": ["a", "b", "c"], "score": i / 2} for i in range(12_000)])
_MAX_PARSES = 2_000
"""Bound on the hog's work (10-40 s of parsing, far longer than a test's phase) should a test fail to stop it."""


@contextmanager
def gil_hog() -> Iterator[None]:
    """One thread parsing a 1 MB JSON document in a loop (each parse holds the GIL) while the block runs."""
    stop = threading.Event()

    def parse() -> None:
        for _ in range(_MAX_PARSES):
            if stop.is_set():
                return
            json.loads(_DOCUMENT)

    thread = threading.Thread(target=parse, name="gil-hog", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _answer(text: str) -> list[Generation]:
    return [ChatGeneration(message=AIMessage(text))]


def _assert_no_outage_seen(cache: RedisCache | RedisSemanticCache, burst_s: float, missed: int) -> int:
    """The breaker never opened and every error was the event loop's own lateness (a stall, not an outage); stalls
    only once the burst outlasted the wall-time stall limit (a machine starved of CPU besides the GIL hog), and
    every missed lookup among them. Returns how many stores stalled (0 unless the machine was starved)."""
    assert cache.breaker.times_opened == 0
    assert cache.breaker.state == "closed"
    assert cache.stats.short_circuited == 0
    assert cache.stats.errors == cache.stats.stalled
    assert cache.stats.stalled == 0 or burst_s >= cache.connection.stall_limit_s, f"stalled in {burst_s:.1f} s"
    assert missed <= cache.stats.stalled, f"{missed} lookups missed, {cache.stats.stalled} stalled"
    return cache.stats.stalled - missed


@contextmanager
def timed_burst() -> Iterator[list[float]]:
    """Seconds the block took, in the yielded list once it ends (to tell a stall from a false outage)."""
    seconds: list[float] = []
    began = time.monotonic()
    try:
        yield seconds
    finally:
        seconds.append(time.monotonic() - began)


async def _lookups_and_stores(cache: RedisCache | RedisSemanticCache, prompt, known: int, new: int) -> list[bool]:
    """``known`` lookups of stored prompts and ``new`` stores, all at once; whether each lookup hit."""
    lookups = [cache.alookup(prompt(i), LLM) for i in range(known)]
    stores = [cache.aupdate(prompt(known + i), LLM, _answer(f"answer {known + i}")) for i in range(new)]
    results = await asyncio.gather(*lookups, *stores)
    return [hit is not None for hit in results[:known]]


@pytest.mark.parametrize("near_cache_entries", [0, 10_000])
async def test_exact_cache_keeps_hitting_and_storing_while_the_loop_is_starved(redis_url: str, near_cache_entries):
    def prompt(i: int) -> str:
        return f"exact question {i}"

    writer = RedisCache(redis_url, ttl=300, near_cache_entries=0)
    for i in range(100):
        writer.update(prompt(i), LLM, _answer(f"answer {i}"))
    writer.close()
    # no connection opened yet: the burst opens the pool
    cache = RedisCache(redis_url, ttl=300, near_cache_entries=near_cache_entries)
    with gil_hog(), timed_burst() as burst_s:
        hits = await _lookups_and_stores(cache, prompt, known=100, new=100)
    stalled_stores = _assert_no_outage_seen(cache, burst_s[0], hits.count(False))
    assert cache.stats.stores == 100 - stalled_stores
    assert sum(cache.lookup(prompt(100 + i), LLM) is not None for i in range(100)) == 100 - stalled_stores
    await cache.aclose()
    cache.close()


async def test_semantic_cache_keeps_hitting_and_storing_while_the_loop_is_starved(redis_url: str):
    def prompt(i: int) -> str:
        return dumps([HumanMessage(f"What is stored in warehouse number {i}?")])

    writer = RedisSemanticCache(HashingEmbeddings(), redis_url=redis_url, ttl=300)
    for i in range(60):
        writer.update(prompt(i), LLM, _answer(f"answer {i}"))
    writer.close()
    cache = RedisSemanticCache(HashingEmbeddings(), redis_url=redis_url, ttl=300)
    with gil_hog(), timed_burst() as burst_s:
        hits = await _lookups_and_stores(cache, prompt, known=60, new=60)
    stalled_stores = _assert_no_outage_seen(cache, burst_s[0], hits.count(False))
    assert cache.stats.stores == 60 - stalled_stores
    assert sum(cache.lookup(prompt(60 + i), LLM) is not None for i in range(60)) == 60 - stalled_stores
    await cache.aclose()
    cache.close()


async def test_routed_model_bills_no_answered_prompt_again_while_the_loop_is_starved(
    redis_url: str, emulator: BedrockEmulator
):
    model = RoutedChatBedrock()
    questions = [f"In one word, what colour is fruit number {i}?" for i in range(60)]
    warm = RedisCache(redis_url, ttl=300, near_cache_entries=0)
    set_llm_cache(warm)
    await asyncio.gather(*(model.ainvoke(q) for q in questions[:30]))
    await warm.aclose()
    warm.close()
    answered = len(emulator.requests)
    assert answered == 30

    cache = RedisCache(redis_url, ttl=300, near_cache_entries=0)
    set_llm_cache(cache)
    with gil_hog(), timed_burst() as burst_s:
        replies = await asyncio.gather(*(model.ainvoke(q) for q in questions[:30] * 3 + questions[30:]))
    missed = [r.response_metadata.get("cache", {}).get("hit", False) for r in replies[:90]].count(False)
    stalled_stores = _assert_no_outage_seen(cache, burst_s[0], missed)
    assert len(emulator.requests) == answered + 30 + missed, "an answered prompt was billed again without a stall"
    replies = await asyncio.gather(*(model.ainvoke(q) for q in questions[30:]))
    lost = [r.response_metadata.get("cache", {}).get("hit", False) for r in replies].count(False)
    assert lost <= stalled_stores, "a store was lost without a stall"
    await cache.aclose()
    cache.close()
