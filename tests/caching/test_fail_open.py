"""Fail open: a Redis that dies mid-run costs no failed calls, the breaker opens, and recovery follows."""

from __future__ import annotations

import logging
import time

import pytest
import redis
from langchain_core.globals import set_llm_cache

from langchain_bedrock_routing.caching import RedisCache
from langchain_bedrock_routing.caching.breaker import CircuitBreaker
from langchain_bedrock_routing.testing import RedisServer, free_port, wait_until


def _run_through_outage(cache: RedisCache, server: RedisServer, model, caplog) -> None:
    set_llm_cache(cache)
    model.invoke("warm up")
    assert model.invoke("warm up").response_metadata["cache"]["hit"] is True

    server.stop()
    with caplog.at_level(logging.WARNING, logger="langchain_bedrock_routing.caching"):
        replies = [model.invoke(f"question {i}") for i in range(30)]
    assert all(r.text.startswith("answer ") for r in replies)  # zero failed calls
    assert cache.breaker.state == "open"
    assert cache.breaker.times_opened >= 1
    assert cache.stats.errors <= cache.breaker.failure_threshold + 1  # the rest were short-circuited
    assert cache.stats.short_circuited > 0
    assert cache.stats.error_misses >= 30
    assert len(caplog.records) < 5  # rate-limited, not one line per request

    server.start()
    assert wait_until(lambda: cache.breaker.state != "open", timeout_s=10), "the breaker's cooldown"
    assert wait_until(
        lambda: bool(model.invoke("after the outage").text) and cache.breaker.state == "closed", timeout_s=10
    ), "recovery"
    assert model.invoke("after the outage").response_metadata["cache"]["hit"] is True


def test_sync_calls_survive_a_redis_outage_and_recover(own_redis_server: RedisServer, numbered_model, caplog):
    breaker = CircuitBreaker(failure_threshold=2, cooldown_s=0.3)
    cache = RedisCache(own_redis_server.url, ttl=60, breaker=breaker)
    _run_through_outage(cache, own_redis_server, numbered_model(), caplog)


def test_killed_server_is_a_miss_too(own_redis_server: RedisServer, numbered_model):
    cache = RedisCache(own_redis_server.url, breaker=CircuitBreaker(failure_threshold=1, cooldown_s=60))
    set_llm_cache(cache)
    model = numbered_model()
    own_redis_server.kill()
    assert [model.invoke("Hello").text for _ in range(3)] == ["answer 1", "answer 2", "answer 3"]
    assert cache.stats.errors == 1
    assert cache.stats.short_circuited >= 5


async def test_async_calls_survive_a_redis_outage_and_recover(own_redis_server: RedisServer, numbered_model):
    cache = RedisCache(own_redis_server.url, ttl=60, breaker=CircuitBreaker(failure_threshold=2, cooldown_s=0.3))
    set_llm_cache(cache)
    model = numbered_model()
    await model.ainvoke("warm up")
    own_redis_server.stop()
    replies = [await model.ainvoke(f"question {i}") for i in range(20)]
    assert all(r.text.startswith("answer ") for r in replies)
    assert cache.breaker.times_opened >= 1
    assert cache.stats.short_circuited > 0
    own_redis_server.start()
    deadline = time.monotonic() + 10
    while cache.breaker.state != "closed" and time.monotonic() < deadline:
        await model.ainvoke("probe")
        time.sleep(0.05)
    assert cache.breaker.state == "closed"
    await model.ainvoke("after")
    assert (await model.ainvoke("after")).response_metadata["cache"]["hit"] is True
    await cache.aclose()


def test_unreachable_host_at_startup_is_a_miss(numbered_model):
    cache = RedisCache(f"redis://127.0.0.1:{free_port()}/0")
    set_llm_cache(cache)
    assert numbered_model().invoke("Hello").text == "answer 1"
    assert cache.stats.error_misses == 1
    assert cache.stats.errors == 2


def test_clear_reports_errors_to_its_caller(own_redis_server: RedisServer):
    cache = RedisCache(own_redis_server.url)
    own_redis_server.stop()
    with pytest.raises(redis.exceptions.ConnectionError):
        cache.clear()
