"""The tier a request needs, the fill rule for unmeasured tiers, and outcome keys mapped to tiers."""

from __future__ import annotations

import pytest

from langchain_bedrock_routing.learning import Outcome, needed_tier, tier_of
from langchain_bedrock_routing.learning.tiers import filled, quality_matrix, tier_scores


@pytest.mark.parametrize(
    ("scores", "tier"),
    [
        ({"simple": 1.0, "complex": 1.0}, "simple"),  # weak good
        ({"simple": 0.0, "complex": 1.0}, "complex"),  # only strong good
        ({"simple": 0.0, "complex": 0.0}, "simple"),  # both bad: the stronger model buys nothing
        ({"simple": 1.0, "complex": 0.0}, "simple"),
        ({"simple": 0.2, "medium": 0.6, "complex": 0.9}, "medium"),  # cheapest good enough
        ({"simple": 0.1, "medium": 0.3, "complex": 0.2}, "medium"),  # none good: cheapest best
        ({"complex": 0.0}, "complex"),
        ({"simple": 0.0}, "medium"),  # thumbs down on a simple-tier answer: the next tier up
        ({"medium": False}, "complex"),
        ({"simple": 0.2, "medium": 0.4}, "complex"),
        ({"medium": 1.0}, "medium"),
    ],
)
def test_needed_tier_rule(scores, tier):
    assert needed_tier(scores) == tier


def test_good_enough_is_a_parameter():
    assert needed_tier({"simple": 0.6, "complex": 0.9}, good_enough=0.8) == "complex"


def test_unmeasured_tiers_take_the_cheaper_measured_score():
    assert filled({"simple": 0.0, "complex": 1.0}) == (0.0, 0.0, 1.0)
    assert filled({"medium": 0.5}) == (0.5, 0.5, 0.5)
    assert filled({"complex": 0.7, "simple": 0.1}) == (0.1, 0.1, 0.7)


def test_keys_map_through_catalog_and_mapping():
    assert tier_of("global.anthropic.claude-opus-5") == "complex"
    assert tier_of("medium") == "medium"
    assert tier_of("gpt-4", {"gpt-4": "complex"}) == "complex"
    with pytest.raises(ValueError, match=r"'gpt-4' is neither a tier .* --tier gpt-4=simple"):
        tier_of("gpt-4")
    record = Outcome.from_prompt("q", {"global.anthropic.claude-haiku-5-5": 1.0, "simple": 0.0, "complex": 1})
    assert tier_scores(record) == {"simple": 0.5, "complex": 1.0}
    quality, measured = quality_matrix([record])
    assert quality.tolist() == [[0.5, 0.5, 1.0]]
    assert measured == [frozenset({"simple", "complex"})]
