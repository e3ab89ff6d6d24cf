"""The capability filter and ``prompt_cache="auto"`` read every catalog entry, prefix variants included."""

from __future__ import annotations

from langchain_bedrock_routing.catalog import get_catalog
from langchain_bedrock_routing.routing.policy import plan_route
from langchain_bedrock_routing.routing.prompt_cache import cache_control_for
from langchain_bedrock_routing.routing.request import RequestProfile
from langchain_bedrock_routing.routing.targets import resolve_tiers


def _profile(tokens=10, *, tools=False, images=False, documents=False, stable=0):
    return RequestProfile(
        input_tokens=tokens,
        max_tokens=None,
        stable_prefix_tokens=stable,
        needs_tools=tools,
        needs_images=images,
        needs_documents=documents,
    )


def _ids(plan):
    return [c.target.model_id for c in plan.candidates]


def test_a_prefix_without_pdf_input_is_skipped_for_documents():
    tiers = resolve_tiers({"medium": ["global.openai.gpt-5.6-luna", "openai.gpt-5.6-luna"]}, None)
    plan = plan_route("medium", "balanced", tiers, _profile(documents=True))
    assert _ids(plan) == ["openai.gpt-5.6-luna"]
    assert plan.skipped == (
        {"model_id": "global.openai.gpt-5.6-luna", "tier": "medium", "reason": "lacks document input"},
    )


def test_tools_and_images_filter_other_providers():
    tiers = resolve_tiers(
        {"simple": ["deepseek.r1-v1:0", "google.gemma-3-4b-it", "us.meta.llama4-scout-17b-instruct-v1:0"]}, None
    )
    assert _ids(plan_route("simple", "balanced", tiers, _profile(tools=True))) == [
        "us.meta.llama4-scout-17b-instruct-v1:0"
    ]
    assert _ids(plan_route("simple", "balanced", tiers, _profile(images=True))) == [
        "google.gemma-3-4b-it",
        "us.meta.llama4-scout-17b-instruct-v1:0",
    ]


def test_context_window_of_a_new_entry_escalates():
    tiers = resolve_tiers(
        {"simple": ["qwen.qwen3-32b-v1:0"], "medium": ["us.meta.llama4-scout-17b-instruct-v1:0"]}, None
    )
    plan = plan_route("simple", "balanced", tiers, _profile(tokens=40_000))
    assert _ids(plan) == ["us.meta.llama4-scout-17b-instruct-v1:0"]
    assert plan.skipped[0]["reason"] == "context window 32768 < 40000 estimated tokens"


def test_unpriced_models_sort_last_under_cost_priority():
    tiers = resolve_tiers(
        {"simple": ["qwen.qwen3-32b-v1:0", "global.anthropic.claude-haiku-5-5", "amazon.nova-micro-v1:0"]}, None
    )
    plan = plan_route("simple", "cost", tiers, _profile())
    assert _ids(plan) == ["amazon.nova-micro-v1:0", "global.anthropic.claude-haiku-5-5", "qwen.qwen3-32b-v1:0"]
    assert plan.candidates[-1].estimated_cost_usd is None


def test_prompt_cache_auto_reads_the_new_minimums():
    catalog = get_catalog()
    opus_5, sonnet_5_5, kimi = (
        catalog.get(m) for m in ("anthropic.claude-opus-5", "anthropic.claude-sonnet-5-5", "moonshotai.kimi-k3")
    )
    prefix = _profile(stable=600)
    assert cache_control_for("auto", opus_5, prefix) == {"type": "ephemeral"}
    assert cache_control_for("auto", sonnet_5_5, prefix) is None
    assert cache_control_for("auto", kimi, _profile(stable=100_000)) is None
