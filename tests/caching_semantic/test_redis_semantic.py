"""RedisSemanticCache on real servers: key layout, lazy cleanup, corrupt entries, fail-open, Redis 7, bad input."""

from __future__ import annotations

import asyncio
import time

import pytest
import redis
from langchain_core.globals import set_llm_cache
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from langchain_bedrock_routing.caching.breaker import CircuitBreaker
from langchain_bedrock_routing.caching.redis_cache import RedisCache
from langchain_bedrock_routing.caching.semantic_redis import RedisSemanticCache
from langchain_bedrock_routing.core.vectorsets import VectorSets
from langchain_bedrock_routing.embeddings import HashingEmbeddings
from langchain_bedrock_routing.errors import VectorSetsUnavailableError
from langchain_bedrock_routing.testing import RedisServer

from .conftest import answer, prompt

LLM = "model-a"
STORED = "How do I reverse a list in Python?"
PARAPHRASE = "What's the way to reverse a list in Python?"


def _cache(url: str, **kwargs: object) -> RedisSemanticCache:
    return RedisSemanticCache(HashingEmbeddings(), redis_url=url, **kwargs)  # type: ignore[arg-type]


def _keys(client: redis.Redis) -> list[str]:
    return sorted(k.decode() for k in client.keys("*"))


def test_a_partition_keeps_its_keys_in_one_slot_and_no_prompt_text(redis_url: str, redis_client: redis.Redis):
    cache = _cache(redis_url, ttl=60, namespace="app")
    cache.update(prompt(STORED), LLM, answer("Use reversed()."))
    keys = _keys(redis_client)
    assert len(keys) == 3
    assert {k.split("}")[0] for k in keys} == {keys[0].split("}")[0]}  # one hash tag
    assert all(k.startswith("app:sem:{") for k in keys)
    assert not any("reverse" in k for k in keys)
    assert sorted(k.split("}:")[1].split(":")[0] for k in keys) == ["order", "r", "vset"]
    assert all(0 < redis_client.pttl(k) <= 60_000 for k in keys)


def test_expired_answers_lose_their_vectors_lazily(redis_url: str, redis_client: redis.Redis):
    cache = _cache(redis_url, ttl=1.0, similarity_threshold=0.5, guard=False)
    cache.update(prompt(STORED), LLM, answer("first"))
    time.sleep(0.6)
    cache.update(prompt("How do I reverse a string in Python?"), LLM, answer("second"))
    vset = next(k for k in _keys(redis_client) if k.endswith(":vset"))
    assert redis_client.execute_command("VCARD", vset) == 2
    time.sleep(0.6)  # the first answer has expired, the second and the vector set have not
    assert cache.lookup(prompt(PARAPHRASE), LLM)[0].text == "second"
    assert redis_client.execute_command("VCARD", vset) == 1


def test_corrupt_answer_is_a_counted_miss_and_is_removed(redis_url: str, redis_client: redis.Redis):
    cache = _cache(redis_url)
    cache.update(prompt(STORED), LLM, answer("fine"))
    answer_key = next(k for k in _keys(redis_client) if ":r:" in k)
    redis_client.set(answer_key, b"not an envelope")
    assert cache.lookup(prompt(PARAPHRASE), LLM) is None
    assert cache.stats.corrupt == 1
    assert cache.lookup(prompt(PARAPHRASE), LLM) is None
    assert not redis_client.exists(answer_key)


@pytest.mark.parametrize(("quantization", "quant_type"), [("q8", "int8"), ("noquant", "f32"), ("bin", "bin")])
def test_quantizations(redis_url: str, redis_client: redis.Redis, quantization: str, quant_type: str):
    cache = _cache(redis_url, quantization=quantization)
    cache.update(prompt(STORED), LLM, answer("ok"))
    vset = next(k for k in _keys(redis_client) if k.endswith(":vset"))
    info = VectorSets(redis_client).info(vset)
    assert info is not None
    assert info["quant-type"] == quant_type
    assert cache.lookup(prompt(STORED), LLM)[0].text == "ok"


def test_clear_leaves_the_exact_cache_and_other_namespaces(redis_url: str, redis_client: redis.Redis):
    semantic, other = _cache(redis_url, namespace="lbr"), _cache(redis_url, namespace="other")
    exact = RedisCache(redis_url, namespace="lbr")
    for cache in (semantic, other, exact):
        cache.update(prompt(STORED), LLM, answer("kept?"))
    semantic.clear()
    assert semantic.lookup(prompt(STORED), LLM) is None
    assert other.lookup(prompt(STORED), LLM) is not None
    assert exact.lookup(prompt(STORED), LLM) is not None
    exact.close()


