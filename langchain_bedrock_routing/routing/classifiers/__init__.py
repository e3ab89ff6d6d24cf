"""Complexity classifiers: LangChain Runnables from a conversation to a :class:`RouteDecision`.

Pick one by name with :func:`resolve_classifier` (``"heuristic"`` default, ``"llm"``,
``"embedding"``, ``"cascade"``, ``"trained:<router.json>"``), or compose/replace them like any Runnable.
"""

from langchain_bedrock_routing.routing.classifiers.banded import BandedClassifier
from langchain_bedrock_routing.routing.classifiers.base import (
    ClassifierInput,
    ComplexityClassifier,
    ScoringClassifier,
    TierThresholds,
    to_messages,
)
from langchain_bedrock_routing.routing.classifiers.embedding import EmbeddingComplexityClassifier
from langchain_bedrock_routing.routing.classifiers.evaluation import RoutingCurve, apgr, cpt, routing_curve
from langchain_bedrock_routing.routing.classifiers.heuristic import HeuristicComplexityClassifier, HeuristicWeights
from langchain_bedrock_routing.routing.classifiers.llm import ClassifierUsage, ComplexityRating, LLMComplexityClassifier
from langchain_bedrock_routing.routing.classifiers.registry import CLASSIFIERS, DEFAULT_CLASSIFIER, resolve_classifier
from langchain_bedrock_routing.routing.classifiers.sticky import StickyClassifier, conversation_key
from langchain_bedrock_routing.routing.classifiers.trained import TrainedClassifier
from langchain_bedrock_routing.routing.decision import RouteDecision

__all__ = [
    "CLASSIFIERS",
    "DEFAULT_CLASSIFIER",
    "BandedClassifier",
    "ClassifierInput",
    "ClassifierUsage",
    "ComplexityClassifier",
    "ComplexityRating",
    "EmbeddingComplexityClassifier",
    "HeuristicComplexityClassifier",
    "HeuristicWeights",
    "LLMComplexityClassifier",
    "RouteDecision",
    "RoutingCurve",
    "ScoringClassifier",
    "StickyClassifier",
    "TierThresholds",
    "TrainedClassifier",
    "apgr",
    "conversation_key",
    "cpt",
    "resolve_classifier",
    "routing_curve",
    "to_messages",
]
