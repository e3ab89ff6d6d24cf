"""Route LangChain chat requests across Amazon Bedrock models, cache responses, count savings."""

from langchain_bedrock_routing.catalog import ModelSpec, UnknownModelError, estimate_tokens, get_catalog
from langchain_bedrock_routing.embeddings import HashingEmbeddings

__all__ = [
    "HashingEmbeddings",
    "ModelSpec",
    "UnknownModelError",
    "estimate_tokens",
    "get_catalog",
]