def test_other_embedding_dimension_is_a_counted_miss_warned_once_naming_both(
    redis_url: str, caplog: pytest.LogCaptureFixture
):
    _cache(redis_url).update(prompt(STORED), LLM, answer("384-d"))
    narrow = RedisSemanticCache(HashingEmbeddings(dimensions=256), redis_url=redis_url)
    assert narrow.lookup(prompt(PARAPHRASE), LLM) is None
    narrow.update(prompt(PARAPHRASE), LLM, answer("256-d"))
    assert narrow.stats.errors == 2
    assert narrow.stats.error_misses == 1
    warned = [r.getMessage() for r in caplog.records if "256-dimensional" in r.getMessage()]
    assert len(warned) == 1
    assert "holds 384-dimensional" in warned[0]


async def test_other_embedding_dimension_is_a_counted_miss_on_the_async_path_too(redis_url: str):
    wide = _cache(redis_url)
    await wide.aupdate(prompt(STORED), LLM, answer("384-d"))
    narrow = RedisSemanticCache(HashingEmbeddings(dimensions=256), redis_url=redis_url)
    assert await narrow.alookup(prompt(PARAPHRASE), LLM) is None
    assert narrow.stats.error_misses == 1
    await wide.aclose()
    await narrow.aclose()


def test_redis_7_gets_a_clear_error_and_the_exact_cache_works_there(redis7_server: RedisServer):
    semantic = _cache(redis7_server.url)
    with pytest.raises(VectorSetsUnavailableError, match=r"needs Redis >= 8\.0.*use RedisCache \(exact match\)"):
        semantic.lookup(prompt(PARAPHRASE), LLM)
    semantic.update(prompt(STORED), LLM, answer("x"))  # after a paid call: a counted error, not a raise
    assert semantic.stats.errors == 1
    exact = RedisCache(redis7_server.url)
    exact.update(prompt(STORED), LLM, answer("exact works"))
    assert exact.lookup(prompt(STORED), LLM)[0].text == "exact works"
    exact.clear()
    exact.close()


def test_killed_server_costs_no_failed_calls_and_recovery_follows(own_redis_server: RedisServer):
    cache = _cache(own_redis_server.url, ttl=60, breaker=CircuitBreaker(failure_threshold=2, cooldown_s=0.2))
    answers = (AIMessage(f"answer {i}") for i in range(1000))
    model = GenericFakeChatModel(messages=answers)
    set_llm_cache(cache)
    first = model.invoke(STORED)
    assert model.invoke(PARAPHRASE).text == first.text
    own_redis_server.kill()
    replies = [model.invoke(f"Question number {i} about something else?") for i in range(20)]
    assert all(r.text.startswith("answer ") for r in replies)
    assert cache.breaker.times_opened >= 1
    assert cache.stats.short_circuited > 0
    assert cache.stats.error_misses >= 10
    own_redis_server.start()
    deadline = time.monotonic() + 10
    while cache.breaker.state != "closed" and time.monotonic() < deadline:
        model.invoke("Probe question while recovering?")
        time.sleep(0.05)
    assert cache.breaker.state == "closed"
    model.invoke(STORED)
    assert model.invoke(PARAPHRASE).response_metadata["cache"]["kind"] == "semantic"


def test_sync_client_only_serves_async_calls_in_a_thread(redis_server: RedisServer):
    cache = RedisSemanticCache(HashingEmbeddings(), client=redis_server.client())

    async def roundtrip() -> str:
        await cache.aupdate(prompt(STORED), LLM, answer("threaded"))
        hit = await cache.alookup(prompt(PARAPHRASE), LLM)
        return hit[0].text

    assert asyncio.run(roundtrip()) == "threaded"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"redis_url": "http://localhost:6379"}, "scheme 'http'"),
        ({"redis_url": "redis://localhost:notaport"}, "malformed Redis URL 'redis://localhost:notaport'"),
        ({"redis_url": "redis://localhost:6379/zero"}, "database 'zero' is not a number"),
        ({"redis_url": "redis://localhost", "quantization": "fp16"}, "quantization must be one of q8, noquant, bin"),
        ({"redis_url": "redis://localhost", "namespace": "a:b"}, "namespace must be"),
        ({"redis_url": "redis://localhost", "similarity_threshold": 2}, r"in \[0, 1\], got 2"),
        ({"redis_url": "redis://localhost", "ttl": -1}, "got -1"),
        ({"redis_url": "redis://localhost", "vsim_ef": 0}, r"vsim_ef must be an int >= 1 or None .*got 0"),
        ({"redis_url": "redis://localhost", "vsim_ef": "50"}, r"vsim_ef must be .*got '50'"),
    ],
)
def test_bad_input_is_named_at_construction(kwargs, message):
    with pytest.raises(ValueError, match=message):
        RedisSemanticCache(HashingEmbeddings(), **kwargs)
