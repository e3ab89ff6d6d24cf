"""Single flight for identical cache misses (``coalesce=True``): a burst of the same question pays once.

The first chat-model run to look a key up leads it; runs that look the same key up (same prompt, model
settings and tenant scope) while it leads wait, at most ``wait_s`` seconds, until the leader's run ends
(answered and stored, failed, or served a hit), then look up again: a hit, or a miss that goes to the
model without leading. :class:`Flights` does this within a process. :class:`RedisLease` extends it
across processes for both Redis caches (``<key>`` is the exact cache's entry key, or the semantic cache's
answer key of the question in its partition): after a miss, the local leader takes ``SET <key>:lease
<token> NX PX`` and, if another process holds it, polls the key until the answer appears, the lease is
released or expires. Cache calls outside a chat-model run never coalesce (no run end would release them).
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, cast
from uuid import UUID

from langchain_bedrock_routing.caching.breaker import CacheStats, FailOpen
from langchain_bedrock_routing.caching.context import current_run_id, on_run_end
from langchain_bedrock_routing.core.redis_conn import RedisConnection

DEFAULT_COALESCE_WAIT_S = 5.0
"""How long a waiting lookup waits for the leader at most (seconds); also the lease's lifetime."""
_NOTHING: list[Any] = [None, None]
"""What a failed poll reads: no answer and no lease (so the waiter goes on as a miss)."""
POLL_S = 0.02
"""How often a process waiting on another process's lease reads the key again (seconds)."""


def validate_wait(wait_s: object) -> float:
    """``wait_s`` (seconds, > 0 and finite) as a float; ``ValueError`` naming the value otherwise."""
    if isinstance(wait_s, bool) or not isinstance(wait_s, int | float) or not 0 < wait_s < math.inf:
        raise ValueError(f"coalesce_wait_s must be a positive, finite number of seconds, got {wait_s!r}")
    return float(wait_s)


@dataclass
class _Flight:
    owner: UUID
    deadline: float
    done: threading.Event = field(default_factory=threading.Event)
    waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = field(default_factory=list)


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class Flights:
    """In-process leases: one leading run per key, the others wait for its end (bounded by ``wait_s``)."""

    def __init__(self, wait_s: float, stats: CacheStats) -> None:
        self.wait_s = validate_wait(wait_s)
        self.stats = stats
        self._lock = threading.Lock()
        self._flights: dict[str, _Flight] = {}
        self._owned: dict[UUID, set[str]] = {}

    def _join(self, key: str, owner: UUID) -> _Flight | None:
        """The flight to wait for, or ``None`` when ``owner`` leads ``key`` (now or already)."""
        now = time.monotonic()
        with self._lock:
            flight = self._flights.get(key)
            if flight is not None and now < flight.deadline:
                if flight.owner == owner:
                    return None
                self.stats.add("coalesce_waits")
                return flight
            if flight is not None:  # expired: its leader no longer holds the key
                self._owned.get(flight.owner, set()).discard(key)
            self._flights[key] = _Flight(owner, now + self.wait_s)
            first = owner not in self._owned
            self._owned.setdefault(owner, set()).add(key)
        if first:
            on_run_end(owner, partial(self.land, owner))
        return None

    def leads(self, key: str, owner: UUID | None) -> bool:
        """Whether run ``owner`` leads ``key`` now."""
        with self._lock:
            flight = self._flights.get(key)
            return flight is not None and flight.owner == owner

    def turn(self, key: str, owner: UUID | None) -> None:
        """Lead ``key`` for run ``owner``, or wait (blocking) until its leader's run ends."""
        flight = None if owner is None else self._join(key, owner)
        if flight is not None and not flight.done.wait(max(0.0, flight.deadline - time.monotonic())):
            self.stats.add("coalesce_timeouts")

    async def aturn(self, key: str, owner: UUID | None) -> None:
        """Async :meth:`turn`: waits on a future, never blocking the event loop."""
        flight = None if owner is None else self._join(key, owner)
        if flight is None:
            return
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        with self._lock:
            if flight.done.is_set():
                return
            flight.waiters.append((loop, future))
        try:
            await asyncio.wait_for(future, max(0.0, flight.deadline - time.monotonic()))
        except TimeoutError:
            self.stats.add("coalesce_timeouts")

    def land(self, owner: UUID | None) -> None:
        """Release every key ``owner`` leads, waking its waiters (at its run's end, or when it got a hit)."""
        if owner is None:
            return
        with self._lock:
            keys = self._owned.pop(owner, set())
            landed = [self._flights.pop(k) for k in keys if k in self._flights and self._flights[k].owner == owner]
            for flight in landed:
                flight.done.set()
            waiters = [w for flight in landed for w in flight.waiters]
        for loop, future in waiters:
            if not loop.is_closed():  # a closed loop has no waiter left to wake
                loop.call_soon_threadsafe(_resolve, future)


