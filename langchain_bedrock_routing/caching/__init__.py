"""Response caches for LangChain chat models: exact and semantic, Redis or in process; tenancy, policy, fail-open."""

from langchain_bedrock_routing.caching.base import CacheBase
from langchain_bedrock_routing.caching.breaker import CacheStats
from langchain_bedrock_routing.caching.context import cache_scope
from langchain_bedrock_routing.caching.factory import default_cache, make_cache
from langchain_bedrock_routing.caching.memory import InMemoryExactCache
from langchain_bedrock_routing.caching.policy import CachePolicy
from langchain_bedrock_routing.caching.redis_cache import RedisCache
from langchain_bedrock_routing.caching.semantic_base import DEFAULT_SIMILARITY_THRESHOLD
from langchain_bedrock_routing.caching.semantic_memory import InMemorySemanticCache
from langchain_bedrock_routing.caching.semantic_redis import RedisSemanticCache
from langchain_bedrock_routing.core.async_embeddings import AsyncBedrockEmbeddings
from langchain_bedrock_routing.errors import CorruptEntryError, VectorDimensionError, VectorSetsUnavailableError

__all__ = [
    "DEFAULT_SIMILARITY_THRESHOLD",
    "AsyncBedrockEmbeddings",
    "CacheBase",
    "CachePolicy",
    "CacheStats",
    "CorruptEntryError",
    "InMemoryExactCache",
    "InMemorySemanticCache",
    "RedisCache",
    "RedisSemanticCache",
    "VectorDimensionError",
    "VectorSetsUnavailableError",
    "cache_scope",
    "default_cache",
    "make_cache",
]
