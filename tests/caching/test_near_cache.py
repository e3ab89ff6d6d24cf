"""RedisCache's in-process copies: served without a round trip, dropped when Redis announces a change."""

from __future__ import annotations

import gc
import time

import pytest
import redis
from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatGeneration

from langchain_bedrock_routing.caching import RedisCache
from langchain_bedrock_routing.caching.near_cache import INVALIDATION_CHANNEL, NearCache
from langchain_bedrock_routing.testing import RedisServer, wait_until

PROMPT = "What is the refund window for order 1234?"
LLM = "model=nova-micro temperature=0"


def _gens(text: str) -> list[ChatGeneration]:
    return [ChatGeneration(message=AIMessage(text, response_metadata={"model_id": "m"}))]


def _gets_served(client: redis.Redis) -> int:
    return int(client.info("commandstats").get("cmdstat_get", {}).get("calls", 0))


def _text(cache: RedisCache) -> str | None:
    hit = cache.lookup(PROMPT, LLM)
    return None if hit is None else hit[0].text


def _live_cache(url: str, **kwargs: object) -> RedisCache:
    cache = RedisCache(url, **kwargs)  # type: ignore[arg-type]
    assert cache.near_cache is not None
    assert cache.near_cache.wait_live(5.0)
    return cache


def _settled_update(cache: RedisCache, text: str) -> None:
    """``update``, then wait for Redis's announcement of that write (a read before it arrives is not kept)."""
    near = cache.near_cache
    assert near is not None
    before = near.invalidations
    cache.update(PROMPT, LLM, _gens(text))
    assert wait_until(lambda: near.invalidations > before)


def test_a_repeated_hit_needs_no_round_trip(redis_client: redis.Redis, redis_url: str):
    cache = _live_cache(redis_url)
    _settled_update(cache, "30 days.")
    assert _text(cache) == "30 days."
    gets = _gets_served(redis_client)
    assert [_text(cache) for _ in range(5)] == ["30 days."] * 5
    assert _gets_served(redis_client) == gets
    assert (cache.stats.hits, cache.stats.local_hits) == (6, 5)


async def test_async_hits_use_the_same_copies(redis_client: redis.Redis, redis_url: str):
    cache = _live_cache(redis_url)
    near = cache.near_cache
    assert near is not None
    before = near.invalidations
    await cache.aupdate(PROMPT, LLM, _gens("30 days."))
    assert wait_until(lambda: near.invalidations > before)  # a read before Redis's announcement is not kept
    first = await cache.alookup(PROMPT, LLM)
    gets = _gets_served(redis_client)
    second = await cache.alookup(PROMPT, LLM)
    assert first is not None
    assert second is not None
    assert second[0].text == "30 days."
    assert _gets_served(redis_client) == gets
    await cache.aclose()


def test_changes_made_elsewhere_reach_the_kept_copy(redis_client: redis.Redis, redis_url: str):
    reader, writer = _live_cache(redis_url), RedisCache(redis_url, near_cache_entries=0)
    writer.update(PROMPT, LLM, _gens("30 days."))
    assert _text(reader) == "30 days."
    writer.update(PROMPT, LLM, _gens("45 days."))
    assert wait_until(lambda: _text(reader) == "45 days.")
    writer.clear()
    assert wait_until(lambda: _text(reader) is None)
    writer.update(PROMPT, LLM, _gens("60 days."))
    assert wait_until(lambda: _text(reader) == "60 days.")
    redis_client.flushall()
    assert wait_until(lambda: _text(reader) is None)


def test_changes_made_through_the_cache_apply_at_once(redis_url: str):
    cache = _live_cache(redis_url)
    cache.update(PROMPT, LLM, _gens("30 days."))
    assert _text(cache) == "30 days."
    cache.update(PROMPT, LLM, _gens("45 days."))
    assert _text(cache) == "45 days."
    cache.clear()
    assert _text(cache) is None


def test_a_value_changed_while_being_read_is_not_kept(redis_client: redis.Redis, redis_url: str):
    cache = _live_cache(redis_url)
    near = cache.near_cache
    assert near is not None
    key = "lbr:exact:{abc}"
    ticket = near.ticket(key)
    before = near.invalidations
    redis_client.set(key, b"new")  # lands between our GET's reply and keeping the value it read
    assert wait_until(lambda: near.invalidations > before)
    near.put(ticket, b"old")
    assert near.get(key) is None
    near.put(near.ticket(key), b"new")
    assert near.get(key) == b"new"


