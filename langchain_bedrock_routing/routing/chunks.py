"""Chunk plumbing for the routed stream: the delegate's chunks, the closing routing chunk, cache replay."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, message_chunk_to_message
from langchain_core.messages.tool import tool_call_chunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk

from langchain_bedrock_routing.routing.attempts import Attempt
from langchain_bedrock_routing.routing.metadata import invoked_model_id

_WORD_WITH_SPACE = re.compile(r"\s*\S+\s*|\s+")


def delegate_chunks(
    attempt: Attempt, messages: list[BaseMessage], stop: list[str] | None
) -> Iterator[ChatGenerationChunk]:
    """The delegate's stream (one chunk when its model cannot stream), naming the model that answered."""
    if not attempt.streams:
        result = attempt.delegate._generate(messages, stop=stop, **attempt.kwargs)
        yield ChatGenerationChunk(message=to_chunk(result.generations[0].message))
        return
    target = attempt.candidate.target
    for chunk in attempt.delegate._stream(messages, stop=stop, **attempt.kwargs):
        metadata = chunk.message.response_metadata
        if target.is_router and "model_name" in metadata:
            metadata["model_name"] = invoked_model_id(target, metadata)
        yield chunk


def to_chunk(message: BaseMessage, **extra: Any) -> AIMessageChunk:
    """``message`` as one chunk (tool calls as complete tool-call chunks)."""
    calls = message.tool_calls if isinstance(message, AIMessage) else []
    fields = message.model_dump(exclude={"type", "tool_calls", "invalid_tool_calls", "tool_call_chunks"})
    chunks = [
        tool_call_chunk(name=c["name"], args=json.dumps(c["args"]), id=c.get("id"), index=i)
        for i, c in enumerate(calls)
    ]
    return AIMessageChunk(**{**fields, **extra}, tool_call_chunks=chunks)


def last_chunk(first: ChatGenerationChunk, routing: dict[str, Any]) -> ChatGenerationChunk:
    """The closing chunk: no content, ``chunk_position="last"``, ``response_metadata["routing"]``."""
    empty: str | list[str | dict[str, Any]] = "" if isinstance(first.message.content, str) else []
    message = AIMessageChunk(content=empty, response_metadata={"routing": routing}, chunk_position="last")
    return ChatGenerationChunk(message=message)


def as_generation(chunk: ChatGenerationChunk) -> ChatGeneration:
    """An aggregated stream as the generation ``invoke`` would have returned (for the response cache)."""
    return ChatGeneration(message=message_chunk_to_message(chunk.message), generation_info=chunk.generation_info)


def replay(generation: ChatGeneration) -> Iterator[ChatGenerationChunk]:
    """A cached generation as a stream: one chunk per word of text, then a last chunk with the metadata.

    The last chunk carries tool calls, usage, ``response_metadata`` (the cache hit marker) and
    ``chunk_position="last"``, so the aggregated stream equals the cached message.
    """
    message = generation.message
    if isinstance(message.content, str) and message.content:
        for word in _WORD_WITH_SPACE.findall(message.content):
            yield ChatGenerationChunk(message=AIMessageChunk(content=word, id=message.id))
        yield ChatGenerationChunk(message=to_chunk(message, content="", chunk_position="last"))
        return
    yield ChatGenerationChunk(message=to_chunk(message, chunk_position="last"))
