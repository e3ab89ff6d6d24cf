"""Cache warming, a tool above the library: answer a file of prompts once so later users hit the cache."""

from langchain_bedrock_routing.warming.prompts import PromptFileError, WarmPrompt, load_prompts
from langchain_bedrock_routing.warming.report import WarmReport, WarmResult
from langchain_bedrock_routing.warming.run import awarm_cache, warm_cache

__all__ = [
    "PromptFileError",
    "WarmPrompt",
    "WarmReport",
    "WarmResult",
    "awarm_cache",
    "load_prompts",
    "warm_cache",
]
