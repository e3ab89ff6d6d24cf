"""The prompt_cache="auto" rule."""

from __future__ import annotations

from langchain_bedrock_routing.catalog import get_catalog
from langchain_bedrock_routing.routing.prompt_cache import cache_control_for
from langchain_bedrock_routing.routing.request import RequestProfile


def prof(stable):
    return RequestProfile(stable + 10, None, stable, False, False, False)


def test_auto_caches_only_from_the_models_minimum():
    sonnet = get_catalog().get("anthropic.claude-3-5-sonnet-20240620-v1:0")
    minimum = sonnet.cache_min_tokens
    assert cache_control_for("auto", sonnet, prof(minimum - 1)) is None
    assert cache_control_for("auto", sonnet, prof(minimum)) == {"type": "ephemeral"}


def test_minimum_differs_per_model():
    haiku45 = get_catalog().get("anthropic.claude-haiku-4-5-20251001-v1:0")
    sonnet = get_catalog().get("anthropic.claude-3-5-sonnet-20240620-v1:0")
    between = prof(sonnet.cache_min_tokens + 1)
    assert haiku45.cache_min_tokens > between.stable_prefix_tokens
    assert cache_control_for("auto", sonnet, between) is not None
    assert cache_control_for("auto", haiku45, between) is None


def test_off_and_models_without_caching_never_cache():
    opus3 = get_catalog().get("anthropic.claude-3-opus-20240229-v1:0")
    sonnet = get_catalog().get("anthropic.claude-3-5-sonnet-20240620-v1:0")
    assert opus3.cache_min_tokens is None
    assert cache_control_for("auto", opus3, prof(100_000)) is None
    assert cache_control_for("off", sonnet, prof(100_000)) is None
