"""Tier configuration: presets, validation errors naming the valid choices, prompt-router targets."""

from __future__ import annotations

import pytest

from langchain_bedrock_routing.catalog import get_catalog
from langchain_bedrock_routing.routing.targets import make_target, presets, resolve_tiers, tier_for

ROUTER_ARN = "arn:aws:bedrock:us-east-1:123456789012:default-prompt-router/anthropic.claude:1"


def test_presets_use_catalog_models_with_known_prices():
    catalog = get_catalog()
    assert set(presets()) == {"claude", "claude-5.5", "claude-4", "claude-3", "nova", "nova-2", "cross-provider"}
    for tiers in presets().values():
        assert set(tiers) == {"simple", "medium", "complex"}
        for ids in tiers.values():
            for model_id in ids:
                assert catalog.get(model_id).prices.known


def test_claude_preset_is_current_generation():
    names = {tier: get_catalog().get(ids[0]).name for tier, ids in presets()["claude"].items()}
    assert names == {"simple": "Claude Haiku 5.5", "medium": "Claude Sonnet 5", "complex": "Claude Opus 5"}


def test_default_is_claude_preset():
    resolved = resolve_tiers(None, None)
    assert [t.spec.name for t in resolved["medium"]] == ["Claude Sonnet 5"]


def test_tiers_override_preset_tier_by_tier():
    resolved = resolve_tiers({"simple": "amazon.nova-micro-v1:0"}, "claude-3")
    assert [t.model_id for t in resolved["simple"]] == ["amazon.nova-micro-v1:0"]
    assert resolved["complex"][0].spec.name == "Claude 3 Opus"


def test_tiers_alone_may_leave_tiers_out():
    resolved = resolve_tiers({"simple": ["amazon.nova-micro-v1:0"], "complex": ["amazon.nova-pro-v1:0"]}, None)
    assert set(resolved) == {"simple", "complex"}
    assert tier_for("medium", resolved) == "complex"
    assert tier_for("simple", {"medium": 1}) == "medium"
    assert tier_for("complex", {"simple": 1}) == "simple"


@pytest.mark.parametrize(
    ("tiers", "preset", "names"),
    [
        (None, "gpt", "claude, claude-3, claude-4, claude-5.5, cross-provider, nova, nova-2"),
        ({"hard": ["amazon.nova-pro-v1:0"]}, None, "simple, medium, complex"),
        ({"simple": ["acme.model-v1"]}, None, "amazon.nova-micro-v1:0"),
        ({"simple": []}, None, "at least one"),
        ({"simple": ["arn:aws:bedrock:us-east-1:1:prompt-router/custom"]}, None, "anthropic.claude:1"),
    ],
)
def test_bad_configuration_names_valid_choices(tiers, preset, names):
    with pytest.raises(ValueError, match=names):
        resolve_tiers(tiers, preset)


def test_prompt_router_target_is_described_conservatively():
    target = make_target(ROUTER_ARN, "medium", get_catalog())
    haiku = get_catalog().get("anthropic.claude-3-haiku-20240307-v1:0")
    sonnet = get_catalog().get("anthropic.claude-3-5-sonnet-20240620-v1:0")
    assert target.is_router
    assert target.provider == "anthropic"
    assert target.router_models == (haiku.model_id, sonnet.model_id)
    assert target.spec.prices.input == max(haiku.prices.input, sonnet.prices.input)
    assert target.spec.max_input_tokens == min(haiku.max_input_tokens, sonnet.max_input_tokens)
    assert target.spec.cache_min_tokens == max(haiku.cache_min_tokens, sonnet.cache_min_tokens)