def test_a_kept_entry_past_its_ttl_is_a_miss(redis_client: redis.Redis, redis_url: str):
    cache = _live_cache(redis_url, ttl=0.3)
    cache.update(PROMPT, LLM, _gens("30 days."))
    (key,) = redis_client.keys("*")
    assert _text(cache) == "30 days."
    before = cache.near_cache.invalidations  # type: ignore[union-attr]
    redis_client.persist(key)  # Redis keeps the key now: only the expiry time inside the entry ends it
    assert wait_until(lambda: cache.near_cache.invalidations > before)  # type: ignore[union-attr]
    assert _text(cache) == "30 days."  # read again from Redis and kept
    time.sleep(0.4)
    assert _text(cache) is None
    assert redis_client.exists(key)


def test_switched_off_every_hit_reads_redis(redis_client: redis.Redis, redis_url: str):
    cache = RedisCache(redis_url, near_cache_entries=0)
    assert cache.near_cache is None
    cache.update(PROMPT, LLM, _gens("30 days."))
    gets = _gets_served(redis_client)
    assert [_text(cache) for _ in range(3)] == ["30 days."] * 3
    assert _gets_served(redis_client) == gets + 3
    assert cache.stats.local_hits == 0


def test_redis_6_keeps_copies_too(redis7_server: RedisServer):
    cache = _live_cache(redis7_server.url, namespace="near-old")
    client = redis7_server.client()
    _settled_update(cache, "30 days.")
    assert _text(cache) == "30 days."
    gets = _gets_served(client)
    assert _text(cache) == "30 days."
    assert _gets_served(client) == gets
    cache.clear()
    cache.close()
    client.close()


def test_redis_down_is_a_counted_miss_even_for_a_kept_entry(own_redis_server: RedisServer):
    cache = _live_cache(own_redis_server.url)
    cache.update(PROMPT, LLM, _gens("30 days."))
    assert _text(cache) == "30 days."
    own_redis_server.kill()
    assert wait_until(lambda: not cache.near_cache.live)  # type: ignore[union-attr]
    assert _text(cache) is None
    assert cache.stats.error_misses == 1


def test_the_listener_comes_back_after_a_restart(own_redis_server: RedisServer):
    cache = _live_cache(own_redis_server.url)
    near = cache.near_cache
    assert near is not None
    own_redis_server.stop()
    assert wait_until(lambda: not near.live)
    own_redis_server.start()
    assert wait_until(lambda: near.live, timeout_s=15.0)
    _settled_update(cache, "30 days.")
    assert [_text(cache) for _ in range(2)] == ["30 days."] * 2
    assert cache.stats.local_hits == 1


def _listeners(client: redis.Redis) -> int:
    return int(dict(client.pubsub_numsub(INVALIDATION_CHANNEL))[INVALIDATION_CHANNEL])


def test_close_and_garbage_collection_stop_the_listener(redis_client: redis.Redis, redis_url: str):
    closed, dropped = _live_cache(redis_url), _live_cache(redis_url)
    assert _listeners(redis_client) == 2
    closed.close()
    del dropped
    gc.collect()
    assert wait_until(lambda: _listeners(redis_client) == 0)


@pytest.mark.parametrize("entries", [-1, 1.5, True, "8"])
def test_bad_near_cache_size_is_refused(redis_url: str, entries: object):
    with pytest.raises(ValueError, match="near_cache_entries"):
        RedisCache(redis_url, near_cache_entries=entries)  # type: ignore[arg-type]


def test_least_recently_used_copies_go_first(redis_url: str):
    near = NearCache("t:", connection_kwargs=redis.ConnectionPool.from_url(redis_url).connection_kwargs, max_entries=2)
    assert near.wait_live(5.0)
    for key in ("t:a", "t:b"):
        near.put(near.ticket(key), key.encode())
    assert near.get("t:a") == b"t:a"
    near.put(near.ticket("t:c"), b"t:c")
    assert (near.get("t:a"), near.get("t:b"), near.get("t:c"), len(near)) == (b"t:a", None, b"t:c", 2)
    near.close()
