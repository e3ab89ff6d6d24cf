"""Circuit breaker states and rate-limited logging, on an injected clock (no sleeping)."""

from __future__ import annotations

import logging

import pytest

from langchain_bedrock_routing.caching import CacheStats, CircuitBreaker
from langchain_bedrock_routing.caching.breaker import FailOpen, RateLimitedLog


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
