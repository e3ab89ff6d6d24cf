"""TokenUsage splitting of LangChain usage_metadata and cost at catalog prices."""

from decimal import Decimal

import pytest

from langchain_bedrock_routing.callbacks import Cost, TokenUsage, price_usage
from langchain_bedrock_routing.catalog import get_catalog
from langchain_bedrock_routing.catalog.pricing import price_counterfactual

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
OPUS = "anthropic.claude-3-opus-20240229-v1:0"


def test_usage_metadata_input_excludes_prompt_cache_tokens():
    usage = TokenUsage.from_usage_metadata(
        {
            "input_tokens": 1500,
            "output_tokens": 40,
            "total_tokens": 1540,
            "input_token_details": {"cache_read": 1000, "cache_creation": 300},
        }
    )
    assert usage == TokenUsage(input=200, output=40, cache_read=1000, cache_write=300)


def test_usage_metadata_per_ttl_cache_writes_count_once():
    usage = TokenUsage.from_usage_metadata(
        {
            "input_tokens": 900,
            "output_tokens": 5,
            "total_tokens": 905,
            "input_token_details": {
                "cache_read": 0,
                "cache_creation": 0,
                "ephemeral_5m_input_tokens": 500,
                "ephemeral_1h_input_tokens": 100,
            },
        }
    )
    assert usage == TokenUsage(input=300, output=5, cache_read=0, cache_write=600)


def test_missing_usage_is_zero():
    assert TokenUsage.from_usage_metadata(None) == TokenUsage()
    assert TokenUsage.from_usage_metadata({}).total == 0


def test_each_category_priced_at_its_own_price():
    prices = get_catalog().get(HAIKU).prices
    usage = TokenUsage(input=1_000, output=2_000, cache_read=3_000, cache_write=4_000)
    cost = price_usage(get_catalog(), HAIKU, usage)
    expected = {
        "input": Decimal(1_000) * Decimal(str(prices.input)) / 1_000_000,
        "output": Decimal(2_000) * Decimal(str(prices.output)) / 1_000_000,
        "cache_read": Decimal(3_000) * Decimal(str(prices.cache_read)) / 1_000_000,
        "cache_write": Decimal(4_000) * Decimal(str(prices.cache_write)) / 1_000_000,
    }
    assert cost == Cost(**expected)
    assert cost.total == sum(expected.values())


def test_unknown_price_makes_cost_unknown_not_zero():
    assert get_catalog().get(OPUS).prices.cache_read is None
    cost = price_usage(get_catalog(), OPUS, TokenUsage(input=10, output=10, cache_read=5))
    assert cost.cache_read is None
    assert cost.total is None
    assert cost.as_dict()["total"] is None
    assert (cost + Cost()).total is None


def test_unknown_model_is_unknown_cost_and_unused_unknown_price_is_zero():
    assert price_usage(get_catalog(), "no.such-model-v1:0", TokenUsage(input=1)).total is None
    assert price_usage(get_catalog(), None, TokenUsage(output=1)).total is None
    assert price_usage(get_catalog(), OPUS, TokenUsage(input=1_000_000)).total == Decimal("15.0")
    assert price_usage(get_catalog(), "no.such-model-v1:0", TokenUsage()).total == 0


def test_counterfactual_on_model_without_prompt_cache_prices_cache_tokens_as_input():
    usage = TokenUsage(input=100, output=10, cache_read=1_000, cache_write=50)
    assert not get_catalog().get(OPUS).supports_prompt_cache
    cost = price_counterfactual(get_catalog(), OPUS, usage)
    assert cost.total == pytest.approx(Decimal(1_150) * Decimal(15) / 10**6 + Decimal(10) * Decimal(75) / 10**6)
    assert price_counterfactual(get_catalog(), HAIKU, usage) == price_usage(get_catalog(), HAIKU, usage)
