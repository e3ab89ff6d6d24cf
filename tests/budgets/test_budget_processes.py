"""One budget shared by 4 worker processes (real processes, one real Redis, the emulator over HTTP).

Every worker sends more calls than the budget can pay for, at the same time. The budget must hold: the spend of
every answered call added up stays within the limit plus one request's maximum cost, the ledger's spend equals
that sum (and the shared statistics' cost), and nothing stays reserved.
"""

from __future__ import annotations

import multiprocessing
import sys
from pathlib import Path

import pytest

from langchain_bedrock_routing.callbacks.shared import RedisStatsAggregator
from langchain_bedrock_routing.routing.budget import NANO, Budget, BudgetGuard
from langchain_bedrock_routing.routing.budget_ledger import RedisLedger

from .conftest import NOON

WORKERS = 4
REQUESTS = 20  # enough that even calls all routed to the cheapest tier overrun the limit (about $0.0006 each)
LIMIT_USD = 0.03
MAX_TOKENS = 200
OPUS_IN, OPUS_OUT = 5.0, 25.0  # USD per million tokens: the priciest model of the claude preset


@pytest.mark.slow
def test_four_processes_never_overrun_one_budget(emulator, redis_url, redis_client, monkeypatch):
    monkeypatch.syspath_prepend(str(Path(__file__).parent))
    import budget_worker

    ctx = multiprocessing.get_context("spawn")
    barrier, out = ctx.Barrier(WORKERS), ctx.Queue()
    workers = [
        ctx.Process(target=budget_worker.main, args=(w, REQUESTS, LIMIT_USD, redis_url, NOON, barrier, out))
        for w in range(WORKERS)
    ]
    for process in workers:
        process.start()
    results = dict(out.get(timeout=300) for _ in workers)
    for process in workers:
        process.join(timeout=60)
    assert [r for r in results.values() if "error" in r] == []
    assert [r["ledger_errors"] for r in results.values()] == [0] * WORKERS  # else calls went through unchecked

    costs = [c for r in results.values() for c in r["costs"]]
    refused = sum(r["refused"] for r in results.values())
    longest_prompt_tokens = 700  # generous: the longest prompt is about 600 tokens by the catalog estimate
    max_request_usd = (longest_prompt_tokens * OPUS_IN + MAX_TOKENS * OPUS_OUT) / 1_000_000
    assert len(costs) + refused == WORKERS * REQUESTS
    assert refused > 0
    assert len(costs) > WORKERS
    assert sum(costs) <= LIMIT_USD + max_request_usd
    assert sum(costs) <= LIMIT_USD  # replies stay within their estimates here, so the limit holds exactly

    guard = BudgetGuard([Budget("shared", LIMIT_USD)], RedisLedger(redis_client), clock=lambda: NOON)
    [status] = guard.status()
    assert status["reserved_usd"] == 0
    assert status["spent_usd"] == pytest.approx(sum(costs), abs=len(costs) / NANO)
    shared_stats = RedisStatsAggregator(redis_client, clock=lambda: NOON).totals()
    assert shared_stats["requests"] == WORKERS * REQUESTS
    assert shared_stats["cost_usd"]["total"] == pytest.approx(status["spent_usd"], abs=len(costs) / NANO)
    print(  # the figures, for the record (pytest -s)
        f"\n{len(costs)} answered, {refused} refused; spent ${sum(costs):.6f} of ${LIMIT_USD:.6f}",
        file=sys.stderr,
    )
