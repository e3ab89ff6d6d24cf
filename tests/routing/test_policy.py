"""Policy: priorities, capability filter, context-window escalation, cost cap, errors before any call."""

from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from langchain_bedrock_routing.catalog import ModelCatalog, estimate_messages_tokens, get_catalog
from langchain_bedrock_routing.errors import ContextWindowExceededError, CostCapExceededError, NoCandidateError
from langchain_bedrock_routing.routing.policy import (
    estimate_cost_usd,
    estimate_latency_ms,
    plan_route,
    validate_priority,
)
from langchain_bedrock_routing.routing.request import RequestProfile, profile_request
from langchain_bedrock_routing.routing.targets import resolve_tiers

NOVA = resolve_tiers(None, "nova")
MIXED = resolve_tiers(
    {
        "simple": ["amazon.nova-micro-v1:0", "anthropic.claude-3-haiku-20240307-v1:0"],
        "medium": ["anthropic.claude-3-5-sonnet-20240620-v1:0", "amazon.nova-lite-v1:0"],
        "complex": ["anthropic.claude-3-opus-20240229-v1:0"],
    },
    None,
)


def profile(tokens=10, max_tokens=None, tools=False, images=False, documents=False, stable=0):
    return RequestProfile(tokens, max_tokens, stable, tools, images, documents)


def ids(plan):
    return [c.target.model_id for c in plan.candidates]


def test_balanced_starts_at_classifier_tier_and_escalates():
    plan = plan_route("medium", "balanced", NOVA, profile())
    assert plan.start_tier == "medium"
    assert ids(plan) == ["amazon.nova-lite-v1:0", "amazon.nova-pro-v1:0"]


def test_escalation_can_be_turned_off():
    assert ids(plan_route("simple", "balanced", NOVA, profile(), escalate=False)) == ["amazon.nova-micro-v1:0"]


def test_cost_goes_one_tier_down_cheapest_first():
    plan = plan_route("complex", "cost", MIXED, profile(), escalate=False)
    assert plan.start_tier == "medium"
    assert ids(plan) == ["amazon.nova-lite-v1:0", "anthropic.claude-3-5-sonnet-20240620-v1:0"]
    assert plan_route("simple", "cost", NOVA, profile()).start_tier == "simple"


def test_performance_goes_one_tier_up():
    assert plan_route("simple", "performance", NOVA, profile()).start_tier == "medium"
    assert plan_route("complex", "performance", NOVA, profile()).start_tier == "complex"


def test_latency_orders_by_catalog_latency():
    plan = plan_route("simple", "latency", MIXED, profile(), escalate=False)
    latencies = [c.estimated_latency_ms for c in plan.candidates]
    assert latencies == sorted(latencies)
    assert ids(plan)[0] == "amazon.nova-micro-v1:0"


def test_unknown_priority_names_valid_ones():
    with pytest.raises(ValueError, match="cost, balanced, performance, latency"):
        validate_priority("cheap")


def test_tools_filter_skips_models_without_tool_calling():
    def entry(tier, tools):
        return {
            "name": f"Acme {tier}",
            "family": "acme",
            "tier": tier,
            "prices": {"input": 1.0, "output": 2.0, "cache_write": None, "cache_read": None, "source": None},
            "latency": {"ttft_ms": 100, "output_tokens_per_s": 100},
            "profile": {"max_input_tokens": 1000, "tool_calling": tools},
        }

    catalog = ModelCatalog(
        {
            "models": {"acme.small-v1": entry("simple", False), "acme.big-v1": entry("medium", True)},
            "embedding_models": {},
            "prompt_routers": {},
        }
    )
    tiers = resolve_tiers({"simple": ["acme.small-v1"], "medium": ["acme.big-v1"]}, None, catalog)
    assert ids(plan_route("simple", "balanced", tiers, profile(), escalate=False)) == ["acme.small-v1"]
    plan = plan_route("simple", "balanced", tiers, profile(tools=True), escalate=False)
    assert ids(plan) == ["acme.big-v1"]
    assert plan.skipped == ({"model_id": "acme.small-v1", "tier": "simple", "reason": "lacks tool calling"},)
    only_small = resolve_tiers({"simple": ["acme.small-v1"]}, None, catalog)
    with pytest.raises(NoCandidateError, match="tool calling"):
        plan_route("simple", "balanced", only_small, profile(tools=True))


def test_image_and_document_filters():
    catalog = get_catalog()
    plan = plan_route("simple", "balanced", MIXED, profile(images=True, documents=True))
    for candidate in plan.candidates:
        assert candidate.target.spec.image_inputs
        assert candidate.target.spec.pdf_inputs
    rejected = {s["model_id"] for s in plan.skipped}
    for s in plan.skipped:
        spec = catalog.get(s["model_id"])
        assert not (spec.image_inputs and spec.pdf_inputs)
        assert s["reason"].startswith("lacks")
    assert rejected.isdisjoint(ids(plan))


