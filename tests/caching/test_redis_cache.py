"""RedisCache on a real redis-server: keys, TTL, clear(), tenants, corrupt entries, encryption, bad input."""

from __future__ import annotations

import time

import pytest
import redis
from langchain_core.globals import set_llm_cache
from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatGeneration, Generation

from langchain_bedrock_routing.caching import InMemoryExactCache, RedisCache, default_cache, make_cache

PROMPT = "What is the refund window for order 1234?"
LLM = "model=nova-micro temperature=0"


def _gens(text: str = "30 days.") -> list[ChatGeneration]:
    usage = {"input_tokens": 12, "output_tokens": 3, "total_tokens": 15}
    return [ChatGeneration(message=AIMessage(text, usage_metadata=usage, response_metadata={"model_id": "m"}))]


def test_key_holds_hashes_not_prompt_text_and_value_is_compressed_envelope(redis_client: redis.Redis, redis_url: str):
    cache = RedisCache(redis_url, ttl=60)
    cache.update(PROMPT * 20, LLM, _gens("long answer " * 50))
    (key,) = redis_client.keys("*")
    assert key.startswith(b"lbr:exact:{")
    assert key.endswith(b"}")
    assert b"refund" not in key
    assert b"nova" not in key
    value = redis_client.get(key)
    assert value is not None
    assert value[:3] == b"LBR"
    assert value[4] & 1
    assert len(value) < len("long answer " * 50)


def test_ttl_is_set_atomically_and_entries_expire(redis_client: redis.Redis, redis_url: str):
    cache = RedisCache(redis_url, ttl=1)
    cache.update(PROMPT, LLM, _gens())
    (key,) = redis_client.keys("*")
    assert 0 < redis_client.pttl(key) <= 1000
    assert cache.lookup(PROMPT, LLM) is not None
    deadline = time.monotonic() + 5
    while redis_client.exists(key) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert cache.lookup(PROMPT, LLM) is None
    assert cache.stats.hits == 1
    assert cache.stats.misses == 1


def test_no_ttl_means_no_expiry(redis_client: redis.Redis, redis_url: str):
    RedisCache(redis_url).update(PROMPT, LLM, _gens())
    (key,) = redis_client.keys("*")
    assert redis_client.pttl(key) == -1


def test_clear_removes_only_its_own_namespace(redis_client: redis.Redis, redis_url: str):
    mine, other, prefixed = (RedisCache(redis_url, namespace=ns) for ns in ("lbr", "other", "lbr2"))
    for i in range(1200):  # more than one SCAN/UNLINK batch
        mine.update(f"{PROMPT} #{i}", LLM, _gens())
    other.update(PROMPT, LLM, _gens())
    prefixed.update(PROMPT, LLM, _gens())
    redis_client.set("lbr", "foreign")
    redis_client.set("lbr:sessions:42", "foreign")
    redis_client.set("unrelated", "foreign")
    mine.clear()
    assert mine.lookup(f"{PROMPT} #7", LLM) is None
    assert other.lookup(PROMPT, LLM) is not None
    assert prefixed.lookup(PROMPT, LLM) is not None
    assert sorted(redis_client.scan_iter(match="lbr:exact:*")) == []
    assert {b"lbr", b"lbr:sessions:42", b"unrelated"} <= set(redis_client.keys("*"))
    assert redis_client.dbsize() == 5


async def test_aclear_removes_only_its_own_namespace(redis_client: redis.Redis, redis_url: str):
    mine, other = RedisCache(redis_url, namespace="a"), RedisCache(redis_url, namespace="b")
    for i in range(700):
        await mine.aupdate(f"{PROMPT} #{i}", LLM, _gens())
    await other.aupdate(PROMPT, LLM, _gens())
    await mine.aclear()
    assert redis_client.dbsize() == 1
    assert await other.alookup(PROMPT, LLM) is not None
    await mine.aclose()
    await other.aclose()


def test_tenant_on_the_cache_isolates_entries(redis_url: str):
    acme, globex, shared = (RedisCache(redis_url, tenant=t) for t in ("acme", "globex", None))
    acme.update(PROMPT, LLM, _gens("acme's answer"))
    assert globex.lookup(PROMPT, LLM) is None
    assert shared.lookup(PROMPT, LLM) is None
    hit = acme.lookup(PROMPT, LLM)
    assert hit is not None
    assert hit[0].text == "acme's answer"


