"""Per-deployment rpm / tpm windows: in process, and shared through a real Redis (standalone, cluster, processes)."""

from __future__ import annotations

import logging
import multiprocessing
from typing import Any

import pytest

from langchain_bedrock_routing.core.redis_conn import RedisConnection
from langchain_bedrock_routing.routing.limits import (
    KEY_PREFIX,
    WINDOW_S,
    LocalLimits,
    RedisLimits,
    Reservation,
    Usage,
    make_limits,
)
from langchain_bedrock_routing.testing import RedisServer
from langchain_bedrock_routing.testing.redis_cluster import RedisClusterServers

from .test_native_async import run_recorded

MICRO = "amazon.nova-micro-v1:0"


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_local_window_admits_up_to_rpm_and_slides_after_a_minute():
    clock = Clock()
    limits = LocalLimits(clock)
    admitted = [limits.reserve("d", 10, rpm=3, tpm=None) for _ in range(4)]
    assert [a is not None for a in admitted] == [True, True, True, False]
    assert limits.reserve("d", 10, rpm=3, tpm=None, force=True) is not None  # forced: counted anyway
    assert limits.usage("d").requests == 4
    clock.now += WINDOW_S - 1
    assert limits.reserve("d", 10, rpm=3, tpm=None) is None
    clock.now += 1
    assert limits.usage("d").requests == 0
    assert limits.reserve("d", 10, rpm=3, tpm=None) is not None


def test_local_tokens_are_estimated_then_settled_to_the_real_usage():
    limits = LocalLimits(Clock())
    first = limits.reserve("d", 600, rpm=None, tpm=1000)
    assert first is not None
    assert limits.reserve("d", 600, rpm=None, tpm=1000) is None  # 600 + 600 > 1000
    limits.settle(first, 150)
    assert limits.usage("d").tokens == 150
    assert limits.reserve("d", 600, rpm=None, tpm=1000) is not None


def test_redis_window_counts_requests_and_tokens_on_one_hash_tagged_key(redis_url, redis_client):
    limits = make_limits(redis_url)
    assert isinstance(limits, RedisLimits)
    name = "amazon.nova-micro-v1:0@us-west-2"
    reservations = [limits.reserve(name, 100, rpm=2, tpm=None) for _ in range(3)]
    assert [r is not None and r.shared for r in reservations] == [True, True, False]
    assert limits.usage(name).requests == 2
    assert redis_client.keys("*") == [f"{KEY_PREFIX}{{{name}}}".encode()]
    assert 0 < redis_client.ttl(f"{KEY_PREFIX}{{{name}}}") <= WINDOW_S + 1
    assert reservations[0] is not None
    limits.settle(reservations[0], 30)
    assert limits.usage(name).tokens == 130  # this process knows at once
    fresh = RedisLimits(RedisConnection(redis_url))
    fresh.reserve(name, 0, None, None)
    assert fresh.usage(name).tokens == 200  # Redis still counts the estimate: the safe side
    limits.reserve(name, 0, None, None)  # the correction travels with this process's next reservation
    fresh.reserve(name, 0, None, None)
    assert fresh.usage(name).tokens == 130  # 100 estimated + 30 settled, seen by another client


def test_redis_refuses_by_tpm(redis_url):
    limits = make_limits(redis_url)
    assert limits.reserve("d", 700, rpm=None, tpm=1000) is not None
    assert limits.reserve("d", 400, rpm=None, tpm=1000) is None
    assert limits.reserve("d", 300, rpm=None, tpm=1000) is not None


def test_a_dead_redis_counts_in_process_and_never_raises(own_redis_server: RedisServer, caplog):
    limits = make_limits(own_redis_server.url)
    assert limits.reserve("d", 1, rpm=2, tpm=None) is not None
    own_redis_server.stop()
    with caplog.at_level(logging.WARNING):
        in_process = [limits.reserve("d", 1, rpm=2, tpm=None) for _ in range(3)]
    assert [r is not None and not r.shared for r in in_process] == [True, True, False]
    assert "rate limits count in process" in caplog.text
    assert in_process[0] is not None
    limits.settle(in_process[0], 5)  # settled where it was counted, no error


def test_a_cluster_node_url_works_with_deployments_on_different_slots():
    with RedisClusterServers(primaries=3) as cluster:
        limits = make_limits(cluster.url)
        names = [f"amazon.nova-micro-v1:0@{region}" for region in ("us-east-1", "us-west-2", "eu-west-1", "ap-south-1")]
        for name in names:
            assert [limits.reserve(name, 1, rpm=2, tpm=None) is not None for _ in range(3)] == [True, True, False]
        assert sum(1 for node in cluster.keys_per_node() if node) >= 2  # the deployments' keys spread over shards


