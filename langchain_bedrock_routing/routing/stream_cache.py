"""LangChain's response cache for streamed calls (``BaseChatModel.stream`` never consults it).

The hook the router's ``_stream`` calls: :func:`lookup` before routing (a hit is replayed as chunks, no
Bedrock call) and :func:`update` with the aggregated message after a complete stream. The key is the
one ``invoke`` uses (``dumps(messages)`` without message ids, ``_get_llm_string``), so a streamed and an
invoked call share entries. Fail open: a cache error is logged and treated as a miss.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from langchain_core.caches import BaseCache
from langchain_core.globals import get_llm_cache
from langchain_core.language_models import BaseChatModel
from langchain_core.load import dumps
from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatGeneration, Generation

logger = logging.getLogger(__name__)


def _cache_and_key(
    model: BaseChatModel, messages: Sequence[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any]
) -> tuple[BaseCache, str, str] | None:
    if model.cache is False:
        return None
    cache = model.cache if isinstance(model.cache, BaseCache) else get_llm_cache()
    if cache is None:
        return None
    prompt = dumps([m.model_copy(update={"id": None}) for m in messages])
    return cache, prompt, model._get_llm_string(stop=stop, **kwargs)


def lookup(
    model: BaseChatModel, messages: Sequence[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any]
) -> list[ChatGeneration] | None:
    """Cached generations for this streamed call, or ``None`` on a miss, with no cache, or on a cache error."""
    try:
        found = _cache_and_key(model, messages, stop, kwargs)
        if found is None:
            return None
        cache, prompt, llm_string = found
        hit = cache.lookup(prompt, llm_string)
    except Exception:
        logger.warning("response cache lookup failed; streaming from Bedrock", exc_info=True)
        return None
    if not hit:
        return None
    generations = [g for g in hit if isinstance(g, ChatGeneration)]
    return generations or None


def update(
    model: BaseChatModel,
    messages: Sequence[BaseMessage],
    stop: list[str] | None,
    kwargs: dict[str, Any],
    generation: ChatGeneration,
) -> None:
    """Store a completed stream's aggregated generation; errors are logged, never raised."""
    try:
        found = _cache_and_key(model, messages, stop, kwargs)
        if found is not None:
            cache, prompt, llm_string = found
            generations: list[Generation] = [generation]
            cache.update(prompt, llm_string, generations)
    except Exception:
        logger.warning("response cache update failed after a stream", exc_info=True)
