"""Bursts on a cache built with ``coalesce=True`` (single-flight): each burst of one question pays once.

Uses the caches' ``coalesce`` option; the same from the command line: ``python -m reliability.soak --coalesce``.
"""

from __future__ import annotations

import pytest

from reliability.soak import SoakConfig, run_soak


@pytest.mark.parametrize("cache", ["semantic", "exact"])
def test_a_coalesced_burst_pays_once(cache: str):
    report = run_soak(
        SoakConfig(requests=40, seed=3, cache=cache, redis_kills=0, phases=("bursts",), coalesce=True)  # type: ignore[arg-type]
    )
    bursts = report.phase_figures["bursts"]
    assert bursts["burst_coalesce_bills"] == bursts["burst_coalesce_keys"] >= 3  # each burst paid once
    assert bursts["bursts_bills"] > bursts["bursts_keys"]
    assert report.repeat_bills.get("burst_coalesced", 0) == 0
    assert report.repeat_bills.get("burst", 0) > 0  # the same bursts on the soak's own cache paid several times
    assert report.ok