class RedisLease:
    """Cross-process lease of a key holding one answer: ``<key>:lease`` set ``NX PX`` by the one process that asks
    the model; other processes poll the key every :data:`POLL_S` until the answer, the lease's release or its
    expiry. Redis errors (and an open breaker) make the lease a plain miss (counted by ``fail_open``)."""

    def __init__(self, wait_s: float, connection: RedisConnection, fail_open: FailOpen) -> None:
        self.wait_ms = max(1, round(validate_wait(wait_s) * 1000))
        self.connection = connection
        self.fail_open = fail_open
        self._tasks: set[asyncio.Task[None]] = set()

    def follow(self, key: str, *, shard: str | None = None) -> bytes | None:
        """After a miss on ``key`` in a run: take the lease (``None``: ask the model) or wait for its holder's
        answer."""
        owner, lease, token = current_run_id(), f"{key}:lease", uuid.uuid4().hex
        if owner is None:
            return None
        client = self.connection.client
        took = self.fail_open.call(
            "lease", lambda: bool(client.set(lease, token, nx=True, px=self.wait_ms)), True, shard=shard
        )
        if took:
            on_run_end(owner, partial(self._release, lease, token, shard))
            return None
        self.fail_open.stats.add("coalesce_waits")
        deadline = time.monotonic() + self.wait_ms / 1000
        while time.monotonic() < deadline:
            time.sleep(POLL_S)
            blob, held = self.fail_open.call("lease", lambda: list(client.mget(key, lease)), _NOTHING, shard=shard)
            if blob is not None or held is None:
                return cast("bytes | None", blob)
        self.fail_open.stats.add("coalesce_timeouts")
        return None

    async def afollow(self, key: str, *, shard: str | None = None) -> bytes | None:
        """Async :meth:`follow` (sleeps with ``asyncio.sleep``)."""
        owner, lease, token = current_run_id(), f"{key}:lease", uuid.uuid4().hex
        if owner is None:
            return None
        call = self.connection.acall
        took = await self.fail_open.acall(
            "lease", lambda: call("set", lease, token, nx=True, px=self.wait_ms), True, shard=shard
        )
        if took:
            on_run_end(owner, partial(self._release, lease, token, shard))
            return None
        self.fail_open.stats.add("coalesce_waits")
        deadline = time.monotonic() + self.wait_ms / 1000
        while time.monotonic() < deadline:
            await asyncio.sleep(POLL_S)
            blob, held = await self.fail_open.acall(
                "lease", lambda: call("mget", key, lease), (None, None), shard=shard
            )
            if blob is not None or held is None:
                return cast("bytes | None", blob)
        self.fail_open.stats.add("coalesce_timeouts")
        return None

    def _release(self, lease: str, token: str, shard: str | None) -> None:
        """Delete ``lease`` if it still holds ``token``; in an event loop as a task, so the loop never blocks."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.fail_open.call("lease", lambda: _release_if(self.connection.client, lease, token), None, shard=shard)
            return
        task = loop.create_task(
            self.fail_open.acall("lease", lambda: _arelease_if(self.connection.acall, lease, token), None, shard=shard)
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def _release_if(client: Any, lease: str, token: str) -> None:
    if _text(client.get(lease)) == token:
        client.delete(lease)


async def _arelease_if(call: Callable[..., Awaitable[Any]], lease: str, token: str) -> None:
    if _text(await call("get", lease)) == token:
        await call("delete", lease)


def _text(value: bytes | str | None) -> str | None:
    return value.decode() if isinstance(value, bytes) else value
