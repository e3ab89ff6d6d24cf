"""coalesce=True: a burst of one question is billed once, per tenant, in and across processes; failures release.

Real RoutedChatBedrock on the emulator; the billed call of the leading request is held by a gate until the
others are waiting (so the burst is really concurrent), and the emulator's request log counts the bills.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, cast

import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.runnables import RunnableLambda

from langchain_bedrock_routing import HashingEmbeddings, RoutedChatBedrock, make_cache
from langchain_bedrock_routing.caching import CacheBase, RedisCache, RedisSemanticCache
from langchain_bedrock_routing.emulator import BedrockEmulator
from langchain_bedrock_routing.routing.decision import RouteDecision
from langchain_bedrock_routing.testing import RedisServer
from langchain_bedrock_routing.testing.redis_cluster import RedisClusterServers

NOVA = {"simple": ["amazon.nova-micro-v1:0"], "medium": ["amazon.nova-lite-v1:0"], "complex": ["amazon.nova-pro-v1:0"]}
QUESTION = "What is the capital of France?"
BURST = 6
GATE_LIMIT_S = 20.0
"""A bound so a broken gate fails the test instead of hanging it (the gate records that it ran out)."""


class Gate:
    """A classifier (it runs only for requests that go to the model) that holds the first ``hold`` such requests
    until ``ready()``; ``ran_out`` records that ``ready()`` never came true."""

    def __init__(self, ready: Callable[[], bool], hold: int = 1) -> None:
        self.ready = ready
        self.ran_out = False
        self._holds = threading.Semaphore(hold)
        self.holding = threading.Event()
        """Set once a request is held."""

    def __call__(self, messages: Any) -> RouteDecision:
        if self._holds.acquire(blocking=False):
            self.holding.set()
            deadline = time.monotonic() + GATE_LIMIT_S
            while not self.ready():
                if time.monotonic() > deadline:
                    self.ran_out = True
                    break
                time.sleep(0.005)
        return RouteDecision(tier="simple", score=0.1, reason="held by the test's gate", classifier="gate")


@pytest.fixture(params=["exact-memory", "exact-redis", "semantic-memory", "semantic-redis"])
def make_coalescing(request: pytest.FixtureRequest) -> Iterator[Callable[..., CacheBase]]:
    """A factory of empty ``coalesce=True`` caches of one kind (in process or on the session's Redis 8)."""
    made: list[CacheBase] = []
    kind, backend = str(request.param).split("-")

    def make(**kwargs: Any) -> CacheBase:
        if kind == "semantic":
            kwargs.setdefault("embeddings", HashingEmbeddings())
        url = request.getfixturevalue("redis_url") if backend == "redis" else None
        kwargs.setdefault("coalesce", True)
        cache = make_cache(kind, redis_url=url, **kwargs)
        made.append(cache)
        return cache

    yield make
    for cache in made:
        close = getattr(cache, "close", None)
        if close is not None:
            close()


def _router(emulator: BedrockEmulator, cache: CacheBase, gate: Gate, **kwargs: Any) -> RoutedChatBedrock:
    return RoutedChatBedrock(tiers=NOVA, endpoint_url=emulator.endpoint_url, region_name="us-east-1", cache=cache,
                             classifier=RunnableLambda(gate), **kwargs)  # fmt: skip


def _hits(replies: list[BaseMessage]) -> int:
    return sum(bool(reply.response_metadata.get("cache", {}).get("hit")) for reply in replies)


def _burst(calls: list[Callable[[], BaseMessage]]) -> list[BaseMessage]:
    """Run the calls at once on their own threads (the caller's context is not needed: no tenant scope)."""
    with ThreadPoolExecutor(len(calls)) as pool:
        return [future.result() for future in [pool.submit(call) for call in calls]]


def test_a_burst_of_one_question_is_billed_once(make_coalescing: Callable[..., CacheBase], emulator: BedrockEmulator):
    cache = make_coalescing()
    gate = Gate(lambda: cache.stats.coalesce_waits >= BURST - 1)
    llm = _router(emulator, cache, gate)
    replies = _burst([lambda: llm.invoke(QUESTION)] * BURST)
    assert not gate.ran_out
    assert len(emulator.requests) == 1
    assert _hits(replies) == BURST - 1
    assert len({reply.text for reply in replies}) == 1
    assert cache.stats.coalesce_timeouts == 0


async def test_an_async_burst_is_billed_once(make_coalescing: Callable[..., CacheBase], emulator: BedrockEmulator):
    cache = make_coalescing()
    gate = Gate(lambda: cache.stats.coalesce_waits >= BURST - 1)
    llm = _router(emulator, cache, gate)
    replies = await asyncio.gather(*(llm.ainvoke(QUESTION) for _ in range(BURST)))
    assert not gate.ran_out
    assert len(emulator.requests) == 1
    assert _hits(list(replies)) == BURST - 1
    assert cache.stats.coalesce_timeouts == 0


Shared = RedisCache | RedisSemanticCache
Pair = Callable[..., list[Shared]]
"""Makes two ``coalesce=True`` Redis caches of one kind on one server (two processes that only Redis links)."""


@pytest.fixture(params=["exact", "semantic"])
def make_pair(request: pytest.FixtureRequest) -> Iterator[Pair]:
    """Two caches (``make_pair(url=None, **kwargs)``, the session's Redis 8 by default) of one Redis kind."""
    made: list[Shared] = []

    def make(url: str | None = None, **kwargs: Any) -> list[Shared]:
        if request.param == "semantic":
            kwargs.setdefault("embeddings", HashingEmbeddings())
        kwargs.setdefault("coalesce", True)
        url = url or request.getfixturevalue("redis_url")
        pair = [cast("Shared", make_cache(request.param, redis_url=url, **kwargs)) for _ in range(2)]
        made.extend(pair)
        return pair

    yield make
    for cache in made:
        cache.close()


def _waits(caches: list[Shared]) -> int:
    return sum(cache.stats.coalesce_waits for cache in caches)


def _burst_over(caches: list[Shared], emulator: BedrockEmulator) -> None:
    """A burst of one question split over ``caches``: one bill, every other request served that answer."""
    gate = Gate(lambda: _waits(caches) >= BURST - 1)
    routers = [_router(emulator, cache, gate) for cache in caches]
    replies = _burst([lambda llm=llm: llm.invoke(QUESTION) for llm in routers] * (BURST // 2))
    assert not gate.ran_out
    assert len(emulator.requests) == 1
    assert _hits(replies) == BURST - 1
    assert len({reply.text for reply in replies}) == 1
    assert all(cache.stats.coalesce_waits >= 1 for cache in caches)  # each "process" waited for the other's
    assert sum(cache.stats.coalesce_timeouts for cache in caches) == 0


def test_two_caches_share_one_lease(make_pair: Pair, emulator: BedrockEmulator):
    _burst_over(make_pair(), emulator)


def test_two_caches_share_one_lease_on_a_cluster(make_pair: Pair, emulator: BedrockEmulator):
    """On a Redis Cluster the lease lives in its key's slot (same hash tag), so reading both is one command."""
    with RedisClusterServers(primaries=3) as cluster:
        _burst_over(make_pair(cluster.url, cluster=True), emulator)


async def test_two_caches_share_one_lease_async(make_pair: Pair, emulator: BedrockEmulator):
    caches = make_pair()
    gate = Gate(lambda: _waits(caches) >= BURST - 1)
    routers = [_router(emulator, cache, gate) for cache in caches]
    replies = await asyncio.gather(*(llm.ainvoke(QUESTION) for llm in routers for _ in range(BURST // 2)))
    assert not gate.ran_out
    assert len(emulator.requests) == 1
    assert _hits(list(replies)) == BURST - 1
    assert sum(cache.stats.coalesce_timeouts for cache in caches) == 0
    for cache in caches:
        await cache.aclose()


def test_a_failing_leader_releases_the_other_process(make_pair: Pair, emulator: BedrockEmulator):
    caches = make_pair(coalesce_wait_s=60)
    gate = Gate(lambda: _waits(caches) >= BURST - 1)
    routers = [_router(emulator, cache, gate, max_retries=0) for cache in caches]
    emulator.set_faults(fail_models=[m for models in NOVA.values() for m in models])

    def ask(llm: RoutedChatBedrock) -> BaseMessage:
        try:
            return llm.invoke(QUESTION)
        except Exception as exc:
            return AIMessage(type(exc).__name__)

    replies = _burst([lambda llm=llm: ask(llm) for llm in routers] * (BURST // 2))
    assert not gate.ran_out
    assert _hits(replies) == 0
    assert _waits(caches) == BURST - 1
    assert sum(cache.stats.coalesce_timeouts for cache in caches) == 0  # released at once, not by the 60 s


def test_a_lease_left_by_a_dead_process_is_waited_out(make_pair: Pair, emulator: BedrockEmulator, redis_client: Any):
    """A process that died holding a lease delays its key's next miss by at most ``coalesce_wait_s`` (counted), then
    the request goes to the model."""
    first, second = make_pair(coalesce_wait_s=0.2)
    _router(emulator, first, Gate(lambda: True)).invoke(QUESTION)
    (key,) = redis_client.keys("lbr:exact:*" if first.kind == "exact" else "lbr:sem:*:r:*")
    redis_client.delete(key)
    redis_client.set(key + b":lease", "a dead process's token", px=60_000)
    reply = _router(emulator, second, Gate(lambda: True)).invoke(QUESTION)
    assert _hits([reply]) == 0
    assert len(emulator.requests) == 2
    assert (second.stats.coalesce_waits, second.stats.coalesce_timeouts) == (1, 1)


def test_tenants_are_never_coalesced_across_processes(make_pair: Pair, emulator: BedrockEmulator):
    caches = make_pair()
    gate = Gate(lambda: _waits(caches) >= 6, hold=2)  # 8 calls below, 2 of them billed
    routers = [_router(emulator, cache, gate) for cache in caches]
    calls = [
        lambda llm=llm, tenant=tenant: llm.invoke(QUESTION, config={"metadata": {"tenant_id": tenant}})
        for llm in routers
        for tenant in ("acme", "globex")
    ] * 2
    replies = _burst(calls)
    assert not gate.ran_out
    assert len(emulator.requests) == 2  # one bill per tenant
    assert _hits(replies) == len(calls) - 2


@pytest.mark.parametrize("bypass", ["no-cache", "refresh", "no-store", "breaker open"])
def test_directives_and_an_open_breaker_skip_the_lease(make_pair: Pair, emulator: BedrockEmulator, bypass: str):
    """While one process's leader is billed, the other process's request that bypasses the cache (a directive, or
    its breaker open) goes to the model at once instead of waiting on the lease."""
    caches = make_pair()
    answered: list[BaseMessage] = []
    gate = Gate(lambda: len(answered) == 1)  # the leader's bill waits for the other process's answer
    leader, other = (_router(emulator, cache, gate) for cache in caches)
    if bypass == "breaker open":
        for _ in range(caches[1].breaker.failure_threshold):
            caches[1].breaker.record_failure()
    config: Any = {} if bypass == "breaker open" else {"metadata": {"cache": bypass}}

    def bypassing() -> BaseMessage:
        assert gate.holding.wait(GATE_LIMIT_S)  # the leader holds the lease and its bill is held
        answered.append(other.invoke(QUESTION, config=config))
        return answered[-1]

    replies = _burst([lambda: leader.invoke(QUESTION), bypassing])
    assert not gate.ran_out
    assert len(emulator.requests) == 2
    assert _hits(replies) == 0
    assert _waits(caches) == 0


def test_a_refused_lease_is_a_plain_miss(make_pair: Pair, emulator: BedrockEmulator):
    """A Redis refusing writes (``maxmemory`` reached) refuses the lease: no coalescing, no error, no wait."""
    with RedisServer(extra_args=("--maxmemory", "1", "--maxmemory-policy", "noeviction")) as server:
        caches = make_pair(server.url, coalesce_wait_s=60)
        replies = [_router(emulator, cache, Gate(lambda: True)).invoke(QUESTION) for cache in caches]
    assert len(emulator.requests) == 2
    assert _hits(replies) == 0
    for cache in caches:
        assert cache.stats.error_misses == 0  # lookups ran
        assert cache.stats.errors - cache.stats.stores_refused == 1  # the refused lease
        assert (cache.stats.coalesce_waits, cache.stats.coalesce_timeouts) == (0, 0)


def test_a_failing_leader_releases_its_waiters(make_coalescing: Callable[..., CacheBase], emulator: BedrockEmulator):
    cache = make_coalescing(coalesce_wait_s=60)
    gate = Gate(lambda: cache.stats.coalesce_waits >= BURST - 1)
    llm = _router(emulator, cache, gate, max_retries=0)
    emulator.set_faults(fail_models=[m for models in NOVA.values() for m in models])

    def ask() -> str:
        try:
            llm.invoke(QUESTION)
        except Exception as exc:
            return type(exc).__name__
        return "answered"

    with ThreadPoolExecutor(BURST) as pool:
        outcomes = list(pool.map(lambda _: ask(), range(BURST)))
    assert not gate.ran_out
    assert "answered" not in outcomes
    assert cache.stats.coalesce_waits == BURST - 1
    assert cache.stats.coalesce_timeouts == 0  # released by the leader's error, not by coalesce_wait_s


def test_tenants_never_coalesce_with_each_other(make_coalescing: Callable[..., CacheBase], emulator: BedrockEmulator):
    cache = make_coalescing()
    gate = Gate(lambda: cache.stats.coalesce_waits >= BURST - 2, hold=2)
    llm = _router(emulator, cache, gate)
    calls = [
        lambda tenant=tenant: llm.invoke(QUESTION, config={"metadata": {"tenant_id": tenant}})
        for tenant in ("acme", "globex")
    ] * (BURST // 2)
    replies = _burst(calls)
    assert not gate.ran_out
    assert len(emulator.requests) == 2
    assert _hits(replies) == BURST - 2


@pytest.mark.parametrize("directive", ["no-cache", "refresh", "no-store"])
def test_directives_bypass_coalescing(
    make_coalescing: Callable[..., CacheBase], emulator: BedrockEmulator, directive: str
):
    cache = make_coalescing()
    bypassed: list[BaseMessage] = []
    gate = Gate(lambda: len(bypassed) == 2)  # the leader's bill waits for both bypassing requests to be answered
    llm = _router(emulator, cache, gate)

    def bypass() -> BaseMessage:
        assert gate.holding.wait(GATE_LIMIT_S)  # the leader holds the key and its bill is held
        reply = llm.invoke(QUESTION, config={"metadata": {"cache": directive}})
        bypassed.append(reply)
        return reply

    replies = _burst([lambda: llm.invoke(QUESTION), bypass, bypass])
    assert not gate.ran_out
    assert [reply.response_metadata.get("cache") for reply in replies] == [None] * 3
    assert len(emulator.requests) == 3
    assert cache.stats.coalesce_waits == 0


def test_one_generate_call_with_a_repeated_prompt_does_not_wait_for_itself(
    make_coalescing: Callable[..., CacheBase], emulator: BedrockEmulator
):
    """``generate`` answers its prompts one after another and ends their runs together: no lease may block it."""
    cache = make_coalescing()
    llm = _router(emulator, cache, Gate(lambda: True))
    result = llm.generate([[HumanMessage(QUESTION)], [HumanMessage(QUESTION)]])
    assert len(result.generations) == 2
    assert (cache.stats.coalesce_waits, cache.stats.coalesce_timeouts) == (0, 0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"coalesce": "yes"}, "coalesce must be True or False, got 'yes'"),
        ({"coalesce": True, "coalesce_wait_s": 0}, "coalesce_wait_s must be a positive, finite number of seconds"),
        ({"coalesce_wait_s": float("inf")}, "coalesce_wait_s must be a positive, finite number of seconds, got inf"),
    ],
)
def test_bad_coalesce_settings_are_refused(make_coalescing: Callable[..., CacheBase], kwargs: Any, message: str):
    with pytest.raises(ValueError, match=message):
        make_coalescing(**kwargs)
