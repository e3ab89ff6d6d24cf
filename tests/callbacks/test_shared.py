"""Redis-backed shared stats: several workers, one hit rate and one cost, counted per time window."""

from __future__ import annotations

import threading

import pytest
from langchain_core.messages import AIMessage

from langchain_bedrock_routing.callbacks import BedrockStatsCallbackHandler
from langchain_bedrock_routing.callbacks.shared import RedisStatsAggregator

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
NOVA = "amazon.nova-lite-v1:0"


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _worker(scripted, usage_of, throttling, redis_url, clock, tenant):
    """One worker's handler (own Redis connection) and a function running its share of the traffic."""
    aggregator = RedisStatsAggregator.from_url(redis_url, window_s=60, clock=clock)
    handler = BedrockStatsCallbackHandler(sinks=[aggregator])
    fresh = scripted(model_id=HAIKU, script=[AIMessage("a", usage_metadata=usage_of(900, 60, 100, 40))])
    hit = AIMessage("b", usage_metadata=usage_of(300, 30), response_metadata={"cache": {"hit": True, "kind": "exact"}})
    cached = scripted(model_id=NOVA, script=[hit])
    failing = scripted(model_id=HAIKU, script=[throttling()])

    def run() -> None:
        config = {"callbacks": [handler], "metadata": {"tenant_id": tenant}}
        for _ in range(20):
            fresh.invoke("q", config)
            cached.invoke("q", config)
        with pytest.raises(Exception, match="ThrottlingException"):
            failing.invoke("q", config)

    return handler, run


def test_workers_share_one_hit_rate_and_cost(redis_url, scripted, usage_of, throttling):
    clock = Clock(1_000_000.0)
    workers = [_worker(scripted, usage_of, throttling, redis_url, clock, t) for t in ("acme", "globex", "acme")]
    threads = [threading.Thread(target=run) for _, run in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    shared = RedisStatsAggregator.from_url(redis_url, window_s=60, clock=clock).totals()
    local = [handler.to_dict()["total"] for handler, _ in workers]
    assert shared["requests"] == sum(d["requests"] for d in local) == 123
    assert shared["hits"] == {"exact": 60}
    assert shared["misses"] == sum(d["cache"]["misses"] for d in local) == 60
    assert shared["errors"] == 3
    assert shared["hit_rate"] == pytest.approx(0.5)
    assert shared["api_calls"] == sum(d["api_calls"] for d in local)
    assert shared["tokens"] == {
        k: sum(d["tokens"][k] for d in local) for k in ("input", "output", "cache_read", "cache_write")
    }
    assert shared["cost_usd"]["total"] == pytest.approx(sum(d["cost_usd"]["total"] for d in local), rel=1e-12)
    assert shared["saved_by_cache_usd"] == pytest.approx(sum(d["saved_by_cache"]["cost_usd"] for d in local))
    assert shared["by"]["tenant|acme"]["requests"] == 82
    assert shared["by"][f"model|{NOVA}"]["hits"] == {"exact": 60}
    assert shared["by"][f"model|{HAIKU}"]["errors"] == 3


def test_counts_roll_over_by_window(redis_url, scripted, usage_of, throttling):
    clock = Clock(6_000.0)
    handler, run = _worker(scripted, usage_of, throttling, redis_url, clock, "acme")
    run()
    clock.now += 60
    run()
    reader = RedisStatsAggregator.from_url(redis_url, window_s=60, clock=clock)
    assert reader.totals()["requests"] == 41
    assert reader.totals(windows=2)["requests"] == handler.requests == 82
    assert sorted(reader.windows(3)) == [5_940, 6_000, 6_060]
    assert reader.windows(3)[5_940] == {}


def test_bad_window_is_refused(redis_client):
    with pytest.raises(ValueError, match="window_s"):
        RedisStatsAggregator(redis_client, window_s=0)
