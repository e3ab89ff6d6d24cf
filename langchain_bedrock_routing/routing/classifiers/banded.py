"""Heuristic first, the LLM only inside an uncertainty band: most requests cost nothing to classify."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import BaseMessage
from langchain_core.runnables import Runnable, RunnableConfig
from pydantic import Field, model_validator

from langchain_bedrock_routing.core.closing import aclose_parts
from langchain_bedrock_routing.routing.classifiers.base import ComplexityClassifier
from langchain_bedrock_routing.routing.classifiers.heuristic import HeuristicComplexityClassifier
from langchain_bedrock_routing.routing.classifiers.llm import LLMComplexityClassifier
from langchain_bedrock_routing.routing.decision import RouteDecision


class BandedClassifier(ComplexityClassifier):
    """Asks ``first``; when its score falls in one of ``bands`` (``low <= score < high``), ``second`` decides.

    Defaults: the heuristic, then the LLM classifier, with bands of +-0.05 around the default tier
    thresholds (0.35 and 0.65), where the heuristic's tier is a coin toss; clear-cut requests never
    pay for an LLM call. Move the bands with your thresholds, or pass one wide band such as
    ``((0.3, 0.7),)``. The decision names the classifier that made it; the reason says which band.
    """

    first: Runnable[Any, RouteDecision] = Field(default_factory=HeuristicComplexityClassifier)
    second: Runnable[Any, RouteDecision] = Field(default_factory=LLMComplexityClassifier)
    bands: tuple[tuple[float, float], ...] = ((0.30, 0.40), (0.60, 0.70))
    """Scores of ``first`` inside any ``[low, high)`` are uncertain and go to ``second``."""

    @property
    def calls_models(self) -> bool:
        """Whether either classifier may call a model (the default second one does)."""
        return any(not isinstance(c, ComplexityClassifier) or c.calls_models for c in (self.first, self.second))

    @model_validator(mode="after")
    def _bands_in_range(self) -> BandedClassifier:
        for low, high in self.bands:
            if not 0.0 <= low <= high <= 1.0:
                raise ValueError(f"each band must satisfy 0 <= low <= high <= 1, got {(low, high)}")
        return self

    def classify_messages(self, messages: list[BaseMessage], config: RunnableConfig | None = None) -> RouteDecision:
        """``first``'s decision, or ``second``'s when ``first`` is unsure."""
        decision = self.first.invoke(messages, config)
        band = self._band_of(decision)
        if band is None:
            return self._annotate(decision, decision, band)
        return self._annotate(decision, self.second.invoke(messages, config), band)

    async def aclassify_messages(
        self, messages: list[BaseMessage], config: RunnableConfig | None = None
    ) -> RouteDecision:
        """Async :meth:`classify_messages`."""
        decision = await self.first.ainvoke(messages, config)
        band = self._band_of(decision)
        if band is None:
            return self._annotate(decision, decision, band)
        return self._annotate(decision, await self.second.ainvoke(messages, config), band)

    async def aclose(self) -> None:
        """Close both classifiers' connections of the running event loop."""
        await aclose_parts(self.first, self.second)

    def _band_of(self, decision: RouteDecision) -> tuple[float, float] | None:
        return next(((low, high) for low, high in self.bands if low <= decision.score < high), None)

    def _annotate(self, first: RouteDecision, final: RouteDecision, band: tuple[float, float] | None) -> RouteDecision:
        where = (
            "outside the uncertainty bands"
            if band is None
            else f"inside uncertainty band [{band[0]:.2f}, {band[1]:.2f})"
        )
        prefix = f"{first.classifier} score {first.score:.2f} {where}"
        reason = f"{prefix}: {final.reason}" if band is not None else f"{prefix}; {final.reason}"
        return final.model_copy(update={"reason": reason})
