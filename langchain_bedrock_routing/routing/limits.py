"""Per-deployment requests and tokens over the last minute, in process or shared across processes through Redis.

The window slides by the second: usage is the sum of the last :data:`WINDOW_S` one-second buckets. A call reserves
one request and its estimated tokens before it starts (refused when a limit would be passed, unless forced) and
settles the tokens to the real usage after it (0 when it failed: Bedrock bills no failed call); in Redis the
correction travels with the process's next reservation of that deployment, so a call costs one round trip.

In Redis each deployment is one hash ``<prefix>{<name>}`` with fields ``r:<second>`` / ``t:<second>``, read, pruned
and updated by one atomic Lua script on the server's clock; the key expires a minute after its last use. Each script
touches one key, so Redis Cluster works (a cluster node's URL is recognised by ``INFO cluster``). When Redis fails,
the limits fall back to the process's own count (logged) and Redis is tried again after :data:`REDIS_RETRY_S`.
:meth:`Limits.areserve` is the same on the event loop (the same script sent by a ``redis.asyncio`` client).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import redis
import redis.asyncio

from langchain_bedrock_routing.core.redis_conn import RedisConnection

logger = logging.getLogger(__name__)

WINDOW_S = 60
"""Seconds a request and its tokens count against a deployment's ``rpm`` / ``tpm``."""
REDIS_RETRY_S = 5.0
"""Seconds the limits count in process after a Redis error before trying Redis again."""
KEY_PREFIX = "lbr:limits:"


@dataclass(frozen=True)
class Usage:
    """Requests and tokens of one deployment in the current window."""

    requests: int = 0
    tokens: int = 0

    def fits(self, rpm: int | None, tpm: int | None, tokens: int) -> bool:
        """True when one more request of ``tokens`` stays within ``rpm`` and ``tpm`` (``None``: no limit)."""
        return (rpm is None or self.requests + 1 <= rpm) and (tpm is None or self.tokens + tokens <= tpm)


@dataclass(frozen=True)
class Reservation:
    """One call's place in a window: the deployment, the second it counted in, the tokens it reserved."""

    name: str
    second: int
    tokens: int
    shared: bool = False
    """True when counted in Redis (settled there), False when counted in process."""


class Limits(Protocol):
    """Reserves and settles calls against per-deployment limits; ``usage`` is the last known count (no I/O)."""

    def usage(self, name: str) -> Usage: ...

    def reserve(
        self, name: str, tokens: int, rpm: int | None, tpm: int | None, *, force: bool = False
    ) -> Reservation | None: ...

    async def areserve(
        self, name: str, tokens: int, rpm: int | None, tpm: int | None, *, force: bool = False
    ) -> Reservation | None: ...

    def settle(self, reservation: Reservation, tokens: int) -> None: ...


class LocalLimits:
    """The window of this process alone; thread-safe. ``clock`` returns seconds."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._buckets: dict[str, dict[int, list[int]]] = {}
        self._lock = threading.Lock()

    def usage(self, name: str) -> Usage:
        """Requests and tokens of ``name`` in the window ending now."""
        with self._lock:
            return self._count(name, int(self._clock()))

    def _count(self, name: str, now: int) -> Usage:
        buckets = self._buckets.setdefault(name, {})
        for second in [s for s in buckets if s <= now - WINDOW_S]:
            del buckets[second]
        return Usage(sum(b[0] for b in buckets.values()), sum(b[1] for b in buckets.values()))

    def reserve(
        self, name: str, tokens: int, rpm: int | None, tpm: int | None, *, force: bool = False
    ) -> Reservation | None:
        """Count one request of ``tokens`` now unless it would pass a limit (``force``: count it anyway)."""
        with self._lock:
            now = int(self._clock())
            if not force and not self._count(name, now).fits(rpm, tpm, tokens):
                return None
            self._add(name, now, 1, tokens)
            return Reservation(name, now, tokens)

    async def areserve(
        self, name: str, tokens: int, rpm: int | None, tpm: int | None, *, force: bool = False
    ) -> Reservation | None:
        """:meth:`reserve` (in process: no I/O to await)."""
        return self.reserve(name, tokens, rpm, tpm, force=force)

    def settle(self, reservation: Reservation, tokens: int) -> None:
        """Replace a reservation's estimated tokens by ``tokens`` (while its second is still in the window)."""
        with self._lock:
            if reservation.second in self._buckets.get(reservation.name, {}):
                self._add(reservation.name, reservation.second, 0, tokens - reservation.tokens)

    def _add(self, name: str, second: int, requests: int, tokens: int) -> None:
        bucket = self._buckets.setdefault(name, {}).setdefault(second, [0, 0])
        bucket[0] += requests
        bucket[1] += tokens


