"""A tenant never falls back to "no tenant" in a worker thread: it is carried there, or the cache fails closed.

Every test runs on the four caches (exact / semantic, in process / Redis 8) with a real chat model on the emulator.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import pytest
from langchain_core.globals import set_llm_cache
from langchain_core.messages import BaseMessage
from langchain_core.runnables.config import ContextThreadPoolExecutor

from langchain_bedrock_routing import RoutedChatBedrock, cache_scope
from langchain_bedrock_routing.emulator import BedrockEmulator
from langchain_bedrock_routing.warming import warm_cache
from langchain_bedrock_routing.warming.prompts import WarmPrompt

from .conftest import CacheFactory

QUESTION = "What is the capital of France?"


def _hit(reply: BaseMessage) -> bool:
    return bool(reply.response_metadata.get("cache", {}).get("hit"))


def _in_thread(pool: ThreadPoolExecutor, fn: Callable[[], BaseMessage], *, copy: bool) -> BaseMessage:
    """``fn()`` on a pool thread, with the caller's context copied there or not (a plain ``submit``)."""
    if copy:
        return pool.submit(contextvars.copy_context().run, fn).result()
    return pool.submit(fn).result()


def test_a_tenant_lost_in_a_plain_thread_is_neither_stored_nor_served(
    make_any_cache: CacheFactory,
    router: Callable[..., RoutedChatBedrock],
    emulator: BedrockEmulator,
    caplog: pytest.LogCaptureFixture,
):
    cache = make_any_cache()
    set_llm_cache(cache)
    llm = router()
    ask = partial(llm.invoke, QUESTION)
    with ThreadPoolExecutor(2) as pool, caplog.at_level(logging.WARNING, "langchain_bedrock_routing.caching"):
        with cache_scope(tenant="acme"):
            assert not _hit(_in_thread(pool, ask, copy=False))  # the scope does not reach the thread
        with cache_scope(tenant="globex"):
            assert not _hit(_in_thread(pool, ask, copy=False))
            assert not _hit(_in_thread(pool, ask, copy=False))
        with cache_scope():
            assert not _hit(llm.invoke(QUESTION))  # the shared scope holds nothing of acme's
    assert len(emulator.requests) == 4
    assert cache.stats.unscoped_lookups_refused == 3
    assert cache.stats.unscoped_stores_refused == 3
    warnings = [r.getMessage() for r in caplog.records if "had no cache scope" in r.getMessage()]
    assert len(warnings) == 1
    assert "contextvars.copy_context().run" in warnings[0]
    assert "ContextThreadPoolExecutor" in warnings[0]


def test_a_tenant_carried_into_threads_gets_its_own_entry_and_nobody_else_does(
    make_any_cache: CacheFactory, router: Callable[..., RoutedChatBedrock], emulator: BedrockEmulator
):
    cache = make_any_cache()
    set_llm_cache(cache)
    llm = router()
    ask = partial(llm.invoke, QUESTION)
    with ThreadPoolExecutor(2) as pool:
        with cache_scope(tenant="acme"):
            assert not _hit(_in_thread(pool, ask, copy=True))
            assert _hit(_in_thread(pool, ask, copy=True))
        with cache_scope(tenant="globex"):
            assert not _hit(_in_thread(pool, ask, copy=True))
        assert not _hit(_in_thread(pool, ask, copy=False))  # no scope at all, after tenants: fails closed
        assert not _hit(_in_thread(pool, partial(_shared, llm), copy=False))  # an explicit shared scope
    with cache_scope(tenant="acme"), ContextThreadPoolExecutor(2) as context_pool:
        assert _hit(context_pool.submit(ask).result())  # LangChain's executor copies the context
    assert len(emulator.requests) == 4
    assert cache.stats.unscoped_lookups_refused == cache.stats.unscoped_stores_refused == 1
    assert cache.stats.hits == 2


def _shared(llm: RoutedChatBedrock) -> BaseMessage:
    with cache_scope():
        return llm.invoke(QUESTION)


def test_batch_carries_the_scope_to_its_worker_threads(
    make_any_cache: CacheFactory, router: Callable[..., RoutedChatBedrock], emulator: BedrockEmulator
):
    cache = make_any_cache()
    set_llm_cache(cache)
    llm = router()
    with cache_scope(tenant="acme"):
        llm.invoke(QUESTION)
        assert all(_hit(reply) for reply in llm.batch([QUESTION] * 3, config={"max_concurrency": 3}))
    with cache_scope(tenant="globex"):
        assert [_hit(reply) for reply in llm.batch([QUESTION] * 2, config={"max_concurrency": 1})] == [False, True]
    assert cache.stats.unscoped_lookups_refused == 0
    assert len(emulator.requests) == 2


async def test_tasks_and_to_thread_carry_the_scope(
    make_any_cache: CacheFactory, router: Callable[..., RoutedChatBedrock], emulator: BedrockEmulator
):
    cache = make_any_cache()
    set_llm_cache(cache)
    llm = router()
    with cache_scope(tenant="acme"):
        assert not _hit(await asyncio.to_thread(llm.invoke, QUESTION))
        replies = await asyncio.gather(*(llm.ainvoke(QUESTION) for _ in range(3)))
        assert all(_hit(reply) for reply in replies)
    with cache_scope(tenant="globex"):
        assert not _hit(await llm.ainvoke(QUESTION))
    assert cache.stats.unscoped_lookups_refused == 0
    assert len(emulator.requests) == 2


def test_an_app_that_never_names_a_tenant_caches_in_plain_threads_as_before(
    make_any_cache: CacheFactory, router: Callable[..., RoutedChatBedrock], emulator: BedrockEmulator
):
    cache = make_any_cache()
    set_llm_cache(cache)
    llm = router()
    with ThreadPoolExecutor(2) as pool:
        replies = [_in_thread(pool, partial(llm.invoke, QUESTION), copy=False) for _ in range(3)]
    assert [_hit(reply) for reply in replies] == [False, True, True]
    assert len(emulator.requests) == 1


def test_metadata_naming_no_tenant_is_an_explicit_shared_scope(
    make_any_cache: CacheFactory, router: Callable[..., RoutedChatBedrock], emulator: BedrockEmulator
):
    cache = make_any_cache()
    set_llm_cache(cache)
    llm = router()
    shared = {"metadata": {"tenant_id": None}}
    assert not _hit(llm.invoke(QUESTION, config={"metadata": {"tenant_id": "acme"}}))
    with ThreadPoolExecutor(1) as pool:
        assert not _hit(pool.submit(llm.invoke, QUESTION, config=shared).result())
        assert _hit(pool.submit(llm.invoke, QUESTION, config=shared).result())
    assert cache.stats.unscoped_lookups_refused == 0


def test_warming_shared_and_tenant_prompts_together_stores_both(
    make_any_cache: CacheFactory, router: Callable[..., RoutedChatBedrock], emulator: BedrockEmulator
):
    cache = make_any_cache()
    report = warm_cache(router(), [WarmPrompt.of(QUESTION, "acme"), "Name three primary colours."], cache=cache)
    assert [result.status for result in report.results] == ["stored", "stored"]
    assert cache.stats.unscoped_stores_refused == 0
