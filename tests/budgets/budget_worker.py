"""One worker process of the shared-budget test: its own router, Redis connection and stats, on one budget.

Imported by spawned processes (the test puts this directory on ``sys.path``), so it holds no test fixtures.
"""

from __future__ import annotations

from multiprocessing.synchronize import Barrier
from typing import Any

from langchain_bedrock_routing import Budget, BudgetExceededError, RoutedChatBedrock
from langchain_bedrock_routing.callbacks import BedrockStatsCallbackHandler
from langchain_bedrock_routing.callbacks.shared import RedisStatsAggregator
from langchain_bedrock_routing.catalog import get_catalog
from langchain_bedrock_routing.catalog.pricing import TokenUsage, price_usage

NOTE = "Quarterly revenue rose while support costs fell. "


def run(worker: int, requests: int, limit_usd: float, redis_url: str, now: float, barrier: Barrier) -> dict[str, Any]:
    """Send ``requests`` calls after every worker is ready; the cost of each answered call and the refusals."""
    llm = RoutedChatBedrock(
        preset="claude",
        max_tokens=200,
        escalate_on_failure=False,
        budgets=[Budget("shared", limit_usd)],
        budget_redis_url=redis_url,
        budget_clock=lambda: now,
    )
    stats = BedrockStatsCallbackHandler(sinks=[RedisStatsAggregator.from_url(redis_url, clock=lambda: now)])
    costs: list[float] = []
    refused = 0
    barrier.wait(timeout=60)
    for i in range(requests):
        prompt = f"Worker {worker}, request {i}: summarise for the board. " + NOTE * (40 + 17 * ((worker + i) % 5))
        try:
            reply = llm.invoke(prompt, config={"callbacks": [stats]})
        except BudgetExceededError:
            refused += 1
            continue
        usage = TokenUsage.from_usage_metadata(reply.usage_metadata)
        cost = price_usage(get_catalog(), reply.response_metadata["routing"]["model_id"], usage).total
        costs.append(float(cost or 0))
    return {"costs": costs, "refused": refused, "ledger_errors": llm.budget_guard.counts["ledger_errors"]}


def main(worker: int, requests: int, limit_usd: float, redis_url: str, now: float, barrier: Barrier, out: Any) -> None:
    """Process entry point: :func:`run`'s result (or its error) on the ``out`` queue."""
    try:
        out.put((worker, run(worker, requests, limit_usd, redis_url, now, barrier)))
    except BaseException as error:  # report it to the parent instead of dying silently
        out.put((worker, {"error": repr(error)}))
        raise
