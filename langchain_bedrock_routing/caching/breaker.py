"""Fail-open plumbing: a circuit breaker, rate-limited error logging and the counters a cache exposes.

A backend call that raises becomes the caller's ``default`` (a miss, or a skipped store): it is
counted, logged at most once per ``log_interval_s`` (with the number suppressed since), and fed to
the breaker. After ``failure_threshold`` consecutive failures the breaker opens and calls are not
even attempted for ``cooldown_s``; then one probe goes through (half-open) and closes it on success.
Calls may name a shard (a Redis Cluster primary): each shard gets its own breaker with the same
settings, so one failing primary does not turn the other shards' lookups into misses.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal, TypeVar

T = TypeVar("T")
Clock = Callable[[], float]
BreakerState = Literal["closed", "open", "half_open"]

logger = logging.getLogger("langchain_bedrock_routing.caching")


class CircuitBreaker:
    """Closed / open / half-open breaker; thread-safe. ``clock`` returns seconds (monotonic by default)."""

    def __init__(self, *, failure_threshold: int = 3, cooldown_s: float = 10.0, clock: Clock = time.monotonic) -> None:
        if not isinstance(failure_threshold, int) or failure_threshold < 1:
            raise ValueError(f"failure_threshold must be an int >= 1, got {failure_threshold!r}")
        if not cooldown_s >= 0:
            raise ValueError(f"cooldown_s must be >= 0 seconds, got {cooldown_s!r}")
        self.failure_threshold = failure_threshold
        self.cooldown_s = float(cooldown_s)
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at = 0.0
        self._state: BreakerState = "closed"
        self._probe_started: float | None = None
        self.times_opened = 0

    def fresh(self) -> CircuitBreaker:
        """A closed breaker with this one's settings and clock."""
        return CircuitBreaker(failure_threshold=self.failure_threshold, cooldown_s=self.cooldown_s, clock=self._clock)

    @property
    def state(self) -> BreakerState:
        """``"closed"`` (calls pass), ``"open"`` (calls skipped) or ``"half_open"`` (one probe allowed)."""
        with self._lock:
            if self._state == "open" and self._clock() - self._opened_at >= self.cooldown_s:
                return "half_open"
            return self._state

    def allow(self) -> bool:
        """Whether a call may go to the backend now; in half-open state only one probe at a time."""
        with self._lock:
            now = self._clock()
            if self._state == "closed":
                return True
            if self._state == "open" and now - self._opened_at < self.cooldown_s:
                return False
            self._state = "half_open"
            if self._probe_started is not None and now - self._probe_started < self.cooldown_s:
                return False
            self._probe_started = now
            return True

    def record_success(self) -> None:
        """A call succeeded: close the breaker."""
        with self._lock:
            self._failures, self._state, self._probe_started = 0, "closed", None

    def record_failure(self) -> None:
        """A call failed: open after ``failure_threshold`` in a row, or at once when probing."""
        with self._lock:
            self._failures += 1
            if self._state == "half_open" or self._failures >= self.failure_threshold:
                if self._state != "open":
                    self.times_opened += 1
                self._state, self._opened_at, self._probe_started = "open", self._clock(), None


class RateLimitedLog:
    """Logs a warning at most once per ``interval_s``, reporting how many were suppressed in between."""

    def __init__(
        self, *, interval_s: float = 60.0, clock: Clock = time.monotonic, log: logging.Logger = logger
    ) -> None:
        self.interval_s = interval_s
        self._clock = clock
        self._log = log
        self._lock = threading.Lock()
        self._last: float | None = None
        self._suppressed = 0

    def warning(self, message: str) -> bool:
        """Log ``message`` unless one was logged less than ``interval_s`` ago; returns whether it logged."""
        with self._lock:
            now = self._clock()
            if self._last is not None and now - self._last < self.interval_s:
                self._suppressed += 1
                return False
            suppressed, self._suppressed, self._last = self._suppressed, 0, now
        suffix = f" ({suppressed} similar errors suppressed)" if suppressed else ""
        self._log.warning("%s%s", message, suffix)
        return True


