"""Circuit breaker states and rate-limited logging, on an injected clock (no sleeping)."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
import redis

from langchain_bedrock_routing.caching import CacheStats
from langchain_bedrock_routing.caching.breaker import CircuitBreaker, FailOpen, RateLimitedLog, judge
from langchain_bedrock_routing.core.loop_deadline import LoopStalledError


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_breaker_opens_after_threshold_and_probes_after_cooldown():
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=3, cooldown_s=10, clock=clock)
    for _ in range(2):
        assert breaker.allow()
        breaker.record_failure()
    assert breaker.state == "closed"
    breaker.record_failure()
    assert breaker.state == "open"
    assert not breaker.allow()
    clock.now += 9.9
    assert not breaker.allow()
    clock.now += 0.1
    assert breaker.state == "half_open"
    assert breaker.allow()  # the probe
    assert not breaker.allow()  # only one probe at a time
    breaker.record_failure()  # probe failed: open again for a full cooldown
    assert breaker.state == "open"
    assert breaker.times_opened == 2
    clock.now += 10
    assert breaker.allow()
    breaker.record_success()
    assert breaker.state == "closed"
    assert breaker.allow()


def test_success_resets_the_failure_count():
    breaker = CircuitBreaker(failure_threshold=2, clock=Clock())
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    assert breaker.state == "closed"


def test_a_lost_probe_does_not_wedge_the_breaker():
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=1, cooldown_s=5, clock=clock)
    breaker.record_failure()
    clock.now += 5
    assert breaker.allow()  # probe starts and its caller never reports back (e.g. cancelled)
    clock.now += 5
    assert breaker.allow()


@pytest.mark.parametrize(("kwargs", "message"), [({"failure_threshold": 0}, "got 0"), ({"cooldown_s": -1}, "got -1")])
def test_bad_breaker_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        CircuitBreaker(**kwargs)


def test_error_log_is_rate_limited_with_a_suppressed_count(caplog):
    clock = Clock()
    log = RateLimitedLog(interval_s=60, clock=clock)
    with caplog.at_level(logging.WARNING, logger="langchain_bedrock_routing.caching"):
        results = [log.warning("redis down") for _ in range(100)]
        clock.now += 60
        log.warning("redis down")
    assert results.count(True) == 1
    assert [r.getMessage() for r in caplog.records] == ["redis down", "redis down (99 similar errors suppressed)"]


def test_fail_open_turns_errors_into_the_default_and_counts_them():
    stats = CacheStats()
    guard = FailOpen("test", stats, CircuitBreaker(failure_threshold=2, clock=Clock()))

    def boom() -> str:
        raise TimeoutError("slow")

    assert [guard.call("lookup", boom, "miss") for _ in range(5)] == ["miss"] * 5
    assert (stats.errors, stats.short_circuited) == (2, 3)
    assert stats.as_dict()["errors"] == 2


@pytest.mark.parametrize(
    ("error", "failure"),
    [
        (redis.exceptions.OutOfMemoryError("command not allowed when used memory > 'maxmemory'."), "refused"),
        (redis.exceptions.ReadOnlyError("You can't write against a read only replica."), "refused"),
        (redis.exceptions.NoPermissionError("this user has no permissions to run the 'set' command"), "refused"),
        (redis.exceptions.ClusterDownError("The cluster is down"), "outage"),
        (redis.exceptions.TryAgainError("Multiple keys request during rehashing of slot"), "outage"),
        (redis.exceptions.ConnectionError("Connection refused"), "outage"),
        (redis.exceptions.TimeoutError("Timeout reading from socket"), "outage"),
        (TimeoutError("no reply within 0.5 s of on-time event loop"), "outage"),
        (LoopStalledError("no reply within 0.5 s of on-time event loop"), "stalled"),
        (RuntimeError("embedding service down"), "outage"),
    ],
)
def test_failures_are_judged_by_what_they_say_about_the_server(error: Exception, failure: str):
    assert judge(error) == failure


def test_an_error_reply_behind_a_translated_error_is_a_refusal():
    translated = ValueError("the vector set holds another kind of value")
    translated.__cause__ = redis.exceptions.ResponseError("WRONGTYPE Operation against a key holding the wrong kind")
    assert judge(translated) == "refused"


def _raise(error: Exception) -> Callable[[], str]:
    def fail() -> str:
        raise error

    return fail


def test_refused_stores_open_only_the_write_breaker():
    stats = CacheStats()
    guard = FailOpen("test", stats, CircuitBreaker(failure_threshold=2, cooldown_s=10, clock=Clock()))
    oom = _raise(redis.exceptions.OutOfMemoryError("command not allowed when used memory > 'maxmemory'."))
    assert [guard.call("update", oom, "skipped") for _ in range(4)] == ["skipped"] * 4
    assert [guard.call("lookup", lambda: "hit", "miss") for _ in range(3)] == ["hit"] * 3
    assert guard.breaker.state == "closed"
    assert guard.write_breaker.state == "open"
    assert (stats.stores_refused, stats.errors, stats.short_circuited) == (2, 2, 2)
    assert guard.breaker_for("10.0.0.1:7000", writes=True) is not guard.breaker_for("10.0.0.1:7000")


def test_refused_lookups_and_stalls_open_no_breaker():
    stats = CacheStats()
    guard = FailOpen("test", stats, CircuitBreaker(failure_threshold=1, clock=Clock()))
    wrongtype = _raise(redis.exceptions.ResponseError("WRONGTYPE Operation against a key holding the wrong kind"))
    stalled = _raise(LoopStalledError("the event loop was late for most of the call"))
    assert [guard.call("lookup", fn, "miss") for fn in (wrongtype, stalled, wrongtype, stalled)] == ["miss"] * 4
    assert guard.call("update", stalled, "skipped") == "skipped"
    assert (guard.breaker.times_opened, guard.write_breaker.times_opened) == (0, 0)
    assert (stats.errors, stats.stalled, stats.stores_refused, stats.short_circuited) == (5, 3, 0, 0)


def test_an_outage_opens_the_breaker_for_reads_and_writes():
    stats = CacheStats()
    guard = FailOpen("test", stats, CircuitBreaker(failure_threshold=1, clock=Clock()))
    assert guard.call("update", _raise(redis.exceptions.ConnectionError("Connection refused")), "skipped") == "skipped"
    assert guard.call("lookup", lambda: "hit", "miss") == "miss"
    assert guard.call("update", lambda: "stored", "skipped") == "skipped"
    assert (guard.breaker.state, guard.write_breaker.state) == ("open", "closed")
    assert stats.short_circuited == 2
