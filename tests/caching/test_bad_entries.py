"""Entries with bad contents are counted corrupt misses that the next answer replaces, and ttl has a ceiling.

A well-formed envelope can still hold what no caller can use: no generations, a plain ``Generation`` for a
chat model's prompt (served unmarked as a hit), times that are NaN, infinite, negative, strings or bools. Such
entries are written straight into a real Redis (exact and semantic caches) or into the in-process caches'
storage, then a real chat model (``RoutedChatBedrock`` on the emulator) is called twice: the first call is
answered by Bedrock, the second by the healed entry.
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
from langchain_core.messages import AIMessage
from langchain_core.outputs import Generation

from langchain_bedrock_routing.caching import CorruptEntryError, InMemoryExactCache, RedisCache
from langchain_bedrock_routing.caching.base import MAX_TTL_S, CacheBase, validate_ttl
from langchain_bedrock_routing.caching.envelope import CachedEntry, EnvelopeCodec
from langchain_bedrock_routing.caching.semantic_memory import InMemorySemanticCache
from langchain_bedrock_routing.caching.semantic_redis import RedisSemanticCache
from langchain_bedrock_routing.embeddings import HashingEmbeddings
from langchain_bedrock_routing.emulator import BedrockEmulator
from langchain_bedrock_routing.routing.chat_model import RoutedChatBedrock

QUESTION = "What is the capital of France?"
NOW = time.time()
CHAT = {"cls": "ChatGeneration", "info": None, "message": AIMessage("Paris, surely.").model_dump()}


def _body(**changes: Any) -> dict[str, Any]:
    """A good envelope body (one chat generation, stored now, expiring in an hour) with ``changes`` applied."""
    return {"created_at": NOW, "expires_at": NOW + 3600, "meta": {}, "generations": [CHAT], **changes}


BAD_BODIES: dict[str, Any] = {
    "no generations": _body(generations=[]),
    "plain generation": _body(generations=[{"cls": "Generation", "info": None, "text": "Paris, plainly."}]),
    "expires_at NaN": _body(expires_at=math.nan),
    "expires_at inf": _body(expires_at=math.inf),
    "expires_at -inf": _body(expires_at=-math.inf),
    "expires_at negative": _body(expires_at=-5.0),
    "expires_at before created_at": _body(expires_at=NOW - 1),
    "expires_at string": _body(expires_at=str(NOW + 3600)),
    "expires_at bool": _body(expires_at=True),
    "created_at string": _body(created_at=str(NOW)),
    "created_at NaN": _body(created_at=math.nan, expires_at=None),
    "created_at negative": _body(created_at=-1.0, expires_at=None),
    "created_at missing": {"meta": {}, "generations": [CHAT]},
    "created_at huge int": _body(created_at=10**400, expires_at=None),
    "meta a list": _body(meta=[1]),
    "generations an object": _body(generations={"0": CHAT}),
    "generation a number": _body(generations=[5]),
    "info a list": _body(generations=[{**CHAT, "info": [1]}]),
    "content a number": _body(generations=[{**CHAT, "message": {**CHAT["message"], "content": 5}}]),
    "human message": _body(generations=[{**CHAT, "message": {**CHAT["message"], "type": "human"}}]),
    "body a list": [CHAT],
}
"""Well-formed envelopes (right magic, version, JSON) with contents no caller can use; the first two are only
unusable for a chat model's prompt, so the codec itself refuses all but the plain generation."""


def envelope(body: Any) -> bytes:
    """Plaintext, uncompressed version-2 envelope bytes around the JSON ``body`` (``NaN`` and ``Infinity`` kept)."""
    return b"LBR\x02\x00" + json.dumps(body).encode()


@pytest.mark.parametrize("name", [name for name in BAD_BODIES if name != "plain generation"])
def test_the_codec_refuses_malformed_contents(name: str):
    with pytest.raises(CorruptEntryError):
        EnvelopeCodec().decode(envelope(BAD_BODIES[name]))


def test_the_codec_still_reads_good_times():
    codec = EnvelopeCodec()
    assert codec.decode(envelope(_body(expires_at=None))).expires_at is None
    assert codec.decode(envelope(_body(expires_at=NOW))).expired(now=NOW)
    assert codec.decode(envelope(_body(created_at=int(NOW)))).created_at == int(NOW)


def _model(cache: CacheBase) -> RoutedChatBedrock:
    return RoutedChatBedrock(cache=cache)


