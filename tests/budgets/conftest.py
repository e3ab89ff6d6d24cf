"""Budget fixtures: a settable clock, a fixed classifier and a router on the emulator with Claude tiers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from langchain_core.messages import BaseMessage
from langchain_core.runnables import RunnableConfig, RunnableLambda

from langchain_bedrock_routing.routing import budget
from langchain_bedrock_routing.routing.classifiers import ComplexityClassifier
from langchain_bedrock_routing.routing.decision import RouteDecision

TIERS = {
    "simple": ["global.anthropic.claude-haiku-5-5"],
    "medium": ["global.anthropic.claude-sonnet-5"],
    "complex": ["global.anthropic.claude-opus-5"],
}
NOON = datetime(2026, 12, 7, 12, 0, tzinfo=UTC).timestamp()
LONG = "Summarise these notes for the board. " + "Quarterly revenue rose while support costs fell. " * 120


class Clock:
    """Unix seconds, set by the test."""

    def __init__(self, now: float = NOON) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def medium() -> RunnableLambda:
    """A classifier that always answers ``medium``."""
    return RunnableLambda(lambda _m: RouteDecision(tier="medium", score=0.5, reason="fixed", classifier="fixed"))


@pytest.fixture(autouse=True)
def _fresh_process_ledger(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with an empty in-process ledger (routers without a Redis URL share one per process)."""
    monkeypatch.setattr(budget, "_process_ledger", [])


class Medium(ComplexityClassifier):
    """An offline classifier that always answers ``medium`` (run inline on the async path: no executor hop)."""

    def classify_messages(self, messages: list[BaseMessage], config: RunnableConfig | None = None) -> RouteDecision:
        return RouteDecision(tier="medium", score=0.5, reason="fixed", classifier="fixed")
