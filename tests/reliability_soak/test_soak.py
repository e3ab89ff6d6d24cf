"""The soak's short form: 400 mixed requests under 20% throttling, 2% 5xx, a model kept down and two Redis kills,
then every extra phase (user threads, async + CPU-bound thread, full Redis, trap prompts, bursts)."""

from __future__ import annotations

from reliability.phases import PHASES
from reliability.report import SoakReport


def test_faults_were_injected_and_redis_restarted_twice(semantic_report: SoakReport):
    faults = semantic_report.to_dict()["injected_faults"]
    assert faults["throttles"] > 0
    assert faults["server_errors"] > 0
    assert len(semantic_report.outages) == 2
    assert all(o.restarted_at > o.killed_at for o in semantic_report.outages)
    assert semantic_report.cache_stats["errors"] + semantic_report.cache_stats["short_circuited"] > 0


def test_every_mode_kind_and_phase_ran(semantic_report: SoakReport):
    assert set(semantic_report.by_mode) == {"invoke", "ainvoke", "stream", "astream"}
    assert set(semantic_report.by_kind) == {
        "new", "repeat", "paraphrase", "down", "swapped_order", "code_word", "burst",
    }  # fmt: skip
    figures = semantic_report.phase_figures
    assert set(figures) == set(PHASES)
    assert figures["threads"]["unscoped_calls"] >= 10
    assert figures["async_cpu"]["calls"] >= figures["async_cpu"]["concurrency"] == 200
    assert figures["full_redis"]["calls"] > 0
    assert figures["full_redis"]["refused_stores"] > 0
    assert figures["bursts"]["bursts_keys"] >= 3


def test_no_call_failed_except_when_every_candidate_was_down(semantic_report: SoakReport):
    assert semantic_report.broken == []
    assert semantic_report.pinned_requests >= 3
    assert semantic_report.all_down_pinned == semantic_report.pinned_requests
    assert semantic_report.hits + semantic_report.misses + semantic_report.all_down == semantic_report.requests


def test_every_miss_billed_exactly_once_and_stats_agree(semantic_report: SoakReport):
    billing = semantic_report.billing
    assert billing.billed == billing.successful_misses
    assert billing.stats_api_calls == billing.billed
    assert billing.duplicate_bills == 0
    assert semantic_report.stats_agree


def test_cache_served_hits_and_holds_no_corrupt_entry(semantic_report: SoakReport):
    assert semantic_report.hits > 0
    audit = semantic_report.cache_audit
    assert audit.answers > 0
    assert audit.corrupt == []
    assert audit.vectors_to_corrupt == 0
    assert audit.vectors > 0
    assert semantic_report.cache_stats["corrupt"] == 0
