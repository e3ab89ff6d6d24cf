"""The routed call on the event loop: the same walk through candidates as the sync path, awaiting each call.

Fallback, cooldown, deadline and the routing metadata come from the :class:`~.attempts.RouteRun` the sync path uses;
only the delegate calls differ (:mod:`.async_delegate`). A stream falls back until its first chunk with output and
raises :class:`~langchain_bedrock_routing.errors.StreamInterruptedError` after it, as :func:`.chunks.routed_stream`.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult

from langchain_bedrock_routing.core.async_bedrock import AsyncBedrock
from langchain_bedrock_routing.core.routing_metadata import RoutingMetadata
from langchain_bedrock_routing.routing import async_delegate
from langchain_bedrock_routing.routing.attempts import RouteRun
from langchain_bedrock_routing.routing.chunks import has_output, last_chunk


async def generate(
    run: RouteRun, bedrock: AsyncBedrock, messages: list[BaseMessage], stop: list[str] | None
) -> tuple[ChatResult, RoutingMetadata]:
    """The first candidate's answer and its routing metadata; raises as ``RoutedChatBedrock._generate``."""
    async for attempt in run:
        try:
            result = await async_delegate.generate(bedrock, attempt, messages, stop)
        except Exception as error:
            run.failed(attempt, error)
            continue
        message = result.generations[0].message
        return result, run.succeeded(attempt, message.response_metadata, getattr(message, "usage_metadata", None))
    run.exhausted()


async def stream(
    run: RouteRun, bedrock: AsyncBedrock, messages: list[BaseMessage], stop: list[str] | None
) -> AsyncGenerator[ChatGenerationChunk, None]:
    """The first candidate whose stream produces output, then a closing chunk with the routing metadata."""
    async for attempt in run:
        chunks = async_delegate.stream(bedrock, attempt, messages, stop)
        head: list[ChatGenerationChunk] = []
        try:
            async for chunk in chunks:
                head.append(chunk)
                if has_output(chunk):
                    break
            if not head:
                raise ValueError("the model's stream ended without any chunk")
        except Exception as error:
            await chunks.aclose()
            run.failed(attempt, error)
            continue
        aggregate = head[0]
        for chunk in head:
            yield chunk
        for chunk in head[1:]:
            aggregate += chunk
        sent = len(head)
        try:
            async for chunk in chunks:
                aggregate += chunk
                yield chunk
                sent += 1
        except Exception as error:
            run.interrupted(attempt, error, sent)
        finally:
            await chunks.aclose()
        usage = getattr(aggregate.message, "usage_metadata", None)
        yield last_chunk(head[0], run.succeeded(attempt, aggregate.message.response_metadata, usage))
        return
    run.exhausted()
