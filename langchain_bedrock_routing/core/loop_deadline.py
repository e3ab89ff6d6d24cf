"""Timeouts on an event loop that do not count the loop's own lateness as waiting for the server.

An ``asyncio`` timeout measures wall time. When the loop itself runs late (another thread holds the GIL, a
callback computes for a while), a reply that reached the socket long ago is not read until the loop gets to it,
and the timer fires first: a healthy server looks dead. :class:`LoopDeadline` instead counts only the time the
loop was on schedule. It ticks every ``budget_s / 10`` seconds; a tick that runs ``late`` seconds after it was
due adds ``late`` to :attr:`LoopDeadline.late_s` and only ``max(0, interval - late)`` to the time waited (a loop
that falls a whole interval behind, busy or starved, waited for nothing in it). The block times out once it has
waited ``budget_s`` (a server that did not answer while the loop could have read its reply), or, as a last resort,
after ``limit_s`` of wall time: then the loop was late for most of it and the error is :class:`LoopStalledError`.
"""

from __future__ import annotations

import asyncio
from types import TracebackType

import redis

from langchain_bedrock_routing.errors import BedrockRoutingError

MIN_TICK_S = 0.01
"""Shortest interval between two checks of the loop's lateness (a busy machine wakes a process a few ms late)."""
TICKS_PER_BUDGET = 10


class LoopStalledError(BedrockRoutingError, TimeoutError):
    """A call ran out of time while the event loop itself was late for most of it: the process was starved of
    CPU (or the GIL), so the time says nothing about the server."""


class LoopDeadline:
    """``async with LoopDeadline(budget_s, limit_s):`` bounds the block by ``budget_s`` seconds of on-time loop.

    Raises ``TimeoutError`` when the block waited ``budget_s`` while the loop ran on time, and
    :class:`LoopStalledError` when ``limit_s`` seconds of wall time passed first, or when the block itself raised
    a timeout (``TimeoutError``, redis-py's ``TimeoutError``) while the loop was late for at least half of it.
    Must be entered in a task; one instance per block.
    """

    def __init__(self, budget_s: float, limit_s: float) -> None:
        if not 0 < budget_s <= limit_s:
            raise ValueError(f"need 0 < budget_s <= limit_s (seconds), got {budget_s!r} and {limit_s!r}")
        self.budget_s = budget_s
        self.limit_s = limit_s
        self.tick_s = max(MIN_TICK_S, budget_s / TICKS_PER_BUDGET)
        self.late_s = 0.0
        """Seconds the loop ran late during the block (measured at each tick)."""
        self.waited_s = 0.0
        """Seconds of the block during which the loop ran on time."""
        self._expired: type[TimeoutError] | None = None

    async def __aenter__(self) -> LoopDeadline:
        self._loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("LoopDeadline must be used inside a task")
        self._task = task
        self._cancelling = task.cancelling() if hasattr(task, "cancelling") else 0
        self._start = self._last = self._loop.time()
        self._due = self._last + self.tick_s
        self._handle = self._loop.call_at(self._due, self._tick)
        return self

    def _tick(self) -> None:
        now = self._loop.time()
        late = max(0.0, now - self._due)
        self.late_s += late
        self.waited_s += max(0.0, self._due - self._last - late)
        if self.waited_s >= self.budget_s:
            self._expire(TimeoutError)
        elif now - self._start >= self.limit_s:
            self._expire(LoopStalledError)
        else:
            self._last = now
            self._due = now + max(MIN_TICK_S, min(self.tick_s, self.budget_s - self.waited_s))
            self._handle = self._loop.call_at(self._due, self._tick)

    def _expire(self, kind: type[TimeoutError]) -> None:
        self._expired = kind
        self._task.cancel()

    def starved(self) -> bool:
        """Whether the loop has been late for at least half of the block so far (the pending tick included)."""
        now = self._loop.time()
        late = self.late_s + max(0.0, now - self._due)
        return late * 2 >= now - self._start

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._handle.cancel()
        if self._expired is not None:
            outside = hasattr(self._task, "uncancel") and self._task.uncancel() > self._cancelling
            if exc_type is asyncio.CancelledError and not outside:
                elapsed = self._loop.time() - self._start
                raise self._expired(
                    f"no reply within {self.budget_s:g} s of on-time event loop "
                    f"({elapsed:.2f} s elapsed, the loop late for {self.late_s:.2f} s of it)"
                ) from exc
            return
        if isinstance(exc, TimeoutError | redis.TimeoutError) and self.starved():
            raise LoopStalledError(f"timed out while the event loop was late for most of the call: {exc}") from exc
