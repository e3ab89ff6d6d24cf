"""Routing: ``RoutedChatBedrock``, its policy, fallbacks and errors; classifiers live in ``routing.classifiers``."""

from langchain_bedrock_routing.core.routing_metadata import PRIORITIES, Priority
from langchain_bedrock_routing.errors import (
    AllModelsFailedError,
    BudgetExceededError,
    BudgetUnavailableError,
    ContextWindowExceededError,
    CostCapExceededError,
    ModelCallError,
    NoCandidateError,
    StreamInterruptedError,
)
from langchain_bedrock_routing.routing.budget import Budget
from langchain_bedrock_routing.routing.chat_model import RoutedChatBedrock
from langchain_bedrock_routing.routing.decision import RouteDecision
from langchain_bedrock_routing.routing.targets import presets

__all__ = [
    "PRIORITIES",
    "AllModelsFailedError",
    "Budget",
    "BudgetExceededError",
    "BudgetUnavailableError",
    "ContextWindowExceededError",
    "CostCapExceededError",
    "ModelCallError",
    "NoCandidateError",
    "Priority",
    "RouteDecision",
    "RoutedChatBedrock",
    "StreamInterruptedError",
    "presets",
]