_RESERVE = """
for i = 6, #ARGV, 2 do
  local field = 't:' .. ARGV[i]
  if redis.call('HEXISTS', KEYS[1], field) == 1 then redis.call('HINCRBY', KEYS[1], field, ARGV[i + 1]) end
end
local now = tonumber(redis.call('TIME')[1])
local oldest = now - tonumber(ARGV[1]) + 1
local requests, tokens, stale = 0, 0, {}
local fields = redis.call('HGETALL', KEYS[1])
for i = 1, #fields, 2 do
  local second = tonumber(string.sub(fields[i], 3))
  if second < oldest then
    stale[#stale + 1] = fields[i]
  elseif string.sub(fields[i], 1, 1) == 'r' then
    requests = requests + tonumber(fields[i + 1])
  else
    tokens = tokens + tonumber(fields[i + 1])
  end
end
if #stale > 0 then redis.call('HDEL', KEYS[1], unpack(stale)) end
local want, rpm, tpm, force = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5] == '1'
if not force and ((rpm > 0 and requests + 1 > rpm) or (tpm > 0 and tokens + want > tpm)) then
  return {0, now, requests, tokens}
end
redis.call('HINCRBY', KEYS[1], 'r:' .. now, 1)
redis.call('HINCRBY', KEYS[1], 't:' .. now, want)
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[1]) + 1)
return {1, now, requests + 1, tokens + want}
"""
"""Applies pending token corrections (ARGV[6..]: second, delta pairs), then reads, prunes and maybe reserves."""


