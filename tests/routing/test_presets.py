"""Presets of the current generations and the cross-provider preset priced from the catalog."""

from __future__ import annotations

from langchain_bedrock_routing.catalog import get_catalog
from langchain_bedrock_routing.routing.targets import cheapest_first, presets, reference_cost_usd, resolve_tiers


def _names(preset: str) -> dict[str, str]:
    return {tier: get_catalog().get(ids[0]).name for tier, ids in presets()[preset].items()}


def test_generation_presets_name_their_models():
    assert _names("claude-4") == {
        "simple": "Claude Haiku 4.5",
        "medium": "Claude Sonnet 4.6",
        "complex": "Claude Opus 4.8",
    }
    assert _names("nova-2")["medium"] == "Nova 2 Lite"


def test_cross_provider_tiers_are_cheapest_first_and_span_providers():
    catalog = get_catalog()
    tiers = presets()["cross-provider"]
    for ids in tiers.values():
        costs = [reference_cost_usd(catalog.get(m)) for m in ids]
        assert None not in costs
        assert costs == sorted(costs)
        assert all(catalog.get(m).tool_calling for m in ids)
    providers = {catalog.get(m).model_id.split(".")[0] for ids in tiers.values() for m in ids}
    assert {"amazon", "anthropic", "meta", "mistral", "deepseek", "openai"} <= providers
    assert tiers["simple"][0] == "amazon.nova-micro-v1:0"


def test_a_model_without_a_price_is_never_taken_for_the_cheapest():
    catalog = get_catalog()
    unpriced = "qwen.qwen3-32b-v1:0"
    assert not catalog.get(unpriced).prices.known
    assert cheapest_first([unpriced, "global.anthropic.claude-opus-5-5"], catalog) == (
        "global.anthropic.claude-opus-5-5",
    )
    assert unpriced not in presets()["cross-provider"]["simple"]


def test_a_model_without_tool_calling_is_left_out():
    catalog = get_catalog()
    assert catalog.get("deepseek.r1-v1:0").prices.known
    assert cheapest_first(["deepseek.r1-v1:0"], catalog) == ()


def test_any_catalog_model_can_be_a_tier_member():
    catalog = get_catalog()
    ids = sorted(catalog.model_ids)
    resolved = resolve_tiers(
        {"simple": ids, "medium": [f"us.{ids[0]}"], "complex": ["global.openai.gpt-5.6-luna"]}, None
    )
    assert [t.model_id for t in resolved["simple"]] == ids
    assert resolved["complex"][0].spec.pdf_inputs is False