def test_tenant_from_metadata_isolates_entries(redis_url: str, numbered_model):
    set_llm_cache(RedisCache(redis_url))
    model = numbered_model()
    a1 = model.invoke(PROMPT, config={"metadata": {"tenant_id": "a"}})
    b1 = model.invoke(PROMPT, config={"metadata": {"tenant_id": "b"}})
    a2 = model.invoke(PROMPT, config={"metadata": {"tenant_id": "a"}})
    anonymous = model.invoke(PROMPT)
    assert (a1.text, b1.text, a2.text, anonymous.text) == ("answer 1", "answer 2", "answer 1", "answer 3")
    assert a2.response_metadata["cache"]["hit"] is True


def test_hit_markers_and_usage_survive_the_round_trip(redis_url: str, numbered_model):
    cache = RedisCache(redis_url)
    set_llm_cache(cache)
    model = numbered_model()
    first = model.invoke("Hello")
    second = model.invoke("Hello")
    assert "cache" not in first.response_metadata
    marker = second.response_metadata["cache"]
    assert marker["hit"] is True
    assert marker["kind"] == "exact"
    assert marker["similarity"] == 1.0
    assert 0 <= marker["age_s"] < 60
    assert second.text == first.text
    assert second.usage_metadata is not None
    assert second.usage_metadata["output_tokens"] == 1


def test_corrupt_entry_is_a_counted_miss_then_overwritten(redis_client: redis.Redis, redis_url: str, numbered_model):
    cache = RedisCache(redis_url)
    set_llm_cache(cache)
    model = numbered_model()
    model.invoke("Hello")
    (key,) = redis_client.keys("*")
    version_1 = b'LBR\x01\x00{"created_at": 1, "meta": {}, "generations": "[]"}'
    for garbage in (b"\x00\xffnot an envelope", b"LBR\x02\x01" + b"\x78\x9c garbage", b"LBR\x09\x00{}", version_1):
        redis_client.set(key, garbage)
        reply = model.invoke("Hello")
        assert "cache" not in reply.response_metadata  # served by the model, not the cache
        assert redis_client.get(key)[:4] == b"LBR\x02"  # overwritten by a good entry
    assert cache.stats.corrupt == 4
    assert model.invoke("Hello").response_metadata["cache"]["hit"] is True


def test_entries_are_bound_to_their_key(redis_client: redis.Redis, redis_url: str):
    cache = RedisCache(redis_url, encryption_key=b"0" * 32)
    cache.update("question one", LLM, _gens("one"))
    cache.update("question two", LLM, _gens("two"))
    key_one, key_two = (k for k in redis_client.keys("*"))
    redis_client.set(key_one, redis_client.get(key_two))  # someone copies an answer under another key
    assert [cache.lookup(q, LLM) for q in ("question one", "question two")].count(None) == 1
    assert cache.stats.corrupt == 1


def test_encrypted_values_hide_the_answer_and_need_the_key(redis_client: redis.Redis, redis_url: str, monkeypatch):
    monkeypatch.setenv("LBR_CACHE_KEY", "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")
    cache = RedisCache(redis_url, encrypt=True, compress=False)
    cache.update(PROMPT, LLM, _gens("the secret answer"))
    (key,) = redis_client.keys("*")
    assert b"secret" not in redis_client.get(key)
    assert cache.lookup(PROMPT, LLM)[0].text == "the secret answer"
    assert RedisCache(redis_url).lookup(PROMPT, LLM) is None  # no key: a counted miss, not an error
    wrong = RedisCache(redis_url, encryption_key=b"1" * 32)
    assert wrong.lookup(PROMPT, LLM) is None
    assert wrong.stats.corrupt == 1


