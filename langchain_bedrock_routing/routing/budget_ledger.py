"""Budget ledgers: spend and reservations per budget window, in Redis (shared by processes) or in process.

Amounts are integer nano-USD. A window's entry holds ``spent`` (settled), ``reserved`` (held by calls in flight)
and one lease per reservation that lapses at ``lease_until`` (so a worker that dies mid-call frees what it held).
:meth:`reserve` takes an amount from every given entry or from none: it refuses when any entry's
``spent + reserved + amount`` would pass that entry's limit. :meth:`settle` drops the lease and adds the real cost.
In Redis each operation is one Lua script over keys sharing a hash tag, so it is atomic and Cluster-safe.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from langchain_bedrock_routing.core.redis_conn import SyncClient

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
    """Budget windows in Redis hashes (one per budget, scope and window), changed only by Lua scripts."""

    def __init__(self, client: SyncClient) -> None:
        self.client = client
        self._reserve = client.register_script(_RESERVE)
        self._settle = client.register_script(_SETTLE)

    def read(self, keys: Sequence[str], now: float) -> list[tuple[int, int]]:
        pipe = self.client.pipeline(transaction=False)
        for key in keys:
            pipe.hmget(key, ["spent", "reserved"])
        return [(int(spent or 0), int(reserved or 0)) for spent, reserved in pipe.execute()]

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
        args: list[str | int | float] = [now, token, amount, lease_until, *limits, *expiries]
        answer = [int(x) for x in self._reserve(keys=list(keys), args=args)]
        return None if answer[0] == 0 else (answer[0] - 1, answer[1], answer[2])

    def settle(
        self, keys: Sequence[str], expiries: Sequence[int], token: str, amount: int, now: float
    ) -> list[tuple[int, int]]:
        flat = [int(x) for x in self._settle(keys=list(keys), args=[token, amount, *expiries])]
        return list(zip(flat[::2], flat[1::2], strict=True))


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
