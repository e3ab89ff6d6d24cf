"""Cache-hit, cost and routing statistics for Bedrock chat models, and their exporters.

The readable report (``rich`` tables) is in :mod:`langchain_bedrock_routing.callbacks.report`, imported on use.
"""

from langchain_bedrock_routing.callbacks.answer import UNMARKED_HIT_KIND, Answer, FailedAttempt, read_answer
from langchain_bedrock_routing.callbacks.figures import RequestOutcome, StatsFigures
from langchain_bedrock_routing.callbacks.handler import (
    BedrockStatsCallbackHandler,
    OutcomeSink,
    get_bedrock_stats_callback,
)
from langchain_bedrock_routing.callbacks.langsmith import BedrockLangSmithTracer
from langchain_bedrock_routing.catalog.pricing import Cost, TokenUsage, price_usage

__all__ = [
    "UNMARKED_HIT_KIND",
    "Answer",
    "BedrockLangSmithTracer",
    "BedrockStatsCallbackHandler",
    "Cost",
    "FailedAttempt",
    "OutcomeSink",
    "RequestOutcome",
    "StatsFigures",
    "TokenUsage",
    "get_bedrock_stats_callback",
    "price_usage",
    "read_answer",
]