def _reserve_many(url: str, name: str, count: int, rpm: int, results) -> None:
    limits = make_limits(url)
    results.put(sum(1 for _ in range(count) if limits.reserve(name, 10, rpm=rpm, tpm=None) is not None))


def test_limits_hold_exactly_across_four_processes(redis_url):
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    workers = [context.Process(target=_reserve_many, args=(redis_url, "d", 20, 37, results)) for _ in range(4)]
    for worker in workers:
        worker.start()
    admitted = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    assert all(worker.exitcode == 0 for worker in workers)
    assert sum(admitted) == 37


@pytest.mark.parametrize("bad", ["localhost:6379", "http://localhost:6379"])
def test_a_bad_limits_url_is_refused_at_construction(bad):
    from langchain_bedrock_routing import RoutedChatBedrock

    with pytest.raises(ValueError, match=r"Redis URL|redis_url"):
        RoutedChatBedrock(limits_redis_url=bad)


def test_async_reservations_share_the_redis_window_with_sync_ones_on_the_loop(redis_url):
    limits = make_limits(redis_url)
    name = "amazon.nova-micro-v1:0@us-west-2"
    assert limits.reserve(name, 100, rpm=3, tpm=None) is not None

    async def reserve() -> list[Reservation | None]:
        return [await limits.areserve(name, 100, rpm=3, tpm=None) for _ in range(3)]

    reservations, used = run_recorded(reserve)
    assert used == []
    assert [r is not None and r.shared for r in reservations] == [True, True, False]
    assert limits.usage(name) == Usage(3, 300)
    assert limits.reserve(name, 100, rpm=3, tpm=None) is None  # the sync path sees the async reservations
    assert reservations[0] is not None
    limits.settle(reservations[0], 40)  # the correction travels with the next reservation, sync or async
    assert run_recorded(lambda: limits.areserve(name, 0, None, None))[0] is not None
    fresh = RedisLimits(RedisConnection(redis_url))
    fresh.reserve(name, 0, None, None)
    assert fresh.usage(name).tokens == 240


def test_a_dead_redis_counts_async_reservations_in_process_and_never_raises(own_redis_server: RedisServer, caplog):
    limits = make_limits(own_redis_server.url)
    own_redis_server.stop()

    async def reserve() -> list[Reservation | None]:
        return [await limits.areserve("d", 1, rpm=2, tpm=None) for _ in range(3)]

    with caplog.at_level(logging.WARNING):
        in_process, used = run_recorded(reserve)
    assert used == []
    assert [r is not None and not r.shared for r in in_process] == [True, True, False]
    assert caplog.text.count("rate limits count in process") == 1  # Redis rests after one failure


def test_async_reservations_on_a_cluster_node_url():
    with RedisClusterServers(primaries=3) as cluster:
        limits = make_limits(cluster.url)
        names = [f"amazon.nova-micro-v1:0@{region}" for region in ("us-east-1", "us-west-2", "eu-west-1", "ap-south-1")]

        async def reserve() -> list[list[bool]]:
            return [[await limits.areserve(n, 1, rpm=2, tpm=None) is not None for _ in range(3)] for n in names]

        admitted, used = run_recorded(reserve)
        assert used == []
        assert admitted == [[True, True, False]] * len(names)
        assert sum(1 for node in cluster.keys_per_node() if node) >= 2


def test_a_router_s_async_calls_count_in_the_shared_window_on_the_loop(regions, redis_url):
    from langchain_bedrock_routing import RoutedChatBedrock

    from .conftest import deployment
    from .test_native_async import SimpleTier

    west, east = deployment(regions, "us-west-2", rpm=1), deployment(regions, "us-east-1", rpm=1)
    llm = RoutedChatBedrock(tiers={"simple": [west, east]}, classifier=SimpleTier(), limits_redis_url=redis_url)

    async def three() -> list[Any]:
        async with llm:
            return [await llm.ainvoke(f"question {i}") for i in range(3)]

    answers, used = run_recorded(three)
    assert used == []
    routings = [answer.response_metadata["routing"] for answer in answers]
    assert sorted(r["deployment"] for r in routings[:2]) == [f"{MICRO}@us-east-1", f"{MICRO}@us-west-2"]
    assert routings[2]["limited"]  # both windows full: passed over, then called anyway
    fresh = RedisLimits(RedisConnection(redis_url))
    assert fresh.reserve(f"{MICRO}@us-west-2", 0, rpm=1, tpm=None) is None  # counted in Redis, seen by others
