"""Tenant and directive reach the cache from run metadata (sync, async, batch) and cache_scope, and never leak."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import pytest
from langchain_aws import ChatBedrockConverse
from langchain_core.caches import BaseCache
from langchain_core.globals import set_llm_cache
from langchain_core.outputs import Generation

from langchain_bedrock_routing.caching import InMemoryExactCache, cache_scope
from langchain_bedrock_routing.caching.context import RequestCacheContext, current_request, ensure_run_hook
from langchain_bedrock_routing.emulator import BedrockEmulator

NOVA = "amazon.nova-micro-v1:0"


class RecordingCache(BaseCache):
    """A test cache that records the request context seen at each lookup and update (and stores nothing)."""

    def __init__(self) -> None:
        ensure_run_hook()  # a cache of its own that reads current_request() registers the run hook, as ours do
        self.seen: list[tuple[str, RequestCacheContext]] = []
        self._lock = threading.Lock()

    def _record(self, op: str) -> None:
        with self._lock:
            self.seen.append((op, current_request()))

    def lookup(self, prompt: str, llm_string: str) -> None:
        self._record("lookup")

    def update(self, prompt: str, llm_string: str, return_val: Sequence[Generation]) -> None:
        self._record("update")

    def clear(self, **kwargs: object) -> None:
        self.seen.clear()


def _chat() -> ChatBedrockConverse:
    return ChatBedrockConverse(model=NOVA, region_name="us-east-1")


def _tenants(cache: RecordingCache) -> list[str | None]:
    return sorted((ctx.tenant for _, ctx in cache.seen), key=lambda t: (t is None, t or ""))


def test_metadata_tenant_and_directive_reach_lookup_and_update(emulator: BedrockEmulator):
    cache = RecordingCache()
    set_llm_cache(cache)
    _chat().invoke("Hello there", config={"metadata": {"tenant_id": "acme", "cache": "no-store"}})
    assert cache.seen == [
        ("lookup", RequestCacheContext("acme", "no-store")),
        ("update", RequestCacheContext("acme", "no-store")),
    ]
    assert current_request() == RequestCacheContext(scoped=False)  # nothing left behind in the caller


async def test_async_invoke_carries_the_tenant_and_does_not_leak(emulator: BedrockEmulator):
    cache = RecordingCache()
    set_llm_cache(cache)
    await _chat().ainvoke("Hello there", config={"metadata": {"tenant_id": "acme"}})
    await _chat().ainvoke("Hello there")
    assert [ctx.tenant for _, ctx in cache.seen] == ["acme", "acme", None, None]
    assert current_request() == RequestCacheContext(scoped=False)


def test_batch_with_different_tenants_keeps_each_request_apart(emulator: BedrockEmulator):
    cache = RecordingCache()
    set_llm_cache(cache)
    configs = [{"metadata": {"tenant_id": t}} for t in ("a", "b", "c", "a")]
    _chat().batch(["What is 1 + 1?", "What is 2 + 2?", "What is 3 + 3?", "What is 4 + 4?"], config=configs)
    assert _tenants(cache) == ["a", "a", "a", "a", "b", "b", "c", "c"]
    assert current_request() == RequestCacheContext(scoped=False)


async def test_abatch_with_different_tenants_keeps_each_request_apart(emulator: BedrockEmulator):
    cache = RecordingCache()
    set_llm_cache(cache)
    configs = [{"metadata": {"tenant_id": t}} for t in ("a", "b")] + [{}]
    await _chat().abatch(["What is 1 + 1?", "What is 2 + 2?", "What is 3 + 3?"], config=configs)
    assert _tenants(cache) == ["a", "a", "b", "b", None, None]
    assert current_request() == RequestCacheContext(scoped=False)


def test_same_question_two_tenants_through_metadata_never_share(emulator: BedrockEmulator):
    cache = InMemoryExactCache()
    set_llm_cache(cache)
    chat = _chat()
    for tenant in ("a", "b", "a", "b"):
        chat.invoke("What is 6 * 7?", config={"metadata": {"tenant_id": tenant}})
    assert len(emulator.requests) == 2  # one paid call per tenant, then one hit each
    assert cache.stats.hits == 2
    assert len(cache) == 2


def test_batch_of_two_tenants_on_one_question_pays_once_per_tenant(emulator: BedrockEmulator):
    cache = InMemoryExactCache()
    set_llm_cache(cache)
    configs = [{"metadata": {"tenant_id": t}} for t in ("a", "b")]
    first = _chat().batch(["What is 6 * 7?"] * 2, config=configs)
    second = _chat().batch(["What is 6 * 7?"] * 2, config=configs)
    assert len(emulator.requests) == 2
    assert [m.response_metadata.get("cache", {}).get("hit") for m in first] == [None, None]
    assert [m.response_metadata["cache"]["hit"] for m in second] == [True, True]


def test_cache_scope_applies_to_runs_inside_it(emulator: BedrockEmulator):
    cache = RecordingCache()
    set_llm_cache(cache)
    with cache_scope(tenant="acme", directive="refresh") as scope:
        assert current_request() == scope == RequestCacheContext("acme", "refresh")
        _chat().invoke("Hello there")
        _chat().invoke("Hello there", config={"metadata": {"cache": "no-store"}})  # metadata refines the directive
    assert [ctx for _, ctx in cache.seen] == [RequestCacheContext("acme", "refresh")] * 2 + [
        RequestCacheContext("acme", "no-store")
    ] * 2
    assert current_request() == RequestCacheContext(scoped=False)


def test_directives_skip_lookup_or_store(emulator: BedrockEmulator):
    cache = InMemoryExactCache()
    set_llm_cache(cache)
    chat = _chat()
    chat.invoke("What is 2 * 8?", config={"metadata": {"cache": "no-store"}})
    assert len(cache) == 0
    assert cache.stats.stores_bypassed == 1
    chat.invoke("What is 2 * 8?")  # miss, stored
    hit = chat.invoke("What is 2 * 8?")
    assert hit.response_metadata["cache"]["hit"] is True
    fresh = chat.invoke("What is 2 * 8?", config={"metadata": {"cache": "no-cache"}})
    refreshed = chat.invoke("What is 2 * 8?", config={"metadata": {"cache": "refresh"}})
    assert "cache" not in fresh.response_metadata
    assert "cache" not in refreshed.response_metadata
    assert cache.stats.lookups_bypassed == 2
    assert cache.stats.stores == 3  # plain miss, no-cache (still stores) and refresh
    assert len(emulator.requests) == 4


def test_unknown_directive_fails_before_any_model_call(emulator: BedrockEmulator):
    set_llm_cache(InMemoryExactCache())
    with pytest.raises(ValueError, match=r"no-cache, no-store, refresh.*'nocache'"):
        _chat().invoke("Hello there", config={"metadata": {"cache": "nocache"}})
    assert emulator.requests == []
    assert current_request() == RequestCacheContext(scoped=False)


def test_invalid_metadata_skips_a_cache_given_by_cache_argument_when_the_global_cache_is_not_ours(
    emulator: BedrockEmulator,
):
    cache = InMemoryExactCache()
    chat = ChatBedrockConverse(model=NOVA, region_name="us-east-1", cache=cache)
    for _ in range(2):
        assert chat.invoke("Hello there", config={"metadata": {"cache": "nocache"}}).content
    assert (cache.stats.lookups_bypassed, cache.stats.stores_bypassed, cache.stats.stores) == (2, 2, 0)
    assert len(emulator.requests) == 2
    assert current_request() == RequestCacheContext(scoped=False)


def test_conflicting_tenants_fail_and_bad_values_are_named():
    with cache_scope(tenant="a"), pytest.raises(ValueError, match="conflicting cache tenants"), cache_scope(tenant="b"):
        pass
    with pytest.raises(ValueError, match="got 'sometimes'"), cache_scope(directive="sometimes"):  # type: ignore[arg-type]
        pass
    with pytest.raises(ValueError, match="non-empty string"):
        InMemoryExactCache(tenant="")
