"""The soak's short form on the exact cache: ``RedisCache`` and its near cache under the same faults and Redis kills."""

from __future__ import annotations

import pytest

from reliability.report import SoakReport
from reliability.soak import SoakConfig, run_soak


@pytest.fixture(scope="module")
def report() -> SoakReport:
    return run_soak(SoakConfig(requests=300, seed=5, cache="exact"))


def test_no_call_failed_and_every_miss_billed_once(report: SoakReport):
    assert report.broken == []
    assert len(report.outages) == 2
    assert report.hits + report.misses + report.all_down == report.requests
    assert report.billing.duplicate_bills == 0
    assert report.billing.billed == report.billing.successful_misses == report.misses
    assert report.stats_agree


def test_hits_came_from_redis_and_from_the_near_cache_and_never_crossed_tenants(report: SoakReport):
    assert report.foreign_hits == 0
    assert report.cache_stats["hits"] == report.hits > 0
    assert 0 < report.cache_stats["local_hits"] < report.hits
    assert report.cache_audit.answers > 0
    assert report.cache_audit.corrupt == []
    assert report.cache_stats["corrupt"] == 0
    assert report.ok