def _heals(cache: CacheBase, emulator: BedrockEmulator, poison: Callable[[], None]) -> None:
    """Fill the cache through the model, ``poison`` its entry, then check: a call answered by Bedrock (one
    corrupt miss), and a next call served from the entry that answer replaced it with."""
    model = _model(cache)
    reference = model.invoke(QUESTION)
    poison()
    before = len(emulator.requests)
    corrupt = cache.stats.corrupt
    answered = model.invoke(QUESTION)
    assert len(emulator.requests) == before + 1
    assert cache.stats.corrupt == corrupt + 1
    assert answered.text == reference.text
    assert "cache" not in answered.response_metadata
    healed = model.invoke(QUESTION)
    assert len(emulator.requests) == before + 1
    assert healed.response_metadata["cache"]["hit"] is True
    assert healed.text == reference.text


def _only_key(client: redis.Redis, pattern: str) -> bytes:
    keys = list(client.scan_iter(match=pattern))
    assert len(keys) == 1, keys
    return keys[0]


@pytest.fixture
def redis_caches(redis_url: str) -> Iterator[Callable[..., Any]]:
    made: list[Any] = []

    def make(cls: type, **kwargs: Any) -> Any:
        cache = cls(redis_url=redis_url, **kwargs)
        made.append(cache)
        return cache

    yield make
    for cache in made:
        cache.close()


@pytest.mark.parametrize("near_cache_entries", [10, 0])
@pytest.mark.parametrize("name", list(BAD_BODIES))
def test_a_bad_redis_exact_entry_is_a_corrupt_miss_the_next_answer_replaces(
    name, near_cache_entries, emulator, redis_caches, redis_client
):
    cache = redis_caches(RedisCache, near_cache_entries=near_cache_entries)
    assert cache.near_cache is None or cache.near_cache.wait_live(5.0)
    redis_client.flushall()
    _heals(
        cache,
        emulator,
        lambda: redis_client.set(_only_key(redis_client, "lbr:exact:*"), envelope(BAD_BODIES[name])),
    )


@pytest.mark.parametrize("name", ["no generations", "plain generation", "expires_at NaN", "created_at string"])
def test_a_bad_redis_semantic_answer_is_a_corrupt_miss_the_next_answer_replaces(
    name, emulator, redis_caches, redis_client
):
    cache = redis_caches(RedisSemanticCache, embeddings=HashingEmbeddings())
    redis_client.flushall()
    _heals(
        cache,
        emulator,
        lambda: redis_client.set(_only_key(redis_client, "lbr:sem:*:r:*"), envelope(BAD_BODIES[name])),
    )


IN_PROCESS_BAD = {"no generations": [], "plain generation": [Generation(text="Paris, plainly.")]}


@pytest.mark.parametrize("name", list(IN_PROCESS_BAD))
def test_a_bad_in_process_exact_entry_is_a_corrupt_miss_the_next_answer_replaces(name, emulator):
    cache = InMemoryExactCache()

    def poison() -> None:
        ((key, entry),) = cache._entries.items()
        cache._entries[key] = CachedEntry(list(IN_PROCESS_BAD[name]), entry.meta, entry.created_at)

    _heals(cache, emulator, poison)


@pytest.mark.parametrize("name", list(IN_PROCESS_BAD))
def test_a_bad_in_process_semantic_entry_is_a_corrupt_miss_the_next_answer_replaces(name, emulator):
    cache = InMemorySemanticCache(HashingEmbeddings())

    def poison() -> None:
        (entries,) = cache._partitions.values()
        ((entry_id, item),) = entries.items()
        entries[entry_id] = dataclasses.replace(item, generations=list(IN_PROCESS_BAD[name]))

    _heals(cache, emulator, poison)


@pytest.mark.parametrize("ttl", [1e16, MAX_TTL_S * 1.0001, math.inf, math.nan, 0, -1, True, "60"])
def test_a_ttl_redis_cannot_store_is_refused_naming_the_limit(ttl: Any):
    with pytest.raises(ValueError, match=r"ttl must be .*1e\+15"):
        validate_ttl(ttl)
    with pytest.raises(ValueError, match="ttl"):
        InMemoryExactCache(ttl=ttl)


def test_the_longest_ttl_is_accepted_by_redis_and_every_cache(emulator, redis_caches, redis_client):
    caches = [
        redis_caches(RedisCache, ttl=MAX_TTL_S, near_cache_entries=0),
        redis_caches(RedisSemanticCache, embeddings=HashingEmbeddings(), ttl=MAX_TTL_S),
        InMemoryExactCache(ttl=MAX_TTL_S),
        InMemorySemanticCache(HashingEmbeddings(), ttl=MAX_TTL_S),
    ]
    for cache in caches:
        _model(cache).invoke(QUESTION)
        assert _model(cache).invoke(QUESTION).response_metadata["cache"]["hit"] is True
        assert cache.stats.stores == 1
    assert redis_client.pttl(_only_key(redis_client, "lbr:exact:*")) > MAX_TTL_S * 1000 - 60_000
    assert redis_client.pttl(_only_key(redis_client, "lbr:sem:*:r:*")) > MAX_TTL_S * 1000 - 60_000
