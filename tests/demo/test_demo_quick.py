"""``demo --quick`` in process against the emulator: every part's figures checked against the request log."""

from __future__ import annotations

import json
import re
import struct

from rich.console import Console

from langchain_bedrock_routing.demo.comparison import STRATEGIES
from langchain_bedrock_routing.demo.context import DemoContext
from langchain_bedrock_routing.demo.workload import handbook, load_workload
from langchain_bedrock_routing.routing import PRIORITIES, presets

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TIER_ORDER = ("simple", "medium", "complex")


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]


def test_quick_demo_end_to_end(run_quick, tmp_path):
    result, output, log = run_quick()
    converse = [r for r in log if r.operation != "InvokeModel"]
    assert all(r.billed for r in converse)

    # 1. Response caches: misses first, then an exact hit; the semantic cache also serves the paraphrase.
    calls = result.caching.response_calls
    by_kind = {kind: [r.cache_kind for k, r in calls if k == kind] for kind in ("exact", "semantic")}
    assert by_kind == {"exact": [None, None, "exact", None], "semantic": [None, None, "exact", "semantic"]}
    hits = [r for _, r in result.caching.response_calls if r.cache_kind]
    assert all(r.cost_usd == 0 for r in hits)
    # Prompt caching: the first call writes the handbook prefix, later ones read it and cost less than uncached.
    first, *later = result.caching.prompt_calls
    assert first.usage.cache_write > 1000
    assert first.usage.cache_read == 0
    for row in later:
        assert row.usage.cache_read >= first.usage.cache_write - 50
        assert row.record.cost_usd < row.cost_without_cache_usd

    # 2. Routing: every question under every priority; cost never above balanced, performance never below.
    assert len(result.routing) == 5 * len(PRIORITIES)
    tiers = presets()["claude"]
    for row in result.routing:
        routing = row.record.routing
        assert routing["priority"] == row.priority
        assert routing["model_id"] == tiers[routing["tier"]][0]
    for question in {row.question for row in result.routing}:
        mine = [r for r in result.routing if r.question == question]
        tier = {r.priority: TIER_ORDER.index(r.record.routing["tier"]) for r in mine}
        assert tier["cost"] <= tier["balanced"] <= tier["performance"]
        assert tier["latency"] == tier["balanced"]
    assert {r.record.routing["tier"] for r in result.routing} == set(TIER_ORDER)

    # 3. Comparison: billed calls are the misses; the semantic cache beats 50% on this workload.
    workload = load_workload(quick=True)
    rows = {row["strategy"]: row for row in result.to_dict()["strategies"]}
    assert list(rows) == [s.name for s in STRATEGIES]
    for row in rows.values():
        assert row["requests"] == len(workload.requests)
        assert row["api_calls"] + sum(row["hits"].values()) == len(workload.requests)
    assert rows["routed + exact cache"]["hits"] == {"exact": workload.count("repeat")}
    assert rows["routed + semantic cache"]["hit_rate"] > 0.5
    costs = [rows[name]["cost_usd"] for name in ("always-strongest", "always-middle", "always-cheapest")]
    assert costs == sorted(costs, reverse=True)
    routed = [rows[name]["cost_usd"] for name in ("routed", "routed + exact cache", "routed + semantic cache")]
    assert routed == sorted(routed, reverse=True)

    # Every billed call of the run reached the emulator, and nothing else did.
    billed = sum(len(r.outcome.spend) for _, r in calls)
    billed += sum(len(row.record.outcome.spend) for row in result.caching.prompt_calls)
    billed += sum(len(row.record.outcome.spend) for row in result.routing)
    billed += sum(row["api_calls"] for row in rows.values())
    assert billed == len(converse)

    # Answers are grounded in the handbook section of their question; hits replay their group's first answer.
    for strategy in result.strategies:
        first_answer: dict[str, str] = {}
        for request, record in zip(workload.requests, strategy.records, strict=True):
            assert record.label == request.text
            text = record.message.text
            assert all(sentence in handbook()[request.section] for sentence in _sentences(text)), text
            first_answer.setdefault(request.group, text)
            if record.cache_kind:
                assert text == first_answer[request.group]

    # Final statistics and the chart.
    final = result.strategies[-1].figures["total"]
    assert final["cache"]["hit_rate"] > 0.5
    assert "Final statistics (routed + semantic cache)" in output
    assert "emulator's latency model" in output
    png = result.chart
    assert png.strategies == [s.name for s in STRATEGIES]
    assert png.cost_usd == [rows[name]["cost_usd"] for name in png.strategies]
    assert png.p95_ms == [rows[name]["p95_ms"] for name in png.strategies]
    assert f"written to {tmp_path / 'chart.png'}" in output.replace("\n", "")
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["chart"] == png.to_dict()
    data = (tmp_path / "chart.png").read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1320, 528)
    assert len(data) > 20_000


def test_tier_models_follow_the_preset(emulator):
    from langchain_bedrock_routing.backend import offline_backend
    from langchain_bedrock_routing.demo.context import DemoSettings

    ctx = DemoContext(DemoSettings(preset="nova"), offline_backend(emulator.endpoint_url), Console())
    assert [ctx.tier_model(t) for t in TIER_ORDER] == [presets()["nova"][t][0] for t in TIER_ORDER]
    routed = ctx.routed(prompt_cache="auto")
    assert (routed.prompt_cache, routed.preset, ctx.routed().prompt_cache) == ("auto", "nova", "off")
    assert routed.invoke("What is 2 + 3?").response_metadata["routing"]["model_id"] == presets()["nova"]["simple"][0]
