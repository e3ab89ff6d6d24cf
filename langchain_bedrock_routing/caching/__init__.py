"""Response caches for LangChain chat models: exact and semantic, Redis or in process; tenancy, policy, fail-open."""

from langchain_bedrock_routing.caching.base import CacheBase
from langchain_bedrock_routing.caching.bedrock_converse import CachingChatBedrockConverse
from langchain_bedrock_routing.caching.breaker import CacheStats, CircuitBreaker
from langchain_bedrock_routing.caching.context import RequestCacheContext, cache_scope, current_request
from langchain_bedrock_routing.caching.envelope import CorruptEntryError, mark_hit
from langchain_bedrock_routing.caching.factory import default_cache, make_cache
from langchain_bedrock_routing.caching.guard import near_miss_reason
from langchain_bedrock_routing.caching.memory import InMemoryExactCache
from langchain_bedrock_routing.caching.pii import contains_pii
from langchain_bedrock_routing.caching.policy import CachePolicy
from langchain_bedrock_routing.caching.redis_cache import RedisCache
from langchain_bedrock_routing.caching.semantic_base import DEFAULT_SIMILARITY_THRESHOLD
from langchain_bedrock_routing.caching.semantic_memory import InMemorySemanticCache
from langchain_bedrock_routing.caching.semantic_redis import RedisSemanticCache
from langchain_bedrock_routing.caching.vectorsets import VectorDimensionError, VectorSetsUnavailableError
from langchain_bedrock_routing.caching.warming import awarm_cache, warm_cache
from langchain_bedrock_routing.caching.warming_prompts import PromptFileError, WarmPrompt, load_prompts
from langchain_bedrock_routing.caching.warming_report import WarmReport, WarmResult

__all__ = [
    "DEFAULT_SIMILARITY_THRESHOLD",
    "CacheBase",
    "CachePolicy",
    "CacheStats",
    "CachingChatBedrockConverse",
    "CircuitBreaker",
    "CorruptEntryError",
    "InMemoryExactCache",
    "InMemorySemanticCache",
    "PromptFileError",
    "RedisCache",
    "RedisSemanticCache",
    "RequestCacheContext",
    "VectorDimensionError",
    "VectorSetsUnavailableError",
    "WarmPrompt",
    "WarmReport",
    "WarmResult",
    "awarm_cache",
    "cache_scope",
    "contains_pii",
    "current_request",
    "default_cache",
    "load_prompts",
    "make_cache",
    "mark_hit",
    "near_miss_reason",
    "warm_cache",
]
