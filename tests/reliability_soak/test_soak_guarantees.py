"""Issue 12's soak guarantees on both short forms; each test names the fix it relies on.

They hold once the issue's fixes are merged: cache_scope in threads failing closed (item 2), the semantic
guard comparing what differs (item 3), async lookups without false outages (item 5) and reads judged apart
from refused writes (item 6).
"""

from __future__ import annotations

import pytest

from reliability.report import SoakReport


@pytest.fixture(params=["semantic", "exact"])
def report(request: pytest.FixtureRequest) -> SoakReport:
    return request.getfixturevalue(f"{request.param}_report")  # type: ignore[no-any-return]


def test_no_foreign_tenant_hit_and_threads_without_context_neither_hit_nor_store(report: SoakReport):
    """Item 2: a call that lost its tenant in a user's thread is refused by the cache (a counted miss)."""
    threads = report.phase_figures["threads"]
    assert threads["unscoped_hits"] == 0
    assert threads["unscoped_refused"] == threads["unscoped_calls"] > 0
    assert report.foreign_hits == 0


def test_no_wrong_answer_on_checkable_prompts(report: SoakReport):
    """Item 3: no hit carries an answer produced for another meaning; trap twins each get their own answer."""
    assert report.wrong_answers == {}


def test_async_lookups_never_fail_beside_a_cpu_bound_thread(report: SoakReport):
    """Item 5: with a healthy Redis, a busy event loop is not an outage."""
    assert report.phase_figures["async_cpu"]["lookups_failed"] == 0
    assert report.phase_figures["async_cpu"]["repeats_missed"] == 0


def test_a_full_redis_still_serves_hits(report: SoakReport):
    """Item 6: refused writes do not trip the breaker that guards reads."""
    assert report.phase_figures["full_redis"]["hits_missed"] == 0


def test_every_repeat_bill_has_a_documented_cause_and_the_soak_passes(report: SoakReport):
    assert report.repeat_bills.get("burst", 0) > 0  # bursts without coalesce: the documented case
    assert report.undocumented_repeat_bills == 0
    assert report.ok