def test_no_capable_model_is_an_error_before_any_call():
    tiers = resolve_tiers({"simple": ["anthropic.claude-3-5-haiku-20241022-v1:0"]}, None)
    with pytest.raises(NoCandidateError, match="image input"):
        plan_route("simple", "balanced", tiers, profile(images=True))


def test_context_window_moves_to_a_larger_model():
    micro = get_catalog().get("amazon.nova-micro-v1:0")
    lite = get_catalog().get("amazon.nova-lite-v1:0")
    assert lite.max_input_tokens > micro.max_input_tokens
    plan = plan_route("simple", "balanced", NOVA, profile(tokens=micro.max_input_tokens + 1), escalate=False)
    assert "amazon.nova-micro-v1:0" not in ids(plan)
    assert ids(plan)[0] == "amazon.nova-lite-v1:0"
    assert "context window" in plan.skipped[0]["reason"]


def test_max_tokens_counts_against_the_window():
    micro = get_catalog().get("amazon.nova-micro-v1:0")
    plan = plan_route("simple", "balanced", NOVA, profile(tokens=micro.max_input_tokens - 10, max_tokens=100))
    assert "amazon.nova-micro-v1:0" not in ids(plan)


def test_prompt_no_model_can_hold_names_tokens_and_largest_window():
    largest = max(t.spec.max_input_tokens for ts in NOVA.values() for t in ts)
    with pytest.raises(ContextWindowExceededError) as info:
        plan_route("simple", "balanced", NOVA, profile(tokens=largest + 5))
    assert info.value.estimated_tokens == largest + 5
    assert info.value.largest_window == largest
    assert str(largest + 5) in str(info.value)
    assert str(largest) in str(info.value)
    assert isinstance(info.value, ValueError)


def test_cost_cap_caps_the_tier():
    opus = get_catalog().get("anthropic.claude-3-opus-20240229-v1:0")
    cap = estimate_cost_usd(opus, 1000, 100) / 2
    plan = plan_route("complex", "balanced", MIXED, profile(tokens=1000, max_tokens=100), max_cost_usd=cap)
    assert plan.start_tier == "complex"
    assert all(c.estimated_cost_usd <= cap for c in plan.candidates)
    assert "anthropic.claude-3-opus-20240229-v1:0" not in ids(plan)
    assert ids(plan)[0] in {t.model_id for t in MIXED["medium"]}


def test_cost_cap_nobody_meets_is_an_error():
    with pytest.raises(CostCapExceededError, match="max_cost_per_request"):
        plan_route("simple", "balanced", NOVA, profile(tokens=1000), max_cost_usd=1e-12)


def test_unknown_prices_are_excluded_under_a_cap():
    tiers = resolve_tiers({"medium": ["qwen.qwen3-32b-v1:0", "amazon.nova-lite-v1:0"]}, None)
    plan = plan_route("medium", "balanced", tiers, profile(), max_cost_usd=1.0)
    assert ids(plan) == ["amazon.nova-lite-v1:0"]
    assert plan.skipped[0]["reason"].startswith("price unknown")


def test_estimates_use_catalog_prices_and_latency():
    lite = get_catalog().get("amazon.nova-lite-v1:0")
    assert estimate_cost_usd(lite, 1_000_000, 1_000_000) == pytest.approx(lite.prices.input + lite.prices.output)
    assert estimate_latency_ms(lite, 0) == lite.latency.ttft_ms


def test_profile_request_counts_tokens_capabilities_and_stable_prefix():
    image = {"type": "image", "source_type": "base64", "data": "aGk=", "mime_type": "image/png"}
    messages = [
        SystemMessage("You are terse."),
        HumanMessage("hi"),
        AIMessage("hello"),
        HumanMessage([{"type": "text", "text": "what is this?"}, image]),
    ]
    prof = profile_request(messages, None, 50)
    assert (prof.needs_images, prof.needs_documents, prof.needs_tools) == (True, False, False)
    assert prof.max_tokens == 50
    assert prof.stable_prefix_tokens == estimate_messages_tokens(["You are terse.", "hi", "hello"])
    assert prof.input_tokens == estimate_messages_tokens(["You are terse.", "hi", "hello", "what is this?"])
    with_tools = profile_request(messages, [{"name": "add", "description": "adds"}], None)
    assert with_tools.needs_tools
    assert with_tools.input_tokens > prof.input_tokens


def test_profile_request_rejects_empty_messages():
    with pytest.raises(ValueError, match="empty message list"):
        profile_request([], None, None)
