"""Route LangChain chat requests across Amazon Bedrock models, cache responses, count savings.

The top level holds what an app writes; tools live in their subpackages (``emulator``, ``warming``,
``testing``, ``demo``) and internals in ``routing``, ``caching``, ``callbacks`` and ``catalog``.
"""

from langchain_bedrock_routing.caching import (
    CachePolicy,
    InMemoryExactCache,
    InMemorySemanticCache,
    RedisCache,
    RedisSemanticCache,
    cache_scope,
    default_cache,
    make_cache,
)
from langchain_bedrock_routing.callbacks import BedrockStatsCallbackHandler, StatsFigures, get_bedrock_stats_callback
from langchain_bedrock_routing.catalog import estimate_tokens, get_catalog
from langchain_bedrock_routing.converse import CachingChatBedrockConverse
from langchain_bedrock_routing.embeddings import HashingEmbeddings
from langchain_bedrock_routing.errors import (
    AllModelsFailedError,
    BedrockRoutingError,
    BudgetExceededError,
    BudgetUnavailableError,
    CacheError,
    CallFailedError,
    ContextWindowExceededError,
    CorruptEntryError,
    CostCapExceededError,
    InvalidRequestError,
    ModelCallError,
    NoCandidateError,
    RequestRefusedError,
    StreamInterruptedError,
    UnknownModelError,
    VectorDimensionError,
    VectorSetsUnavailableError,
)
from langchain_bedrock_routing.routing import Budget, RoutedChatBedrock
from langchain_bedrock_routing.vectorstore import RedisVectorSetStore

__all__ = [
    "AllModelsFailedError",
    "BedrockRoutingError",
    "BedrockStatsCallbackHandler",
    "Budget",
    "BudgetExceededError",
    "BudgetUnavailableError",
    "CacheError",
    "CachePolicy",
    "CachingChatBedrockConverse",
    "CallFailedError",
    "ContextWindowExceededError",
    "CorruptEntryError",
    "CostCapExceededError",
    "HashingEmbeddings",
    "InMemoryExactCache",
    "InMemorySemanticCache",
    "InvalidRequestError",
    "ModelCallError",
    "NoCandidateError",
    "RedisCache",
    "RedisSemanticCache",
    "RedisVectorSetStore",
    "RequestRefusedError",
    "RoutedChatBedrock",
    "StatsFigures",
    "StreamInterruptedError",
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
