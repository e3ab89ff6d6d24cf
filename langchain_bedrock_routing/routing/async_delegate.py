"""One candidate's Bedrock call on the event loop, through :mod:`.async_converse` with the candidate's delegate.

Streamed chunks name the model that answered (a prompt router names its pick), as on the sync path.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult

from langchain_bedrock_routing.core.async_bedrock import AsyncBedrock
from langchain_bedrock_routing.core.stream_cache import to_chunk
from langchain_bedrock_routing.routing.async_converse import converse, converse_stream
from langchain_bedrock_routing.routing.attempts import CandidateCall
from langchain_bedrock_routing.routing.chunks import named


async def generate(
    bedrock: AsyncBedrock, attempt: CandidateCall, messages: list[BaseMessage], stop: list[str] | None
) -> ChatResult:
    """The delegate's ``_generate`` result, with the HTTP exchange on the event loop."""
    return await converse(bedrock, attempt.delegate, messages, stop, attempt.kwargs)


async def stream(
    bedrock: AsyncBedrock, attempt: CandidateCall, messages: list[BaseMessage], stop: list[str] | None
) -> AsyncGenerator[ChatGenerationChunk, None]:
    """The delegate's ``_stream`` chunks (one chunk when its model cannot stream), naming the model that answered;
    ``ConnectionError`` when the stream ends without ``messageStop``, as on the sync path."""
    if not attempt.streams:
        result = await generate(bedrock, attempt, messages, stop)
        yield ChatGenerationChunk(message=to_chunk(result.generations[0].message))
        return
    chunks = converse_stream(bedrock, attempt.delegate, messages, stop, attempt.kwargs)
    try:
        async for chunk in chunks:
            yield named(attempt, chunk)
    finally:
        await chunks.aclose()
