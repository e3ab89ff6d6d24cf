"""What a complexity classifier returns: the tier a request needs, and why."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from langchain_bedrock_routing.catalog import Tier


class RouteDecision(BaseModel):
    """A classifier's verdict on one request.

    ``score`` is in [0, 1], higher meaning more complex; ``tier`` is the tier the classifier
    maps that score to; ``reason`` is a short human-readable explanation; ``classifier``
    names the classifier that decided (``"heuristic"``, ``"llm"``, ``"embedding"`` ...).
    """

    model_config = ConfigDict(frozen=True)

    tier: Tier
    score: float = Field(ge=0.0, le=1.0)
    reason: str
    classifier: str
