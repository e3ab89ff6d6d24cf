"""Bad cache configuration is a clear error at construction; bad cache *contents* are counted misses.

Rows of the README's "Bad input" table: invalid threshold / TTL, a malformed ``REDIS_URL``,
wrong-dimension embeddings against an existing vector set, corrupt cached bytes.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable

import pytest
import redis
from langchain_core.globals import set_llm_cache

from langchain_bedrock_routing import (
    HashingEmbeddings,
    InMemorySemanticCache,
    RedisCache,
    RedisSemanticCache,
    RoutedChatBedrock,
    default_cache,
    make_cache,
)
from langchain_bedrock_routing.emulator import BedrockEmulator

from .conftest import FixedDimEmbeddings

Router = Callable[..., RoutedChatBedrock]
Refused = Callable[..., pytest.ExceptionInfo[BaseException]]
QUESTION = "How many moons does Mars have?"


@pytest.mark.parametrize("threshold", [1.5, -0.1, float("nan"), "0.9", True, None])
@pytest.mark.parametrize("cache", [InMemorySemanticCache, RedisSemanticCache])
def test_invalid_similarity_threshold(cache: type, threshold: object, redis_url: str):
    extra = {"redis_url": redis_url} if cache is RedisSemanticCache else {}
    with pytest.raises(ValueError, match=r"similarity_threshold must be a number in \[0, 1\], got "):
        cache(HashingEmbeddings(), similarity_threshold=threshold, **extra)


@pytest.mark.parametrize("ttl", [0, -5, float("inf"), float("nan"), "60", True])
@pytest.mark.parametrize("kind", ["exact", "semantic"])
@pytest.mark.parametrize("backend", ["memory", "redis"])
def test_invalid_ttl(kind: str, backend: str, ttl: object, redis_url: str):
    options = {"embeddings": HashingEmbeddings()} if kind == "semantic" else {}
    url = redis_url if backend == "redis" else None
    with pytest.raises(ValueError, match=r"ttl must be a positive number of seconds or None \(no expiry; not inf\)"):
        make_cache(kind, redis_url=url, ttl=ttl, **options)


@pytest.mark.parametrize("value", ["ten minutes", "-1", "0", "inf"])
def test_invalid_ttl_from_the_environment(value: str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("LBR_CACHE_TTL_S", value)
    with pytest.raises(ValueError, match=rf"\$LBR_CACHE_TTL_S must be a positive number of seconds, got '{value}'"):
        default_cache()


def test_unknown_cache_kind_and_namespace():
    with pytest.raises(ValueError, match="unknown cache kind 'fuzzy'; choose one of exact, semantic"):
        make_cache("fuzzy")
    with pytest.raises(ValueError, match=r"namespace must be 1-64 characters of \[A-Za-z0-9_.-\] \(no ':'"):
        RedisCache(redis_url="redis://localhost:6379/0", namespace="lbr:*")


@pytest.mark.parametrize(
    ("url", "match"),
    [
        ("http://localhost:6379", "has scheme 'http'; use one of redis://, rediss://, unix://"),
        ("localhost:6379", "has scheme 'localhost'; use one of redis://"),
        ("redis://", "names no host"),
        ("redis://localhost:sixty/0", "malformed Redis URL 'redis://localhost:sixty/0': Port could not be cast"),
        ("redis://localhost:0/0", "has port 0"),
        ("redis://localhost:6379/cache", "database 'cache' is not a number"),
        ("unix://", "names no socket path"),
        ("redis://user:hunter2@localhost:sixty/0", r"malformed Redis URL 'redis://user:\*\*\*@localhost:sixty/0'"),
    ],
)
@pytest.mark.parametrize("kind", ["exact", "semantic"])
def test_malformed_redis_url(
    kind: str, url: str, match: str, monkeypatch: pytest.MonkeyPatch, router: Router, emulator: BedrockEmulator
):
    monkeypatch.setenv("REDIS_URL", url)
    options = {"embeddings": HashingEmbeddings()} if kind == "semantic" else {}
    with pytest.raises(ValueError, match=match) as info:
        make_cache(kind, **options)
    assert "hunter2" not in str(info.value)
    if kind == "exact":
        with pytest.raises(ValueError, match=match):
            default_cache()
    assert len(emulator.requests) == 0


def test_wrong_dimension_embeddings_against_an_existing_vector_set_is_answered_and_warned(
    redis_url: str, router: Router, emulator: BedrockEmulator, caplog: pytest.LogCaptureFixture
):
    llm = router()
    set_llm_cache(RedisSemanticCache(HashingEmbeddings(), redis_url=redis_url))
    llm.invoke(QUESTION)  # fills the partition's vector set with 384-dimensional vectors
    narrow = RedisSemanticCache(FixedDimEmbeddings(8), redis_url=redis_url)
    set_llm_cache(narrow)
    assert llm.invoke("Can you tell me how many moons Mars has?").content
    assert len(emulator.requests) == 2
    assert narrow.stats.error_misses == 1
    assert "VectorDimensionError: the embeddings give 8-dimensional vectors but the vector set" in caplog.text
    assert "holds 384-dimensional ones: use the same embeddings model" in caplog.text


def test_another_namespace_takes_the_other_dimension(redis_url: str, router: Router):
    llm = router()
    set_llm_cache(RedisSemanticCache(HashingEmbeddings(), redis_url=redis_url))
    llm.invoke(QUESTION)
    other = RedisSemanticCache(FixedDimEmbeddings(8), redis_url=redis_url, namespace="dim8")
    set_llm_cache(other)
    assert llm.invoke("Can you tell me how many moons Mars has?").content
    assert other.stats.stores == 1


_GARBAGE = [
    b"",
    b"\x00\xff" * 20,
    pickle.dumps({"answer": "evil"}),
    b"LBR\x09\x00{}",  # a future envelope version
    b'LBR\x01\x00{"created_at": 1, "meta": {}, "generations": "[]"}',  # a version-1 entry
    b'LBR\x02\x00{"created_at": 1, "meta": {}, "generations": [1]}',
    b'LBR\x02\x00{"created_at": 1, "meta": {}, "generations": [{"cls": "ChatGeneration", "info": null, '
    b'"message": {"type": "human", "content": "evil"}}]}',  # only AI messages are decoded
    b"LBR\x02\x01" + b"truncated zlib",
    b"LBR\x02\x02" + b"\x00" * 40,  # encrypted, but this cache has no key
]


@pytest.mark.parametrize("garbage", _GARBAGE, ids=range(len(_GARBAGE)))
def test_corrupt_bytes_in_the_exact_cache_are_a_counted_miss(
    garbage: bytes, redis_client: redis.Redis, redis_url: str, router: Router, emulator: BedrockEmulator
):
    cache = RedisCache(redis_url=redis_url)
    set_llm_cache(cache)
    llm = router()
    llm.invoke(QUESTION)
    (key,) = redis_client.keys("lbr:exact:*")
    redis_client.set(key, garbage)
    reply = llm.invoke(QUESTION)
    assert "cache" not in reply.response_metadata  # answered by the model
    assert cache.stats.corrupt == 1
    assert cache.stats.misses == 2
    assert len(emulator.requests) == 2
    assert llm.invoke(QUESTION).response_metadata["cache"]["hit"] is True  # the good answer replaced it
    cache.close()


def test_a_key_of_the_wrong_type_is_a_counted_miss(redis_client: redis.Redis, redis_url: str, router: Router):
    cache = RedisCache(redis_url=redis_url)
    set_llm_cache(cache)
    llm = router()
    llm.invoke(QUESTION)
    (key,) = redis_client.keys("lbr:exact:*")
    redis_client.delete(key)
    redis_client.rpush(key, "not", "a", "string")
    assert "cache" not in llm.invoke(QUESTION).response_metadata
    assert cache.stats.errors == 1
    assert cache.stats.error_misses == 1
    cache.close()


@pytest.mark.parametrize("garbage", _GARBAGE, ids=range(len(_GARBAGE)))
def test_corrupt_bytes_in_the_semantic_cache_are_a_counted_miss_and_dropped(
    garbage: bytes, redis_client: redis.Redis, redis_url: str, router: Router, emulator: BedrockEmulator
):
    cache = RedisSemanticCache(HashingEmbeddings(), redis_url=redis_url)
    set_llm_cache(cache)
    llm = router()
    llm.invoke(QUESTION)
    (answer_key,) = redis_client.keys("lbr:sem:*:r:*")
    redis_client.set(answer_key, garbage)
    paraphrase = llm.invoke("Can you tell me how many moons Mars has?")
    assert "cache" not in paraphrase.response_metadata  # its neighbour is corrupt
    assert cache.stats.corrupt == 1
    assert not redis_client.exists(answer_key)  # the unusable entry was dropped
    assert len(emulator.requests) == 2
    cache.close()


def test_wrong_dimension_in_the_in_process_cache_is_the_same_counted_miss(
    router: Router, emulator: BedrockEmulator, caplog: pytest.LogCaptureFixture
):
    embeddings = FixedDimEmbeddings(16)  # its dim is changed below, as a reconfigured model's
    cache = InMemorySemanticCache(embeddings)
    set_llm_cache(cache)
    llm = router()
    llm.invoke(QUESTION)
    embeddings.dim = 8
    assert llm.invoke("Can you tell me how many moons Mars has?").content
    assert len(emulator.requests) == 2
    assert cache.stats.error_misses == 1
    assert "8-dimensional vectors but this partition of the in-process cache holds 16-dimensional" in caplog.text


@pytest.mark.parametrize("backend", ["memory", "redis"])
def test_wrong_dimension_found_after_a_paid_call_keeps_the_answer(
    backend: str, redis_url: str, router: Router, emulator: BedrockEmulator, caplog: pytest.LogCaptureFixture
):
    """With lookups skipped ("refresh"), the mismatch shows only when storing: the paid answer is returned."""
    embeddings = FixedDimEmbeddings(16)  # its dim is changed below, as a reconfigured model's
    cache = (
        InMemorySemanticCache(embeddings)
        if backend == "memory"
        else RedisSemanticCache(embeddings, redis_url=redis_url)
    )
    set_llm_cache(cache)
    llm = router()
    llm.invoke(QUESTION)
    embeddings.dim = 8
    reply = llm.invoke("Can you tell me how many moons Mars has?", config={"metadata": {"cache": "refresh"}})
    assert reply.content
    assert len(emulator.requests) == 2
    assert cache.stats.errors == 1
    assert "VectorDimensionError: the embeddings give 8-dimensional vectors" in caplog.text
