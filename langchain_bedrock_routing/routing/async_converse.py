"""A ``ChatBedrockConverse`` call on the event loop: the model builds the request, an ``AsyncBedrock`` sends it.

The request is the one the model's own sync ``_generate`` / ``_stream`` would send (langchain-aws converts the
messages, tools, images, documents, cache points, guardrails and reasoning settings; botocore validates and
serializes), captured just before sending (see :func:`~langchain_bedrock_routing.core.async_bedrock.capture`).
Replies are parsed by langchain-aws's own functions and errors pass through its own error mapping, so the sync and
async paths return the same messages and raise the same exceptions. :class:`AsyncChatBedrockConverse` is a
``ChatBedrockConverse`` whose ``ainvoke`` / ``astream`` go this way (the router's own calls: :mod:`.async_delegate`).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
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
from langchain_core.callbacks import AsyncCallbackManagerForLLMRun
from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import PrivateAttr

from langchain_bedrock_routing.core.async_bedrock import AsyncBedrock, capture

_PROVIDER = "bedrock_converse"


async def converse(
    bedrock: AsyncBedrock,
    model: ChatBedrockConverse,
    messages: list[BaseMessage],
    stop: list[str] | None,
    kwargs: dict[str, Any],
) -> ChatResult:
    """``model._generate(messages, stop, **kwargs)``'s result, with the HTTP exchange on the event loop."""
    call = capture(model.client, lambda: model._generate(messages, stop=stop, **kwargs))
    try:
        response = await bedrock.send(call)
    except ClientError as error:
        _handle_bedrock_error(error)  # raises it, or a clearer error (context overflow, tool permission)
        raise
    message = _parse_response(response, inline_reasoning_tags=model._inline_reasoning_tags_for_model())
    _name_model(model, message.response_metadata)
    return ChatResult(generations=[ChatGeneration(message=message)])


async def converse_stream(
    bedrock: AsyncBedrock,
    model: ChatBedrockConverse,
    messages: list[BaseMessage],
    stop: list[str] | None,
    kwargs: dict[str, Any],
) -> AsyncGenerator[ChatGenerationChunk, None]:
    """``model._stream(messages, stop, **kwargs)``'s chunks, received on the event loop; ``ConnectionError`` when
    the stream ends without ``messageStop``, as on the sync path."""
    call = capture(model.client, lambda: next(model._stream(messages, stop=stop, **kwargs)))
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
                _name_model(model, metadata)
                metadata["ResponseMetadata"] = head["ResponseMetadata"]
                named_usage = True
            metadata["model_provider"] = _PROVIDER
            yield ChatGenerationChunk(message=message)
    except ClientError as error:  # Bedrock may report an overflow as an event after the stream opened
        _raise_if_context_overflow(error)
        raise
    finally:
        await events.aclose()
    if not stopped:
        raise ConnectionError("Incomplete Bedrock response stream: missing messageStop event.")


def _name_model(model: ChatBedrockConverse, metadata: dict[str, Any]) -> None:
    """The response metadata langchain-aws adds to a reply: provider, model name and inference profile."""
    metadata["model_provider"] = _PROVIDER
    metadata["model_name"] = model.base_model_id or model.model_id
    if "application-inference-profile" in model.model_id:
        metadata["inference_profile_id"] = model.model_id


class AsyncChatBedrockConverse(ChatBedrockConverse):
    """``ChatBedrockConverse`` whose ``ainvoke`` / ``astream`` need no executor thread; close with :meth:`aclose`."""

    _bedrock: AsyncBedrock = PrivateAttr(default_factory=AsyncBedrock)

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return await converse(self._bedrock, self, messages, stop, kwargs)

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        async for chunk in converse_stream(self._bedrock, self, messages, stop, kwargs):
            if run_manager is not None:
                await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
            yield chunk

    async def aclose(self) -> None:
        """Close the running event loop's HTTP connections."""
        await self._bedrock.aclose()