def test_policy_applies_before_redis(redis_client: redis.Redis, redis_url: str):
    cache = RedisCache(redis_url)
    cut = [Generation(text="The answer is", generation_info={"finish_reason": "length"})]
    cache.update(PROMPT, LLM, cut)
    cache.update(PROMPT, LLM, [Generation(text="  ")])
    assert redis_client.dbsize() == 0
    assert cache.stats.skipped == {"truncated": 1, "empty": 1}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"redis_url": "http://localhost:6379"}, "scheme 'http'"),
        ({"redis_url": "redis://localhost:notaport"}, "malformed Redis URL"),
        ({"redis_url": "redis://:hunter2@/0"}, r"names no host"),
        ({"redis_url": "redis://localhost/abc"}, "database 'abc'"),
        ({"redis_url": ""}, "non-empty string"),
        ({}, "redis_url=... or client="),
        ({"redis_url": "redis://localhost", "ttl": -5}, "ttl .* got -5"),
        ({"redis_url": "redis://localhost", "ttl": 0}, "got 0"),
        ({"redis_url": "redis://localhost", "namespace": "a:b"}, "namespace .* got 'a:b'"),
        ({"redis_url": "redis://localhost", "timeout_s": 0}, "timeout_s"),
        ({"redis_url": "redis://localhost", "encrypt": True}, r"\$LBR_CACHE_KEY is not set"),
        ({"redis_url": "redis://localhost", "encryption_key": "not base64!"}, "not valid base64"),
        ({"redis_url": "redis://localhost", "encryption_key": b"short"}, "5 bytes"),
    ],
)
def test_bad_input_fails_at_construction_naming_the_value(kwargs, message, monkeypatch):
    monkeypatch.delenv("LBR_CACHE_KEY", raising=False)
    with pytest.raises(ValueError, match=message) as info:
        RedisCache(**kwargs)
    assert "hunter2" not in str(info.value)


def test_factory_picks_redis_when_redis_url_is_set(redis_url: str, monkeypatch):
    assert isinstance(make_cache(), InMemoryExactCache)
    assert isinstance(make_cache(redis_url=redis_url, ttl=5), RedisCache)
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("LBR_CACHE_TTL_S", "30")
    monkeypatch.setenv("LBR_CACHE_NAMESPACE", "demo")
    cache = default_cache()
    assert isinstance(cache, RedisCache)
    assert cache.ttl == 30
    assert cache.namespace == "demo"
    monkeypatch.setenv("LBR_CACHE_TTL_S", "-1")
    with pytest.raises(ValueError, match="LBR_CACHE_TTL_S"):
        default_cache()
    with pytest.raises(ValueError, match="unknown cache kind 'fuzzy'; choose one of exact, semantic"):
        make_cache("fuzzy")


def test_given_clients_are_used_and_left_open(redis_server):
    client = redis_server.client()
    cache = RedisCache(client=client, ttl=60)
    cache.update(PROMPT, LLM, _gens())
    cache.close()
    assert client.ping() is True
    assert cache.lookup(PROMPT, LLM) is not None


async def test_async_with_only_a_sync_client_runs_in_a_thread(redis_server):
    cache = RedisCache(client=redis_server.client(), ttl=60)
    await cache.aupdate(PROMPT, LLM, _gens())
    hit = await cache.alookup(PROMPT, LLM)
    assert hit is not None
    assert hit[0].message.response_metadata["cache"]["hit"] is True
    await cache.aclear()
    assert await cache.alookup(PROMPT, LLM) is None


def test_factory_semantic_kind_picks_redis_or_in_process(redis_url: str):
    from langchain_bedrock_routing.caching import InMemorySemanticCache, RedisSemanticCache
    from langchain_bedrock_routing.embeddings import HashingEmbeddings

    embeddings = HashingEmbeddings()
    assert isinstance(make_cache("semantic", embeddings=embeddings), InMemorySemanticCache)
    redis_semantic = make_cache("semantic", redis_url=redis_url, embeddings=embeddings, ttl=5)
    assert isinstance(redis_semantic, RedisSemanticCache)
    redis_semantic.close()


async def test_a_burst_beyond_the_pool_size_waits_for_connections_instead_of_failing(redis_url: str):
    import asyncio

    from langchain_bedrock_routing.core.redis_conn import DEFAULT_MAX_CONNECTIONS

    cache = RedisCache(redis_url, ttl=60)
    burst = 3 * DEFAULT_MAX_CONNECTIONS
    await asyncio.gather(*(cache.aupdate(f"prompt {i}", "llm", _gens(f"answer {i}")) for i in range(burst)))
    found = await asyncio.gather(*(cache.alookup(f"prompt {i}", "llm") for i in range(burst)))
    assert [hit[0].text if hit else None for hit in found] == [f"answer {i}" for i in range(burst)]
    assert cache.stats.errors == 0
    await cache.aclose()
