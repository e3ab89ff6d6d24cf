"""The routed stream: each candidate's chunks, fallback until output starts, and the closing routing chunk.

A candidate that fails before its first chunk with output (text, a tool call or usage; the empty chunk of
``messageStart`` does not count) hands over to the next one, and the chunks it sent are dropped unseen. Once
output has reached the caller, an error cannot fall back: it raises
:class:`~langchain_bedrock_routing.errors.StreamInterruptedError`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from langchain_core.messages import AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGenerationChunk

from langchain_bedrock_routing.core.routing_metadata import RoutingMetadata
from langchain_bedrock_routing.core.stream_cache import to_chunk
from langchain_bedrock_routing.routing.attempts import CandidateCall, RouteRun
from langchain_bedrock_routing.routing.metadata import invoked_model_id


def routed_stream(run: RouteRun, messages: list[BaseMessage], stop: list[str] | None) -> Iterator[ChatGenerationChunk]:
    """The first candidate whose stream produces output, then a closing chunk with the routing metadata.

    Raises ``AllModelsFailedError`` / ``ModelCallError`` before any output, ``StreamInterruptedError`` after.
    """
    for attempt in run:
        stream = delegate_chunks(attempt, messages, stop)
        try:
            head = _opening(stream)
        except Exception as error:
            run.failed(attempt, error)
            continue
        aggregate = head[0]
        for chunk in head[1:]:
            aggregate += chunk
        yield from head
        sent = len(head)
        while True:
            try:
                chunk = next(stream)
            except StopIteration:
                break
            except Exception as error:
                run.interrupted(attempt, error, sent)
            aggregate += chunk
            yield chunk
            sent += 1
        yield last_chunk(head[0], run.succeeded(attempt, aggregate.message.response_metadata))
        return
    run.exhausted()


def _opening(stream: Iterator[ChatGenerationChunk]) -> list[ChatGenerationChunk]:
    """The chunks up to and including the first with output; raises ``ValueError`` if the stream has none."""
    head: list[ChatGenerationChunk] = []
    for chunk in stream:
        head.append(chunk)
        if has_output(chunk):
            break
    if not head:
        raise ValueError("the model's stream ended without any chunk")
    return head


def has_output(chunk: ChatGenerationChunk) -> bool:
    message = chunk.message
    calls = message.tool_call_chunks if isinstance(message, AIMessageChunk) else []
    usage = message.usage_metadata if isinstance(message, AIMessageChunk) else None
    return bool(message.content) or bool(calls) or usage is not None


def delegate_chunks(
    attempt: CandidateCall, messages: list[BaseMessage], stop: list[str] | None
) -> Iterator[ChatGenerationChunk]:
    """The delegate's stream (one chunk when its model cannot stream), naming the model that answered."""
    if not attempt.streams:
        result = attempt.delegate._generate(messages, stop=stop, **attempt.kwargs)
        yield ChatGenerationChunk(message=to_chunk(result.generations[0].message))
        return
    for chunk in attempt.delegate._stream(messages, stop=stop, **attempt.kwargs):
        yield named(attempt, chunk)


def named(attempt: CandidateCall, chunk: ChatGenerationChunk) -> ChatGenerationChunk:
    """``chunk`` with ``model_name`` set to the model that answered (a prompt router names its pick)."""
    target = attempt.candidate.target
    metadata = chunk.message.response_metadata
    if target.is_router and "model_name" in metadata:
        metadata["model_name"] = invoked_model_id(target, metadata)
    return chunk


def last_chunk(first: ChatGenerationChunk, routing: RoutingMetadata) -> ChatGenerationChunk:
    """The closing chunk: no content, ``chunk_position="last"``, ``response_metadata["routing"]``."""
    empty: str | list[str | dict[str, Any]] = "" if isinstance(first.message.content, str) else []
    message = AIMessageChunk(content=empty, response_metadata={"routing": routing}, chunk_position="last")
    return ChatGenerationChunk(message=message)
