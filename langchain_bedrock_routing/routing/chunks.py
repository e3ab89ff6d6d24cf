"""Chunk plumbing for the routed stream: the delegate's chunks and the closing routing chunk."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from langchain_core.messages import AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGenerationChunk

from langchain_bedrock_routing.caching.streaming import to_chunk
from langchain_bedrock_routing.routing.attempts import Attempt
from langchain_bedrock_routing.routing.metadata import invoked_model_id


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


def last_chunk(first: ChatGenerationChunk, routing: dict[str, Any]) -> ChatGenerationChunk:
    """The closing chunk: no content, ``chunk_position="last"``, ``response_metadata["routing"]``."""
    empty: str | list[str | dict[str, Any]] = "" if isinstance(first.message.content, str) else []
    message = AIMessageChunk(content=empty, response_metadata={"routing": routing}, chunk_position="last")
    return ChatGenerationChunk(message=message)
