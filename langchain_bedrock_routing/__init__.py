"""Route LangChain chat requests across Amazon Bedrock models, cache responses, count savings."""

from langchain_bedrock_routing.caching import (
    DEFAULT_SIMILARITY_THRESHOLD,
    CachePolicy,
    CachingChatBedrockConverse,
    CorruptEntryError,
    InMemoryExactCache,
    InMemorySemanticCache,
    RedisCache,
    RedisSemanticCache,
    VectorDimensionError,
    VectorSetsUnavailableError,
    cache_scope,
    default_cache,
    make_cache,
)
from langchain_bedrock_routing.callbacks import BedrockStatsCallbackHandler, StatsFigures, get_bedrock_stats_callback
from langchain_bedrock_routing.catalog import ModelSpec, UnknownModelError, estimate_tokens, get_catalog
from langchain_bedrock_routing.embeddings import HashingEmbeddings
from langchain_bedrock_routing.emulator import BedrockEmulator, RequestRecord
from langchain_bedrock_routing.routing import (
    PRIORITIES,
    AllModelsFailedError,
    ContextWindowExceededError,
    CostCapExceededError,
    ModelCallError,
    NoCandidateError,
    RoutedChatBedrock,
)
from langchain_bedrock_routing.routing.classifiers import (
    BandedClassifier,
    EmbeddingComplexityClassifier,
    HeuristicComplexityClassifier,
    LLMComplexityClassifier,
    RouteDecision,
    StickyClassifier,
)

__all__ = [
    "DEFAULT_SIMILARITY_THRESHOLD",
    "PRIORITIES",
    "AllModelsFailedError",
    "BandedClassifier",
    "BedrockEmulator",
    "BedrockStatsCallbackHandler",
    "CachePolicy",
    "CachingChatBedrockConverse",
    "ContextWindowExceededError",
    "CorruptEntryError",
    "CostCapExceededError",
    "EmbeddingComplexityClassifier",
    "HashingEmbeddings",
    "HeuristicComplexityClassifier",
    "InMemoryExactCache",
    "InMemorySemanticCache",
    "LLMComplexityClassifier",
    "ModelCallError",
    "ModelSpec",
    "NoCandidateError",
    "RedisCache",
    "RedisSemanticCache",
    "RequestRecord",
    "RouteDecision",
    "RoutedChatBedrock",
    "StatsFigures",
    "StickyClassifier",
    "UnknownModelError",
    "VectorDimensionError",
    "VectorSetsUnavailableError",
    "cache_scope",
    "default_cache",
    "estimate_tokens",
    "get_bedrock_stats_callback",
    "get_catalog",
    "make_cache",
]
