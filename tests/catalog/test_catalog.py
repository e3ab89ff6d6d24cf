from __future__ import annotations

import pytest

from langchain_bedrock_routing.catalog import (
    TIERS,
    UnknownModelError,
    base_model_id,
    estimate_messages_tokens,
    estimate_tokens,
    get_catalog,
    prompt_router_id,
)

WORKSHOP_MODELS = [
    "anthropic.claude-3-haiku-20240307-v1:0",
    "anthropic.claude-3-5-sonnet-20240620-v1:0",
    "anthropic.claude-3-5-sonnet-20241022-v2:0",
    "anthropic.claude-3-opus-20240229-v1:0",
    "amazon.nova-micro-v1:0",
    "amazon.nova-lite-v1:0",
    "amazon.nova-pro-v1:0",
]


@pytest.mark.parametrize("model_id", WORKSHOP_MODELS)
def test_workshop_models_are_in_the_catalog(model_id: str) -> None:
    spec = get_catalog().get(model_id)
    assert spec.model_id == model_id
    assert spec.tier in TIERS
    assert spec.max_input_tokens > 0
    assert spec.prices.known


@pytest.mark.parametrize(
    ("model_id", "input_price", "output_price"),
    [
        ("anthropic.claude-3-haiku-20240307-v1:0", 0.25, 1.25),
        ("anthropic.claude-3-5-sonnet-20240620-v1:0", 3.0, 15.0),
        ("anthropic.claude-3-opus-20240229-v1:0", 15.0, 75.0),
        ("amazon.nova-micro-v1:0", 0.035, 0.14),
        ("amazon.nova-lite-v1:0", 0.06, 0.24),
        ("amazon.nova-pro-v1:0", 0.80, 3.20),
    ],
)
def test_public_prices(model_id: str, input_price: float, output_price: float) -> None:
    prices = get_catalog().get(model_id).prices
    assert (prices.input, prices.output) == (input_price, output_price)


def test_claude_cache_prices_follow_the_published_multipliers() -> None:
    """5-minute cache writes are 1.25x input for every Claude model; reads at most 0.1x (0.05x for the 5.5s)."""
    for model_id in get_catalog().model_ids:
        spec = get_catalog().get(model_id)
        p = spec.prices
        if spec.family.startswith("claude") and p.input is not None and p.cache_write is not None:
            assert p.cache_write == pytest.approx(1.25 * p.input)
            assert p.cache_read is not None
            assert p.cache_read <= 0.1 * p.input + 1e-9


def test_every_known_price_names_a_dated_source() -> None:
    catalog = get_catalog()
    for model_id in catalog.model_ids:
        prices = catalog.get(model_id).prices
        if prices.known:
            assert prices.source in catalog.price_sources
            assert catalog.price_sources[prices.source]["date"]


def test_unknown_prices_stay_unknown() -> None:
    prices = get_catalog().get("qwen.qwen3-32b-v1:0").prices
    assert prices.input is None
    assert not prices.known


@pytest.mark.parametrize("prefix", ["us.", "eu.", "apac.", "global.", ""])
def test_inference_profile_ids_resolve_to_base_model(prefix: str) -> None:
    spec = get_catalog().get(f"{prefix}anthropic.claude-3-haiku-20240307-v1:0")
    assert spec.model_id == "anthropic.claude-3-haiku-20240307-v1:0"


def test_inference_profile_arn_resolves() -> None:
    arn = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-pro-v1:0"
    assert base_model_id(arn) == "amazon.nova-pro-v1:0"


def test_context_window_comes_from_langchain_aws_profile() -> None:
    assert get_catalog().get("amazon.nova-micro-v1:0").max_input_tokens == 128_000
    assert get_catalog().get("amazon.nova-micro-v1:0").image_inputs is False


def test_unknown_model_names_the_id_and_the_choices() -> None:
    with pytest.raises(UnknownModelError, match=r"'acme\.nope-v1'.*amazon\.nova-lite-v1:0"):
        get_catalog().get("acme.nope-v1")


def test_prompt_router_arn() -> None:
    arn = "arn:aws:bedrock:us-east-1:123456789012:default-prompt-router/anthropic.claude:1"
    assert prompt_router_id(arn) == "anthropic.claude:1"
    router = get_catalog().prompt_router(arn)
    assert router is not None
    assert all(m in get_catalog() for m in router.models)
    assert prompt_router_id("anthropic.claude-3-haiku-20240307-v1:0") is None


def test_token_estimator() -> None:
    assert estimate_tokens("") == 0
    assert estimate_tokens("Hello, world!") == 4
    assert estimate_tokens("internationalization") == 4
    assert estimate_messages_tokens(["Hello, world!", "Hi"]) == 4 + 1 + 2 * 3
    prose = "The quick brown fox jumps over the lazy dog. " * 100
    assert 900 <= estimate_tokens(prose) <= 1300


@pytest.mark.parametrize(
    ("model_id", "input_price", "output_price"),
    [
        ("anthropic.claude-sonnet-4-6", 3.0, 15.0),
        ("global.anthropic.claude-sonnet-4-6", 3.0, 15.0),
        ("us.anthropic.claude-sonnet-4-6", 3.3, 16.5),
        ("eu.anthropic.claude-haiku-4-5-20251001-v1:0", 1.1, 5.5),
        ("jp.anthropic.claude-sonnet-5", 2.2, 11.0),
        ("us.anthropic.claude-3-haiku-20240307-v1:0", 0.25, 1.25),
        ("us.amazon.nova-pro-v1:0", 0.8, 3.2),
    ],
)
def test_geo_profiles_of_claude_4_5_and_later_cost_ten_percent_more(
    model_id: str, input_price: float, output_price: float
) -> None:
    prices = get_catalog().get(model_id).prices
    assert (prices.input, prices.output) == (input_price, output_price)


def test_geo_premium_keeps_unknown_prices_unknown() -> None:
    catalog = get_catalog()
    assert catalog.get("us.anthropic.claude-sonnet-4-6").prices.cache_read == 0.33
    assert catalog.get("us.anthropic.claude-sonnet-4-6").model_id == "anthropic.claude-sonnet-4-6"
    assert get_catalog().get("us.qwen.qwen3-32b-v1:0").prices.input is None


def test_embedding_prices_are_sourced_or_unknown() -> None:
    """Nova Multimodal Embeddings' text rate is on AWS's pricing cache; Titan v1 / image and Cohere Embed rows were
    found in no AWS source, so their price stays unknown rather than guessed."""
    catalog = get_catalog()
    nova = catalog.embedding_model("amazon.nova-2-multimodal-embeddings-v1:0")
    assert nova.input_price == 0.135
    assert catalog.embedding_model("amazon.titan-embed-text-v2:0").input_price == 0.02
    unknown = ["amazon.titan-embed-text-v1", "amazon.titan-embed-image-v1", "cohere.embed-english-v3",
               "cohere.embed-multilingual-v3", "cohere.embed-v4:0"]  # fmt: skip
    assert [catalog.embedding_model(m).input_price for m in unknown] == [None] * 5
