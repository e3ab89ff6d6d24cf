"""Fail-open plumbing: circuit breakers, rate-limited error logging and the counters a cache exposes.

A backend call that raises becomes the caller's ``default`` (a miss, or a skipped store): it is
counted, logged at most once per ``log_interval_s`` per kind of failure (with the number suppressed
since), and judged. After ``failure_threshold`` consecutive failures a breaker opens and calls are
not even attempted for ``cooldown_s``; then one probe goes through (half-open) and closes it on
success. Failures are judged by what they say about the server:

- no answer (connection refused or reset, a timeout while the event loop ran on time, any other
  error): an outage, fed to :attr:`FailOpen.breaker`, which guards reads and writes;
- an error reply (``ResponseError``: ``OOM``, ``READONLY``, ``NOPERM`` ...): the server is up and
  refused this command. A refused *store* is counted in ``stores_refused`` and fed to
  :attr:`FailOpen.write_breaker`, which guards only stores (a full Redis keeps serving hits and is
  not sent doomed writes); a refused lookup is a counted miss that opens nothing;
- a timeout while the event loop itself was late (:class:`~.loop_deadline.LoopStalledError`): the
  process was starved, not the server slow; counted in ``stalled``, fed to no breaker.

Calls may name a shard (a Redis Cluster primary): each shard gets its own breakers with the same
settings, so one failing primary does not turn the other shards' lookups into misses.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, fields
from typing import Literal, TypeVar

from redis.exceptions import AskError, ClusterError, ResponseError, TryAgainError

from langchain_bedrock_routing.core.loop_deadline import LoopStalledError

T = TypeVar("T")
Clock = Callable[[], float]
BreakerState = Literal["closed", "open", "half_open"]
Failure = Literal["outage", "refused", "stalled"]

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
    stores_refused: int = 0
    """Stores Redis answered with an error (``OOM`` when full, ``READONLY`` ...); also counted in ``errors``."""
    stalled: int = 0
    """Calls that ran out of time while the event loop itself was late (also in ``errors``); no breaker sees them."""
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
            snapshot: dict[str, int | dict[str, int]] = {
                f.name: getattr(self, f.name) for f in fields(self) if f.type == "int"
            }
            snapshot["skipped"] = dict(self.skipped)
            return snapshot


def judge(exc: BaseException) -> Failure:
    """What a failed call says about the server: ``"refused"`` (it answered with an error reply, the reply itself
    or the cause of ``exc``), ``"stalled"`` (the event loop was late, see :class:`LoopStalledError`), else
    ``"outage"``. A cluster that is down or moving slots is an outage of that shard, not a refusal."""
    if isinstance(exc, LoopStalledError):
        return "stalled"
    for error in (exc, exc.__cause__):
        if isinstance(error, ResponseError) and not isinstance(error, ClusterError | AskError | TryAgainError):
            return "refused"
    return "outage"


class FailOpen:
    """Runs backend calls so that errors become a default value, counted, logged and judged (see the module).

    ``operation`` names the call in logs; ``"update"`` is a store, every other operation a read.
    """

    def __init__(
        self, name: str, stats: CacheStats, breaker: CircuitBreaker | None = None, log: RateLimitedLog | None = None
    ) -> None:
        self.name = name
        self.stats = stats
        self.breaker = breaker or CircuitBreaker()
        """Opens on outages; guards every call."""
        self.write_breaker = self.breaker.fresh()
        """Opens on refused stores (same settings as :attr:`breaker`); guards stores only."""
        self.log = log or RateLimitedLog()
        self._failure_logs = {kind: RateLimitedLog(interval_s=self.log.interval_s) for kind in ("refused", "stalled")}
        self._shard_breakers: dict[tuple[str, bool], CircuitBreaker] = {}
        self._shards_lock = threading.Lock()

    def breaker_for(self, shard: str | None, *, writes: bool = False) -> CircuitBreaker:
        """:attr:`breaker` (or :attr:`write_breaker` for ``writes``) for ``None``; else ``shard``'s own (made on
        first use with the same settings)."""
        if shard is None:
            return self.write_breaker if writes else self.breaker
        with self._shards_lock:
            breaker = self._shard_breakers.get((shard, writes))
            if breaker is None:
                breaker = self._shard_breakers[(shard, writes)] = self.breaker.fresh()
            return breaker

    def _gates(self, operation: str, shard: str | None) -> tuple[CircuitBreaker, ...]:
        """The breakers a call must pass, the outage breaker last: a store also needs the write breaker."""
        if operation == "update":
            return self.breaker_for(shard, writes=True), self.breaker_for(shard)
        return (self.breaker_for(shard),)

    def _allowed(self, gates: tuple[CircuitBreaker, ...]) -> bool:
        if all(gate.allow() for gate in gates):  # in order: a closed write gate claims no probe of the other
            return True
        self.stats.add("short_circuited")
        return False

    def call(self, operation: str, fn: Callable[[], T], default: T, *, shard: str | None = None) -> T:
        """``fn()``, or ``default`` if a breaker of the (shard's) call is open or ``fn`` raises."""
        gates = self._gates(operation, shard)
        if not self._allowed(gates):
            return default
        try:
            result = fn()
        except Exception as exc:  # fail open: any backend failure is a miss
            return self._failed(operation, exc, default, gates)
        for gate in gates:
            gate.record_success()
        return result

    async def acall(self, operation: str, fn: Callable[[], Awaitable[T]], default: T, *, shard: str | None = None) -> T:
        """Async twin of :meth:`call`: ``await fn()``, or ``default``."""
        gates = self._gates(operation, shard)
        if not self._allowed(gates):
            return default
        try:
            result = await fn()
        except Exception as exc:  # fail open: any backend failure is a miss
            return self._failed(operation, exc, default, gates)
        for gate in gates:
            gate.record_success()
        return result

    def _failed(self, operation: str, exc: Exception, default: T, gates: tuple[CircuitBreaker, ...]) -> T:
        self.stats.add("errors")
        failure, breaker = judge(exc), gates[-1]
        if failure == "outage":
            breaker.record_failure()
        elif failure == "stalled":
            self.stats.add("stalled")
        else:
            breaker.record_success()  # the server answered
            if len(gates) > 1:
                self.stats.add("stores_refused")
                gates[0].record_failure()
                breaker = gates[0]
        # type and message, not repr: redis-py 8's repr drops the message ("auth:AuthenticationError")
        cause = f"{type(exc).__name__}: {exc}"
        log = self.log if failure == "outage" else self._failure_logs[failure]
        served = "skipped" if operation == "update" else "served as a miss"
        log.warning(f"{self.name} {operation} {failure_words[failure]}, {served}: {cause} (breaker {breaker.state})")
        return default


failure_words: dict[Failure, str] = {
    "outage": "failed",
    "refused": "refused by the server",
    "stalled": "timed out while the event loop was late",
}
