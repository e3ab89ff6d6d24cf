"""Budget ledgers (Redis Lua scripts on a real redis-server, and the in-process twin): reserve, settle, leases."""

from __future__ import annotations

import pytest

from langchain_bedrock_routing.core.redis_conn import RedisConnection
from langchain_bedrock_routing.routing.budget_ledger import MemoryLedger, RedisLedger
from tests.routing.test_native_async import run_recorded

KEYS = ["b:{t}:app", "b:{t}:tenant"]
LIMITS = [1_000, 500]
EXPIRES = [2_000_000_000, 2_000_000_000]
NOW = 1_800_000_000.0


@pytest.fixture(params=["redis", "memory"])
def ledger(request):
    if request.param == "memory":
        return MemoryLedger()
    return RedisLedger(request.getfixturevalue("redis_client"))


def test_a_reservation_holds_in_every_key_then_settles_to_the_real_cost(ledger):
    assert ledger.reserve(KEYS, LIMITS, EXPIRES, "r1", 300, NOW, NOW + 60) is None
    assert ledger.read(KEYS, NOW) == [(0, 300), (0, 300)]
    ledger.settle(KEYS, EXPIRES, "r1", 120, NOW)
    assert ledger.read(KEYS, NOW) == [(120, 0), (120, 0)]


def test_a_reservation_that_would_pass_any_limit_takes_nothing(ledger):
    assert ledger.reserve(KEYS, LIMITS, EXPIRES, "r1", 300, NOW, NOW + 60) is None
    assert ledger.reserve(KEYS, LIMITS, EXPIRES, "r2", 201, NOW, NOW + 60) == (1, 0, 300)  # the tenant key refuses
    assert ledger.read(KEYS, NOW) == [(0, 300), (0, 300)]
    assert ledger.reserve(KEYS, LIMITS, EXPIRES, "r3", 200, NOW, NOW + 60) is None  # exactly the limit fits


def test_a_lapsed_lease_is_released_and_a_late_settlement_still_counts(ledger):
    assert ledger.reserve(KEYS, LIMITS, EXPIRES, "dead", 400, NOW, NOW + 10) is None
    assert ledger.reserve(KEYS, LIMITS, EXPIRES, "r2", 400, NOW + 5, NOW + 60) == (1, 0, 400)
    assert ledger.reserve(KEYS, LIMITS, EXPIRES, "r2", 400, NOW + 11, NOW + 60) is None  # the dead worker's lapsed
    ledger.settle(KEYS, EXPIRES, "dead", 50, NOW + 12)  # its lease is gone: only the spend is added
    assert ledger.read(KEYS, NOW + 12) == [(50, 400), (50, 400)]


def test_redis_entries_expire_after_their_window(redis_client):
    ledger = RedisLedger(redis_client)
    ledger.settle(KEYS[:1], [2_000_000_123], "r", 7, NOW)
    assert redis_client.expiretime(KEYS[0]) == 2_000_000_123


def test_memory_entries_are_gone_after_their_expiry():
    ledger = MemoryLedger()
    ledger.settle(KEYS[:1], [int(NOW) + 100], "r", 7, NOW)
    assert ledger.read(KEYS[:1], NOW + 99) == [(7, 0)]
    assert ledger.read(KEYS[:1], NOW + 100) == [(0, 0)]


@pytest.mark.parametrize("kind", ["redis", "memory"])
def test_the_async_methods_hold_and_settle_as_the_sync_ones(kind, redis_url):
    """Through ``redis.asyncio`` on the event loop (a connection made from a URL), no executor thread."""
    ledger = MemoryLedger() if kind == "memory" else RedisLedger(RedisConnection(redis_url))

    async def steps() -> list[object]:
        seen: list[object] = [await ledger.areserve(KEYS, LIMITS, EXPIRES, "r1", 300, NOW, NOW + 60)]
        seen.append(await ledger.areserve(KEYS, LIMITS, EXPIRES, "r2", 201, NOW, NOW + 60))
        seen.append(await ledger.aread(KEYS, NOW))
        seen.append(await ledger.asettle(KEYS, EXPIRES, "r1", 120, NOW))
        if isinstance(ledger, RedisLedger):
            await ledger.connection.aclose()
        return seen

    seen, used = run_recorded(steps)
    assert used == []
    assert seen == [None, (1, 0, 300), [(0, 300), (0, 300)], [(120, 0), (120, 0)]]
    assert ledger.read(KEYS, NOW) == [(120, 0), (120, 0)]