@dataclass
class CacheStats:
    """Counters of one cache instance (monotonic, thread-safe through :meth:`add`)."""

    hits: int = 0
    local_hits: int = 0
    """Hits served from an in-process copy (also counted in ``hits``)."""
    misses: int = 0
    stores: int = 0
    errors: int = 0
    error_misses: int = 0
    short_circuited: int = 0
    corrupt: int = 0
    lookups_bypassed: int = 0
    stores_bypassed: int = 0
    unscoped_lookups_refused: int = 0
    """Lookups refused because the call had no cache scope while tenants are in use (a thread without context)."""
    unscoped_stores_refused: int = 0
    coalesce_waits: int = 0
    """Lookups that waited for another run's answer to the same key (``coalesce=True``)."""
    coalesce_timeouts: int = 0
    """Of those, waits that ran out (``coalesce_wait_s``) before the leader's run ended."""
    skipped: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, name: str, n: int = 1) -> None:
        """Increment counter ``name`` by ``n``."""
        with self._lock:
            setattr(self, name, getattr(self, name) + n)

    def skip(self, reason: str) -> None:
        """Count a store the policy refused, by reason."""
        with self._lock:
            self.skipped[reason] = self.skipped.get(reason, 0) + 1

    def as_dict(self) -> dict[str, int | dict[str, int]]:
        """A snapshot of all counters."""
        with self._lock:
            names = ("hits", "local_hits", "misses", "stores", "errors", "error_misses", "short_circuited", "corrupt")
            snapshot: dict[str, int | dict[str, int]] = {name: getattr(self, name) for name in names}
            snapshot.update(lookups_bypassed=self.lookups_bypassed, stores_bypassed=self.stores_bypassed)
            snapshot.update(
                unscoped_lookups_refused=self.unscoped_lookups_refused,
                unscoped_stores_refused=self.unscoped_stores_refused,
                coalesce_waits=self.coalesce_waits,
                coalesce_timeouts=self.coalesce_timeouts,
            )
            snapshot["skipped"] = dict(self.skipped)
            return snapshot


class FailOpen:
    """Runs backend calls so that errors become a default value, counted, logged and fed to a breaker."""

    def __init__(
        self, name: str, stats: CacheStats, breaker: CircuitBreaker | None = None, log: RateLimitedLog | None = None
    ) -> None:
        self.name = name
        self.stats = stats
        self.breaker = breaker or CircuitBreaker()
        self.log = log or RateLimitedLog()
        self._shard_breakers: dict[str, CircuitBreaker] = {}
        self._shards_lock = threading.Lock()

    def breaker_for(self, shard: str | None) -> CircuitBreaker:
        """:attr:`breaker` for ``None``; else ``shard``'s own breaker (made on first use with the same settings)."""
        if shard is None:
            return self.breaker
        with self._shards_lock:
            breaker = self._shard_breakers.get(shard)
            if breaker is None:
                breaker = self._shard_breakers[shard] = self.breaker.fresh()
            return breaker

    def call(self, operation: str, fn: Callable[[], T], default: T, *, shard: str | None = None) -> T:
        """``fn()``, or ``default`` if the (shard's) breaker is open or ``fn`` raises."""
        breaker = self.breaker_for(shard)
        if not breaker.allow():
            self.stats.add("short_circuited")
            return default
        try:
            result = fn()
        except Exception as exc:  # fail open: any backend failure is a miss
            return self._failed(operation, exc, default, breaker)
        breaker.record_success()
        return result

    async def acall(self, operation: str, fn: Callable[[], Awaitable[T]], default: T, *, shard: str | None = None) -> T:
        """Async twin of :meth:`call`: ``await fn()``, or ``default``."""
        breaker = self.breaker_for(shard)
        if not breaker.allow():
            self.stats.add("short_circuited")
            return default
        try:
            result = await fn()
        except Exception as exc:  # fail open: any backend failure is a miss
            return self._failed(operation, exc, default, breaker)
        breaker.record_success()
        return result

    def _failed(self, operation: str, exc: Exception, default: T, breaker: CircuitBreaker) -> T:
        self.stats.add("errors")
        breaker.record_failure()
        # type and message, not repr: redis-py 8's repr drops the message ("auth:AuthenticationError")
        cause = f"{type(exc).__name__}: {exc}"
        self.log.warning(f"{self.name} {operation} failed, served as a miss: {cause} (breaker {breaker.state})")
        return default
