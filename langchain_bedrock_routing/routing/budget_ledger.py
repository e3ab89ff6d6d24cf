"""Budget ledgers: spend and reservations per budget window, in Redis (shared by processes) or in process.

Amounts are integer nano-USD. A window's entry holds ``spent`` (settled), ``reserved`` (held by calls in flight)
and one lease per reservation that lapses at ``lease_until`` (so a worker that dies mid-call frees what it held).
:meth:`reserve` takes an amount from every given entry or from none: it refuses when any entry's
``spent + reserved + amount`` would pass that entry's limit. :meth:`settle` drops the lease and adds the real cost.
In Redis each operation is one Lua script over keys sharing a hash tag, so it is atomic and Cluster-safe.

Every method has an async twin (``aread``, ``areserve``, ``asettle``): in Redis the same scripts sent by a
``redis.asyncio`` client on the running event loop. Budget logic is written once as *steps* (generators that yield
:class:`LedgerCall` and receive the answer, or a :class:`LedgerFailure`), run by :func:`run_steps` or
:func:`arun_steps`.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypeAlias, TypeVar

from langchain_bedrock_routing.core.redis_conn import AsyncClient, RedisConnection, SyncClient

T = TypeVar("T")

Refusal = tuple[int, int, int]
"""``(index of the refusing entry, its spent, its reserved)`` in nano-USD."""


class Ledger(Protocol):
    """Where budget windows are counted; every method may raise on a ledger outage (Redis errors)."""

    def read(self, keys: Sequence[str], now: float) -> list[tuple[int, int]]:
        """``(spent, reserved)`` of each key, nano-USD (0, 0 for a key not seen)."""

    def reserve(
        self,
        keys: Sequence[str],
        limits: Sequence[int],
        expiries: Sequence[int],
        token: str,
        amount: int,
        now: float,
        lease_until: float,
    ) -> Refusal | None:
        """Hold ``amount`` under ``token`` in every key, or in none and return the first refusing key's figures."""

    def settle(
        self, keys: Sequence[str], expiries: Sequence[int], token: str, amount: int, now: float
    ) -> list[tuple[int, int]]:
        """Release ``token``'s hold (if its lease still stands), add ``amount`` to each key's spend; return
        ``(spent, reserved)`` of each key after that."""

    async def aread(self, keys: Sequence[str], now: float) -> list[tuple[int, int]]:
        """Async :meth:`read`."""

    async def areserve(
        self,
        keys: Sequence[str],
        limits: Sequence[int],
        expiries: Sequence[int],
        token: str,
        amount: int,
        now: float,
        lease_until: float,
    ) -> Refusal | None:
        """Async :meth:`reserve`."""

    async def asettle(
        self, keys: Sequence[str], expiries: Sequence[int], token: str, amount: int, now: float
    ) -> list[tuple[int, int]]:
        """Async :meth:`settle`."""


@dataclass(frozen=True)
class LedgerCall:
    """One ledger operation a step needs: the :class:`Ledger` method and its arguments."""

    method: Literal["read", "reserve", "settle"]
    args: tuple[Any, ...]


@dataclass(frozen=True)
class LedgerFailure:
    """What a step receives instead of an answer when its ledger call raised."""

    error: Exception


Steps: TypeAlias = Generator[LedgerCall, Any, T]
"""Budget logic that yields each :class:`LedgerCall` and is sent its answer (or a :class:`LedgerFailure`)."""


def run_steps(ledger: Ledger, steps: Steps[T]) -> T:
    """What ``steps`` return, their ledger calls made here."""
    answer: Any = None
    try:
        while True:
            call = steps.send(answer)
            try:
                answer = getattr(ledger, call.method)(*call.args)
            except Exception as error:  # redis-py errors, sockets, a script the server refused ...
                answer = LedgerFailure(error)
    except StopIteration as stop:
        result: T = stop.value
        return result


async def arun_steps(ledger: Ledger, steps: Steps[T]) -> T:
    """Async :func:`run_steps`: each ledger call awaited on the running event loop."""
    answer: Any = None
    try:
        while True:
            call = steps.send(answer)
            try:
                answer = await getattr(ledger, "a" + call.method)(*call.args)
            except Exception as error:  # redis.asyncio errors, a LoopDeadline timeout ...
                answer = LedgerFailure(error)
    except StopIteration as stop:
        result: T = stop.value
        return result


