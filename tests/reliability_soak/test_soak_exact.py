"""The soak's short form on the exact cache: ``RedisCache`` and its near cache under the same faults, Redis
kills and extra phases."""

from __future__ import annotations

from reliability.report import SoakReport


def test_no_call_failed_and_every_miss_billed_once(exact_report: SoakReport):
    assert exact_report.broken == []
    assert len(exact_report.outages) == 2
    assert exact_report.hits + exact_report.misses + exact_report.all_down == exact_report.requests
    assert exact_report.billing.duplicate_bills == 0
    assert exact_report.billing.billed == exact_report.billing.successful_misses
    assert exact_report.stats_agree


def test_hits_came_from_redis_and_from_the_near_cache(exact_report: SoakReport):
    assert exact_report.cache_stats["hits"] == exact_report.hits > 0
    assert 0 < exact_report.cache_stats["local_hits"] < exact_report.hits
    assert exact_report.cache_audit.answers > 0
    assert exact_report.cache_audit.corrupt == []
    assert exact_report.cache_stats["corrupt"] == 0


def test_trap_twins_are_never_confused_by_an_exact_cache(exact_report: SoakReport):
    assert exact_report.by_kind["swapped_order"] >= 12
    assert exact_report.by_kind["code_word"] >= 12
    assert exact_report.wrong_answers == {}
