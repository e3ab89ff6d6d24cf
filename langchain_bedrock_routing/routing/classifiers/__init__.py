"""Complexity classifiers: LangChain Runnables from a conversation to a :class:`RouteDecision`."""

from langchain_bedrock_routing.routing.classifiers.base import (
    ClassifierInput,
    ComplexityClassifier,
    ScoringClassifier,
    TierThresholds,
    to_messages,
)
from langchain_bedrock_routing.routing.classifiers.heuristic import HeuristicComplexityClassifier, HeuristicWeights
from langchain_bedrock_routing.routing.classifiers.llm import ClassifierUsage, ComplexityRating, LLMComplexityClassifier
from langchain_bedrock_routing.routing.classifiers.sticky import StickyClassifier
from langchain_bedrock_routing.routing.decision import RouteDecision

__all__ = [
    "ClassifierInput",
    "ClassifierUsage",
    "ComplexityClassifier",
    "ComplexityRating",
    "HeuristicComplexityClassifier",
    "HeuristicWeights",
    "LLMComplexityClassifier",
    "RouteDecision",
    "ScoringClassifier",
    "StickyClassifier",
    "TierThresholds",
    "to_messages",
]
