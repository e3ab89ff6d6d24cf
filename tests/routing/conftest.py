"""Routing fixtures: a classifier with a fixed verdict, so tests choose the tier a request starts from."""

from __future__ import annotations

import pytest
from langchain_core.runnables import RunnableLambda

from langchain_bedrock_routing.routing.decision import RouteDecision

NOVA_TIERS = {
    "simple": ["amazon.nova-micro-v1:0", "anthropic.claude-3-haiku-20240307-v1:0"],
    "medium": ["amazon.nova-lite-v1:0"],
    "complex": ["amazon.nova-pro-v1:0"],
}


def fixed(tier: str, score: float = 0.5) -> RunnableLambda:
    """A classifier Runnable that always answers ``tier``."""
    return RunnableLambda(lambda _messages: RouteDecision(tier=tier, score=score, reason="fixed", classifier="fixed"))


@pytest.fixture
def simple_classifier() -> RunnableLambda:
    return fixed("simple", 0.1)
