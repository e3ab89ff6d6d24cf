"""The ``prompt_cache="auto"`` rule: when to ask Bedrock to cache the stable prefix of a request.

A cache point is worth writing only if Bedrock will accept it, and Bedrock ignores a cache point whose
prefix is shorter than the model's minimum (1,024 tokens for Sonnet, 4,096 for Haiku 4.5 and Opus 4.5,
512 for Opus 5, 1,000 for Nova ... per the catalog). So with ``"auto"`` the router passes ``cache_control`` to the
delegate only when the request's stable prefix — system messages, tool schemas and every message before
the last, estimated offline — reaches the chosen model's ``cache_min_tokens``; models without prompt
caching never get it. ``"off"`` never adds it. A ``cache_control`` given by the caller is passed through
unchanged either way.
"""

from __future__ import annotations

from typing import Any, Literal

from langchain_bedrock_routing.catalog import ModelSpec
from langchain_bedrock_routing.routing.request import RequestProfile

PromptCacheMode = Literal["off", "auto"]
PROMPT_CACHE_MODES: tuple[PromptCacheMode, ...] = ("off", "auto")
CACHE_CONTROL: dict[str, Any] = {"type": "ephemeral"}


def cache_control_for(mode: PromptCacheMode, spec: ModelSpec, profile: RequestProfile) -> dict[str, Any] | None:
    """The ``cache_control`` to pass to the delegate for this model and request, or ``None``."""
    if mode != "auto" or spec.cache_min_tokens is None:
        return None
    return dict(CACHE_CONTROL) if profile.stable_prefix_tokens >= spec.cache_min_tokens else None
