"""Model catalog: prices, context windows, capabilities and latency of Bedrock models."""

from langchain_bedrock_routing.catalog._catalog import ModelCatalog, base_model_id, get_catalog, prompt_router_id
from langchain_bedrock_routing.catalog._spec import (
    TIERS,
    EmbeddingModelSpec,
    LatencyProfile,
    ModelSpec,
    Prices,
    PromptRouterSpec,
    Tier,
)
from langchain_bedrock_routing.catalog.tokens import estimate_messages_tokens, estimate_tokens
from langchain_bedrock_routing.errors import UnknownModelError

__all__ = [
    "TIERS",
    "EmbeddingModelSpec",
    "LatencyProfile",
    "ModelCatalog",
    "ModelSpec",
    "Prices",
    "PromptRouterSpec",
    "Tier",
    "UnknownModelError",
    "base_model_id",
    "estimate_messages_tokens",
    "estimate_tokens",
    "get_catalog",
    "prompt_router_id",
]
