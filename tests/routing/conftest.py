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


REGIONS = ("us-east-1", "us-west-2", "eu-west-1")


@pytest.fixture
def regions():
    """One Bedrock emulator per region (``region -> BedrockEmulator``), each on its own port, stopped after the test."""
    from langchain_bedrock_routing.emulator import BedrockEmulator

    emulators = {region: BedrockEmulator(latency_scale=0.0).start() for region in REGIONS}
    yield emulators
    for emulator in emulators.values():
        emulator.stop()


def deployment(emulators, region: str, model: str = "amazon.nova-micro-v1:0", **extra) -> dict:
    """A deployment dict of ``model`` in ``region``, served by that region's emulator."""
    return {"model": model, "region_name": region, "endpoint_url": emulators[region].endpoint_url, **extra}


def billed_in(emulator) -> int:
    """Billed requests an emulator served."""
    return sum(1 for r in emulator.requests if r.billed)