_PURGE = """
local function purge(key, now)
  local entries = redis.call('HGETALL', key)
  for i = 1, #entries, 2 do
    local name = entries[i]
    if string.sub(name, 1, 2) == 'r:' then
      local amount, lease = string.match(entries[i + 1], '^(%d+)|(.+)$')
      if tonumber(lease) <= now then
        redis.call('HDEL', key, name)
        redis.call('HINCRBY', key, 'reserved', -tonumber(amount))
      end
    end
  end
end
"""

_RESERVE = (
    _PURGE
    + """
local now, token, amount, lease = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3]), ARGV[4]
local n = #KEYS
for i = 1, n do
  purge(KEYS[i], now)
  local spent = tonumber(redis.call('HGET', KEYS[i], 'spent') or '0')
  local reserved = tonumber(redis.call('HGET', KEYS[i], 'reserved') or '0')
  if spent + reserved + amount > tonumber(ARGV[4 + i]) then
    return {i, spent, reserved}
  end
end
for i = 1, n do
  redis.call('HSET', KEYS[i], 'r:' .. token, amount .. '|' .. lease)
  redis.call('HINCRBY', KEYS[i], 'reserved', amount)
  redis.call('EXPIREAT', KEYS[i], tonumber(ARGV[4 + n + i]))
end
return {0}
"""
)

_SETTLE = """
local token, amount = ARGV[1], tonumber(ARGV[2])
local n = #KEYS
local figures = {}
for i = 1, n do
  local held = redis.call('HGET', KEYS[i], 'r:' .. token)
  if held then
    redis.call('HDEL', KEYS[i], 'r:' .. token)
    redis.call('HINCRBY', KEYS[i], 'reserved', -tonumber(string.match(held, '^(%d+)|')))
  end
  if amount > 0 then
    redis.call('HINCRBY', KEYS[i], 'spent', amount)
  end
  redis.call('EXPIREAT', KEYS[i], tonumber(ARGV[2 + i]))
  figures[2 * i - 1] = tonumber(redis.call('HGET', KEYS[i], 'spent') or '0')
  figures[2 * i] = tonumber(redis.call('HGET', KEYS[i], 'reserved') or '0')
end
return figures
"""


class RedisLedger:
    """Budget windows in Redis hashes (one per budget, scope and window), changed only by Lua scripts.

    Given a sync client only, the async methods run the sync ones in a worker thread; given a
    :class:`RedisConnection` made from a URL, they use its ``redis.asyncio`` client of the running loop."""

    def __init__(self, client: SyncClient | RedisConnection) -> None:
        self.connection = client if isinstance(client, RedisConnection) else RedisConnection(client=client)

    @property
    def client(self) -> SyncClient:
        """The sync client."""
        return self.connection.client

    def read(self, keys: Sequence[str], now: float) -> list[tuple[int, int]]:
        pipe = self.client.pipeline(transaction=False)
        for key in keys:
            pipe.hmget(key, ["spent", "reserved"])
        return _figures(pipe.execute())

    def reserve(
        self,
        keys: Sequence[str],
        limits: Sequence[int],
        expiries: Sequence[int],
        token: str,
        amount: int,
        now: float,
        lease_until: float,
    ) -> Refusal | None:
        args = _reserve_args(limits, expiries, token, amount, now, lease_until)
        return _refusal(self.client.register_script(_RESERVE)(keys=list(keys), args=args))

    def settle(
        self, keys: Sequence[str], expiries: Sequence[int], token: str, amount: int, now: float
    ) -> list[tuple[int, int]]:
        return _pairs(self.client.register_script(_SETTLE)(keys=list(keys), args=[token, amount, *expiries]))

    async def aread(self, keys: Sequence[str], now: float) -> list[tuple[int, int]]:
        client = self.connection.async_client()
        if client is None:
            return await asyncio.to_thread(self.read, keys, now)
        pipe = client.pipeline(transaction=False)
        for key in keys:
            pipe.hmget(key, ["spent", "reserved"])
        return _figures(await self.connection.timed(pipe.execute()))

    async def areserve(
        self,
        keys: Sequence[str],
        limits: Sequence[int],
        expiries: Sequence[int],
        token: str,
        amount: int,
        now: float,
        lease_until: float,
    ) -> Refusal | None:
        client = self.connection.async_client()
        if client is None:
            return await asyncio.to_thread(self.reserve, keys, limits, expiries, token, amount, now, lease_until)
        args = _reserve_args(limits, expiries, token, amount, now, lease_until)
        return _refusal(await self._script(client, _RESERVE, keys, args))

    async def asettle(
        self, keys: Sequence[str], expiries: Sequence[int], token: str, amount: int, now: float
    ) -> list[tuple[int, int]]:
        client = self.connection.async_client()
        if client is None:
            return await asyncio.to_thread(self.settle, keys, expiries, token, amount, now)
        return _pairs(await self._script(client, _SETTLE, keys, [token, amount, *expiries]))

    async def aclose(self) -> None:
        """Close the async Redis client of the running event loop."""
        await self.connection.aclose()

    async def _script(self, client: AsyncClient, source: str, keys: Sequence[str], args: list[Any]) -> Any:
        """The script's answer (``EVALSHA``, loading it first when the server lacks it), within the timeout."""
        return await self.connection.timed(client.register_script(source)(keys=list(keys), args=args))


