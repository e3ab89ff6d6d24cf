"""The soak's short form: 400 mixed requests under 20% throttling, 2% 5xx, a model kept down and two Redis kills."""

from __future__ import annotations

import pytest

from reliability.report import SoakReport
from reliability.soak import SoakConfig, run_soak


@pytest.fixture(scope="module")
def report() -> SoakReport:
    return run_soak(SoakConfig(requests=400, seed=11))


def test_faults_were_injected_and_redis_restarted_twice(report: SoakReport):
    faults = report.to_dict()["injected_faults"]
    assert faults["throttles"] > 0
    assert faults["server_errors"] > 0
    assert len(report.outages) == 2
    assert all(o.restarted_at > o.killed_at for o in report.outages)
    assert report.cache_stats["errors"] + report.cache_stats["short_circuited"] > 0  # the outages were felt


def test_every_mode_and_kind_ran(report: SoakReport):
    assert set(report.by_mode) == {"invoke", "ainvoke", "stream", "astream"}
    assert set(report.by_kind) == {"new", "repeat", "paraphrase", "down"}
    assert report.requests == 400


def test_no_call_failed_except_when_every_candidate_was_down(report: SoakReport):
    assert report.broken == []
    assert report.pinned_requests >= 3
    assert report.all_down_pinned == report.pinned_requests
    assert report.hits + report.misses + report.all_down == report.requests


def test_every_miss_billed_exactly_once_and_stats_agree(report: SoakReport):
    billing = report.billing
    assert billing.billed == billing.successful_misses == report.misses
    assert billing.stats_api_calls == billing.billed
    assert billing.duplicate_bills == 0
    assert report.stats_agree


def test_cache_served_hits_and_holds_no_corrupt_entry(report: SoakReport):
    assert report.hits > 0
    assert report.foreign_hits == 0  # each hit repeats an answer its own tenant and priority got from Bedrock
    audit = report.cache_audit
    assert audit.answers > 0
    assert audit.corrupt == []
    assert audit.vectors_to_corrupt == 0
    assert audit.vectors > 0
    assert report.cache_stats["corrupt"] == 0
    assert report.ok
