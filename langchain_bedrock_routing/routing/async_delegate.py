"""One candidate's Bedrock call on the event loop: its delegate builds the request, an ``AsyncBedrock`` sends it.

The request is the one the delegate's own sync ``_generate`` / ``_stream`` would send (langchain-aws converts the
messages, tools, images, documents, cache points, guardrails and reasoning settings; botocore validates and
serializes), captured just before sending (see :func:`~langchain_bedrock_routing.core.async_bedrock.capture`).
Replies are parsed by langchain-aws's own functions and errors pass through its own error mapping, so the sync and
async paths return the same messages and raise the same exceptions.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from botocore.exceptions import ClientError
from langchain_aws import ChatBedrockConverse
from langchain_aws.chat_models.bedrock_converse import (
    _extract_thinking_tokens,
    _handle_bedrock_error,
    _parse_response,
    _parse_stream_event,
    _raise_if_context_overflow,
)
from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

from langchain_bedrock_routing.core.async_bedrock import AsyncBedrock, capture
from langchain_bedrock_routing.core.stream_cache import to_chunk
from langchain_bedrock_routing.routing.attempts import CandidateCall
from langchain_bedrock_routing.routing.chunks import named

_PROVIDER = "bedrock_converse"


async def generate(
    bedrock: AsyncBedrock, attempt: CandidateCall, messages: list[BaseMessage], stop: list[str] | None
) -> ChatResult:
    """The delegate's ``_generate`` result, with the HTTP exchange on the event loop."""
    delegate = attempt.delegate
    call = capture(delegate.client, lambda: delegate._generate(messages, stop=stop, **attempt.kwargs))
    try:
        response = await bedrock.send(call)
    except ClientError as error:
        _handle_bedrock_error(error)  # raises it, or a clearer error (context overflow, tool permission)
        raise
    message = _parse_response(response, inline_reasoning_tags=delegate._inline_reasoning_tags_for_model())
    _name_model(delegate, message.response_metadata)
    return ChatResult(generations=[ChatGeneration(message=message)])


async def stream(
    bedrock: AsyncBedrock, attempt: CandidateCall, messages: list[BaseMessage], stop: list[str] | None
) -> AsyncGenerator[ChatGenerationChunk, None]:
    """The delegate's ``_stream`` chunks (one chunk when its model cannot stream), naming the model that answered;
    ``ConnectionError`` when the stream ends without ``messageStop``, as on the sync path."""
    if not attempt.streams:
        result = await generate(bedrock, attempt, messages, stop)
        yield ChatGenerationChunk(message=to_chunk(result.generations[0].message))
        return
    delegate = attempt.delegate
    call = capture(delegate.client, lambda: next(delegate._stream(messages, stop=stop, **attempt.kwargs)))
    try:
        head, events = await bedrock.stream(call)
    except ClientError as error:
        _handle_bedrock_error(error)
        raise
    named_usage, stopped, reasoning_tokens = False, False, None
    try:
        async for event in events:
            if "messageStop" in event:
                stopped = True
                reasoning_tokens = _extract_thinking_tokens(event["messageStop"].get("additionalModelResponseFields"))
            message = _parse_stream_event(event, reasoning_tokens=reasoning_tokens)
            if message is None:
                continue
            metadata = message.response_metadata
            if getattr(message, "usage_metadata", None) and not named_usage:
                _name_model(delegate, metadata)
                metadata["ResponseMetadata"] = head["ResponseMetadata"]
                named_usage = True
            metadata["model_provider"] = _PROVIDER
            yield named(attempt, ChatGenerationChunk(message=message))
    except ClientError as error:  # Bedrock may report an overflow as an event after the stream opened
        _raise_if_context_overflow(error)
        raise
    finally:
        await events.aclose()
    if not stopped:
        raise ConnectionError("Incomplete Bedrock response stream: missing messageStop event.")


def _name_model(delegate: ChatBedrockConverse, metadata: dict[str, Any]) -> None:
    """The response metadata langchain-aws adds to a reply: provider, model name and inference profile."""
    metadata["model_provider"] = _PROVIDER
    metadata["model_name"] = delegate.base_model_id or delegate.model_id
    if "application-inference-profile" in delegate.model_id:
        metadata["inference_profile_id"] = delegate.model_id