class RedisLimits:
    """The window shared by every process using the same Redis; in process while Redis is failing.

    One round trip a call: a settled call's token correction waits in this process and goes to Redis with the next
    reservation of its deployment (until then the window counts the estimate, which over-counts: the safe side).
    """

    def __init__(self, connection: RedisConnection, clock: Callable[[], float] = time.monotonic) -> None:
        self._connection = connection
        self._local = LocalLimits()
        self._seen: dict[str, Usage] = {}
        self._pending: dict[str, list[int]] = {}
        self._lock = threading.Lock()
        self._clock = clock
        self._down_until = 0.0
        self._script: Any = None
        self._checked = False
        """True once the server was asked whether it runs in cluster mode."""

    def usage(self, name: str) -> Usage:
        """The usage the last Redis reply about ``name`` gave (plus this process's corrections since); while Redis
        is failing, the in-process count that reservations go to meanwhile."""
        if self._clock() < self._down_until:
            return self._local.usage(name)
        return self._seen.get(name) or self._local.usage(name)

    def reserve(
        self, name: str, tokens: int, rpm: int | None, tpm: int | None, *, force: bool = False
    ) -> Reservation | None:
        """Count one request of ``tokens`` in Redis unless it would pass a limit there (``force``: anyway)."""
        if self._clock() >= self._down_until:
            try:
                reply = self._registered()(keys=[self._key(name)], args=self._args(name, tokens, rpm, tpm, force))
            except redis.RedisError as error:
                self._failed(error)
            else:
                return self._reserved(name, tokens, reply)
        return self._local.reserve(name, tokens, rpm, tpm, force=force)

    async def areserve(
        self, name: str, tokens: int, rpm: int | None, tpm: int | None, *, force: bool = False
    ) -> Reservation | None:
        """Async :meth:`reserve`: the script sent on the running event loop (a Redis that does not answer within
        the connection's timeout counts as failing)."""
        if self._clock() >= self._down_until:
            try:
                reply = await self._ascript([self._key(name)], self._args(name, tokens, rpm, tpm, force))
            except (redis.RedisError, TimeoutError) as error:
                self._failed(error)
            else:
                return self._reserved(name, tokens, reply)
        return self._local.reserve(name, tokens, rpm, tpm, force=force)

    async def aclose(self) -> None:
        """Close the async Redis client of the running event loop."""
        await self._connection.aclose()

    def _args(self, name: str, tokens: int, rpm: int | None, tpm: int | None, force: bool) -> list[int]:
        """The script's arguments, with the token corrections waiting for ``name`` (taken: sent now)."""
        with self._lock:
            corrections = self._pending.pop(name, [])
        return [WINDOW_S, tokens, rpm or 0, tpm or 0, 1 if force else 0, *corrections]

    def _reserved(self, name: str, tokens: int, reply: list[Any]) -> Reservation | None:
        """The reservation the script's reply grants (``None``: refused), its usage remembered."""
        admitted, second, requests, used = reply
        self._seen[name] = Usage(int(requests), int(used))
        return Reservation(name, int(second), tokens, shared=True) if admitted else None

    def settle(self, reservation: Reservation, tokens: int) -> None:
        """Correct a reservation's tokens to ``tokens`` where it was counted (Redis: with the next reservation)."""
        delta = tokens - reservation.tokens
        if delta == 0:
            return
        if not reservation.shared:
            self._local.settle(reservation, tokens)
            return
        with self._lock:
            self._pending.setdefault(reservation.name, []).extend((reservation.second, delta))
            seen = self._seen.get(reservation.name)
            if seen is not None:
                self._seen[reservation.name] = Usage(seen.requests, max(seen.tokens + delta, 0))

    def _registered(self) -> Any:
        """The script on this connection's client: a cluster client when the server runs in cluster mode."""
        if self._script is None:
            if not self._checked:
                client = self._connection.client
                self._use_cluster(
                    isinstance(client, redis.Redis) and bool(client.info("cluster").get("cluster_enabled"))
                )
            self._script = self._connection.client.register_script(_RESERVE)
        return self._script

    async def _ascript(self, keys: list[str], args: list[int]) -> Any:
        """The script's reply from this connection's async client of the running loop (a cluster client when the
        server runs in cluster mode); with only a sync client given, from that client in a worker thread."""
        client = self._connection.async_client()
        if client is None:
            return await asyncio.to_thread(lambda: self._registered()(keys=keys, args=args))
        if not self._checked:
            info = (
                await self._connection.timed(client.info("cluster")) if isinstance(client, redis.asyncio.Redis) else {}
            )
            if self._use_cluster(bool(info.get("cluster_enabled"))):
                client = self._connection.async_client()
                assert client is not None  # a connection made from a URL
        return await self._connection.timed(client.register_script(_RESERVE)(keys=keys, args=args))

    def _use_cluster(self, clustered: bool) -> bool:
        """Switch to a cluster connection when the server at the URL runs in cluster mode; True when switched."""
        self._checked = True
        if not clustered or self._connection.is_cluster:
            return False
        self._connection = RedisConnection(self._connection.url, cluster=True, timeout_s=self._connection.timeout_s)
        return True

    def _failed(self, error: Exception) -> None:
        logger.warning("rate limits count in process for %.0f s: Redis failed: %s", REDIS_RETRY_S, error)
        self._down_until = self._clock() + REDIS_RETRY_S

    @staticmethod
    def _key(name: str) -> str:
        return f"{KEY_PREFIX}{{{name}}}"


def make_limits(redis_url: str | None) -> Limits:
    """Limits shared through the Redis at ``redis_url`` (checked: ``ValueError`` naming the problem), else in
    process."""
    return LocalLimits() if redis_url is None else RedisLimits(RedisConnection(redis_url))
