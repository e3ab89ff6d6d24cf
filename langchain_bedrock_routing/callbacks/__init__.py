"""Cache-hit, cost and routing statistics for Bedrock chat models, and their exporters."""

from langchain_bedrock_routing.callbacks.answer import UNMARKED_HIT_KIND, Answer, Attempt, read_answer
from langchain_bedrock_routing.callbacks.figures import RequestOutcome, StatsFigures
from langchain_bedrock_routing.callbacks.handler import (
    BedrockStatsCallbackHandler,
    OutcomeSink,
    get_bedrock_stats_callback,
)
from langchain_bedrock_routing.callbacks.pricing import Cost, TokenUsage, price_usage
from langchain_bedrock_routing.callbacks.report import print_report, render_report, report_text

__all__ = [
    "UNMARKED_HIT_KIND",
    "Answer",
    "Attempt",
    "BedrockStatsCallbackHandler",
    "Cost",
    "OutcomeSink",
    "RequestOutcome",
    "StatsFigures",
    "TokenUsage",
    "get_bedrock_stats_callback",
    "price_usage",
    "print_report",
    "read_answer",
    "render_report",
    "report_text",
]
