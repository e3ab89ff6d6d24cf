"""LangChain's response cache for streamed calls (``BaseChatModel.stream`` never consults it).

A chat model's ``_stream`` wraps its source of chunks in :func:`through_cache`: a hit is replayed as
chunks with no Bedrock call, and a stream that completes is stored as its aggregated message. The key is the one
``invoke`` uses (``dumps(messages)`` without message ids, ``_get_llm_string``), so a streamed and an
invoked call share entries. Fail open: a cache error is logged and treated as a miss.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any

from langchain_core.caches import BaseCache
from langchain_core.globals import get_llm_cache
from langchain_core.language_models import BaseChatModel
from langchain_core.load import dumps
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, message_chunk_to_message
from langchain_core.messages.tool import tool_call_chunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, Generation

logger = logging.getLogger(__name__)
_WORD_WITH_SPACE = re.compile(r"\s*\S+\s*|\s+")


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
    return _chat_generations(hit)


async def alookup(
    model: BaseChatModel, messages: Sequence[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any]
) -> list[ChatGeneration] | None:
    """Async :func:`lookup`, through the cache's own ``alookup``."""
    try:
        found = _cache_and_key(model, messages, stop, kwargs)
        if found is None:
            return None
        cache, prompt, llm_string = found
        hit = await cache.alookup(prompt, llm_string)
    except Exception:
        logger.warning("response cache lookup failed; streaming from Bedrock", exc_info=True)
        return None
    return _chat_generations(hit)


def _chat_generations(hit: Sequence[Generation] | None) -> list[ChatGeneration] | None:
    generations = [g for g in hit or () if isinstance(g, ChatGeneration)]
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


async def aupdate(
    model: BaseChatModel,
    messages: Sequence[BaseMessage],
    stop: list[str] | None,
    kwargs: dict[str, Any],
    generation: ChatGeneration,
) -> None:
    """Async :func:`update`, through the cache's own ``aupdate``."""
    try:
        found = _cache_and_key(model, messages, stop, kwargs)
        if found is not None:
            cache, prompt, llm_string = found
            generations: list[Generation] = [generation]
            await cache.aupdate(prompt, llm_string, generations)
    except Exception:
        logger.warning("response cache update failed after a stream", exc_info=True)


def through_cache(
    model: BaseChatModel,
    messages: Sequence[BaseMessage],
    stop: list[str] | None,
    kwargs: dict[str, Any],
    source: Callable[[], Iterator[ChatGenerationChunk]],
) -> Iterator[ChatGenerationChunk]:
    """Replay a cached answer, or stream ``source()`` and store it once it has completed."""
    cached = lookup(model, messages, stop, kwargs)
    if cached is not None:
        yield from replay(cached[0])
        return
    aggregate: ChatGenerationChunk | None = None
    for chunk in source():
        aggregate = chunk if aggregate is None else aggregate + chunk
        yield chunk
    if aggregate is not None:
        update(model, messages, stop, kwargs, as_generation(aggregate))


async def athrough_cache(
    model: BaseChatModel,
    messages: Sequence[BaseMessage],
    stop: list[str] | None,
    kwargs: dict[str, Any],
    source: Callable[[], AsyncIterator[ChatGenerationChunk]],
) -> AsyncIterator[ChatGenerationChunk]:
    """Async :func:`through_cache`: the cache's async methods, ``source()`` an async stream."""
    cached = await alookup(model, messages, stop, kwargs)
    if cached is not None:
        for chunk in replay(cached[0]):
            yield chunk
        return
    aggregate: ChatGenerationChunk | None = None
    async for chunk in source():
        aggregate = chunk if aggregate is None else aggregate + chunk
        yield chunk
    if aggregate is not None:
        await aupdate(model, messages, stop, kwargs, as_generation(aggregate))


def to_chunk(message: BaseMessage, **extra: Any) -> AIMessageChunk:
    """``message`` as one chunk (tool calls as complete tool-call chunks)."""
    calls = message.tool_calls if isinstance(message, AIMessage) else []
    fields = message.model_dump(exclude={"type", "tool_calls", "invalid_tool_calls", "tool_call_chunks"})
    chunks = [
        tool_call_chunk(name=c["name"], args=json.dumps(c["args"]), id=c.get("id"), index=i)
        for i, c in enumerate(calls)
    ]
    return AIMessageChunk(**{**fields, **extra}, tool_call_chunks=chunks)


def as_generation(chunk: ChatGenerationChunk) -> ChatGeneration:
    """An aggregated stream as the generation ``invoke`` would have returned (for the response cache)."""
    return ChatGeneration(message=message_chunk_to_message(chunk.message), generation_info=chunk.generation_info)


def replay(generation: ChatGeneration) -> Iterator[ChatGenerationChunk]:
    """A cached generation as a stream: one chunk per word of text, then a last chunk with the metadata.

    Text is split whether the content is a string or a list of blocks (indexed, so chunks merge back);
    the last chunk carries tool calls, usage, ``response_metadata`` (the cache hit marker) and
    ``chunk_position="last"``, so the aggregated stream equals the cached message.
    """
    message = generation.message
    for piece in _content_pieces(message.content):
        yield ChatGenerationChunk(message=AIMessageChunk(content=piece, id=message.id))
    empty: str | list[str | dict[str, Any]] = "" if isinstance(message.content, str) else []
    yield ChatGenerationChunk(message=to_chunk(message, content=empty, chunk_position="last"))


def _content_pieces(content: str | list[str | dict[str, Any]]) -> Iterator[str | list[str | dict[str, Any]]]:
    """Word-sized pieces of message content: strings for string content, one-block lists otherwise."""
    if isinstance(content, str):
        yield from _WORD_WITH_SPACE.findall(content)
        return
    for position, block in enumerate(content):
        if isinstance(block, str):
            block = {"type": "text", "text": block}
        index = block.get("index", position)
        text = block.get("text")
        if block.get("type") == "text" and isinstance(text, str):
            for word in _WORD_WITH_SPACE.findall(text):
                yield [{**block, "text": word, "index": index}]
        else:
            yield [{**block, "index": index}]