def _reserve_args(
    limits: Sequence[int], expiries: Sequence[int], token: str, amount: int, now: float, lease_until: float
) -> list[Any]:
    return [now, token, amount, lease_until, *limits, *expiries]


def _refusal(answer: Sequence[Any]) -> Refusal | None:
    figures = [int(x) for x in answer]
    return None if figures[0] == 0 else (figures[0] - 1, figures[1], figures[2])


def _pairs(answer: Sequence[Any]) -> list[tuple[int, int]]:
    flat = [int(x) for x in answer]
    return list(zip(flat[::2], flat[1::2], strict=True))


def _figures(replies: Sequence[Sequence[Any]]) -> list[tuple[int, int]]:
    return [(int(spent or 0), int(reserved or 0)) for spent, reserved in replies]


@dataclass
class _Entry:
    expires_at: int
    spent: int = 0
    leases: dict[str, tuple[int, float]] = field(default_factory=dict)

    def reserved(self, now: float) -> int:
        """What live leases hold (lapsed ones are dropped)."""
        for token in [t for t, (_, until) in self.leases.items() if until <= now]:
            del self.leases[token]
        return sum(amount for amount, _ in self.leases.values())


class MemoryLedger:
    """The same ledger in this process (a lock, no server): budgets hold per process only."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, _Entry] = {}

    def _live(self, key: str, now: float) -> _Entry | None:
        entry = self._entries.get(key)
        if entry is not None and entry.expires_at <= now:
            del self._entries[key]
            return None
        return entry

    def _entry(self, key: str, now: float, expires_at: int) -> _Entry:
        entry = self._live(key, now) or self._entries.setdefault(key, _Entry(expires_at))
        entry.expires_at = max(entry.expires_at, expires_at)
        return entry

    def read(self, keys: Sequence[str], now: float) -> list[tuple[int, int]]:
        with self._lock:
            return [(0, 0) if e is None else (e.spent, e.reserved(now)) for e in (self._live(k, now) for k in keys)]

    def reserve(
        self,
        keys: Sequence[str],
        limits: Sequence[int],
        expiries: Sequence[int],
        token: str,
        amount: int,
        now: float,
        lease_until: float,
    ) -> Refusal | None:
        with self._lock:
            entries = [self._entry(k, now, x) for k, x in zip(keys, expiries, strict=True)]
            for index, (entry, limit) in enumerate(zip(entries, limits, strict=True)):
                reserved = entry.reserved(now)
                if entry.spent + reserved + amount > limit:
                    return index, entry.spent, reserved
            for entry in entries:
                entry.leases[token] = (amount, lease_until)
            return None

    def settle(
        self, keys: Sequence[str], expiries: Sequence[int], token: str, amount: int, now: float
    ) -> list[tuple[int, int]]:
        with self._lock:
            figures = []
            for key, expires_at in zip(keys, expiries, strict=True):
                entry = self._entry(key, now, expires_at)
                entry.leases.pop(token, None)
                entry.spent += amount
                figures.append((entry.spent, entry.reserved(now)))
            return figures

    async def aread(self, keys: Sequence[str], now: float) -> list[tuple[int, int]]:
        return self.read(keys, now)

    async def areserve(
        self,
        keys: Sequence[str],
        limits: Sequence[int],
        expiries: Sequence[int],
        token: str,
        amount: int,
        now: float,
        lease_until: float,
    ) -> Refusal | None:
        return self.reserve(keys, limits, expiries, token, amount, now, lease_until)

    async def asettle(
        self, keys: Sequence[str], expiries: Sequence[int], token: str, amount: int, now: float
    ) -> list[tuple[int, int]]:
        return self.settle(keys, expiries, token, amount, now)
