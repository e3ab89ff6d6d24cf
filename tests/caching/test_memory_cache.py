"""InMemoryExactCache: LRU + TTL on an injected clock, copies in and out, thread safety, markers."""

from __future__ import annotations

import threading

import pytest
from langchain_core.globals import set_llm_cache
from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatGeneration

from langchain_bedrock_routing.caching import InMemoryExactCache, cache_scope


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def _gen(text: str) -> list[ChatGeneration]:
    return [ChatGeneration(message=AIMessage(text))]


def test_ttl_expiry_and_age_on_the_injected_clock():
    clock = Clock()
    cache = InMemoryExactCache(ttl=10, clock=clock)
    cache.update("q", "llm", _gen("a"))
    clock.now += 9.5
    (hit,) = cache.lookup("q", "llm")
    assert hit.message.response_metadata["cache"]["age_s"] == 9.5
    clock.now += 0.5
    assert cache.lookup("q", "llm") is None
    assert len(cache) == 0


def test_least_recently_used_entry_is_evicted_first():
    cache = InMemoryExactCache(max_entries=2)
    assert cache  # truthy while empty
    cache.update("a", "llm", _gen("A"))
    cache.update("b", "llm", _gen("B"))
    assert cache.lookup("a", "llm") is not None  # "a" is now the most recent
    cache.update("c", "llm", _gen("C"))
    assert cache.lookup("b", "llm") is None
    assert cache.lookup("a", "llm") is not None
    assert cache.lookup("c", "llm") is not None


def test_stored_entries_are_isolated_from_callers():
    clock = Clock()
    cache = InMemoryExactCache(clock=clock)
    original = _gen("stored")
    cache.update("q", "llm", original)
    original[0].message.content = "edited by the caller"
    (hit,) = cache.lookup("q", "llm")
    hit.message.content = "edited after the hit"
    hit.message.response_metadata["edited"] = True
    clock.now += 5
    (again,) = cache.lookup("q", "llm")
    assert again.message.content == "stored"
    assert again.message.response_metadata == {"cache": {"hit": True, "kind": "exact", "similarity": 1.0, "age_s": 5}}
    assert hit.message.response_metadata["cache"]["age_s"] == 0  # each hit is marked on its own copy


def test_concurrent_updates_and_lookups_from_threads():
    cache = InMemoryExactCache(max_entries=50)
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for i in range(300):
                cache.update(f"q{(worker * 7 + i) % 80}", "llm", _gen(f"{worker}-{i}"))
                cache.lookup(f"q{i % 80}", "llm")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(cache) == 50
    assert cache.stats.stores == 2400
    assert cache.stats.hits + cache.stats.misses == 2400


def test_markers_and_request_tenants_through_a_chat_model(numbered_model):
    cache = InMemoryExactCache(tenant="acme")
    set_llm_cache(cache)
    model = numbered_model()
    model.invoke("Hi")
    hit = model.invoke("Hi")
    marker = hit.response_metadata["cache"]
    assert hit.text == "answer 1"
    assert marker["hit"] is True
    assert marker["kind"] == "exact"
    with cache_scope(tenant="team-a"):  # a request tenant narrows the cache's own tenant
        assert model.invoke("Hi").text == "answer 2"
        assert model.invoke("Hi").text == "answer 2"
    with cache_scope():  # the cache's own tenant, shared by its requests: named, since request tenants are in use
        assert model.invoke("Hi").text == "answer 1"
    assert cache.stats.unscoped_lookups_refused == 0


@pytest.mark.parametrize(
    ("kwargs", "message"), [({"max_entries": 0}, "max_entries"), ({"ttl": -1}, "got -1"), ({"ttl": "5"}, "'5'")]
)
def test_bad_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        InMemoryExactCache(**kwargs)
