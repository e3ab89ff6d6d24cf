"""A Bedrock error in the middle of a ConverseStream, through RoutedChatBedrock on the emulator.

Before the first chunk with output, the router falls back as for any retryable error; after it, the caller
already holds part of the answer, so it raises StreamInterruptedError naming the model and the chunk count.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest
from botocore.exceptions import EventStreamError
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessageChunk

from langchain_bedrock_routing.callbacks.handler import get_bedrock_stats_callback
from langchain_bedrock_routing.emulator import BedrockEmulator
from langchain_bedrock_routing.errors import StreamInterruptedError
from langchain_bedrock_routing.routing import ModelCallError, RoutedChatBedrock

from .conftest import NOVA_TIERS, fixed

MICRO = "amazon.nova-micro-v1:0"
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
PROMPT = "Explain in detail how a hash map handles collisions and resizing."


def _router() -> RoutedChatBedrock:
    return RoutedChatBedrock(tiers=NOVA_TIERS, classifier=fixed("simple", 0.1), region_name="us-east-1")


def _stream_until_error(llm: RoutedChatBedrock, **kwargs: Any) -> tuple[list[AIMessageChunk], StreamInterruptedError]:
    received: list[AIMessageChunk] = []
    stream = llm.stream(PROMPT, **kwargs)
    with pytest.raises(StreamInterruptedError) as info:
        received.extend(stream)
    return received, info.value


class _ErrorRecorder(BaseCallbackHandler):
    """Collects the errors LangChain reports to callbacks."""

    def __init__(self) -> None:
        self.errors: list[BaseException] = []

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> Any:
        self.errors.append(error)


def test_an_error_after_output_started_is_raised_naming_the_model_and_chunk_count(emulator: BedrockEmulator):
    emulator.set_faults(stream_error="modelStreamErrorException", stream_error_after=2, stream_error_models=[MICRO])
    received, error = _stream_until_error(_router())
    assert "".join(chunk.text for chunk in received).strip()
    assert isinstance(error, ModelCallError)
    assert (error.model_id, error.chunks) == (MICRO, len(received))
    assert str(error).startswith(
        f"the stream from model '{MICRO}' was interrupted after {len(received)} chunks: An error occurred "
        "(modelStreamErrorException) when calling the ConverseStream operation:"
    )
    assert "no fallback was tried" in str(error)
    assert isinstance(error.__cause__, EventStreamError)
    assert error.__cause__.response["Error"]["Code"] == "modelStreamErrorException"
    assert error.attempts == [{"model_id": MICRO, "tier": "simple", "error": "modelStreamErrorException"}]
    assert [(r.model_id, r.error_code, r.billed) for r in emulator.requests] == [
        (MICRO, "modelStreamErrorException", False)
    ]


async def test_astream_raises_the_same_error_without_fallback(emulator: BedrockEmulator):
    emulator.set_faults(stream_error="throttlingException", stream_error_after=1, stream_error_models=[MICRO])
    received: list[AIMessageChunk] = []
    stream = _router().astream(PROMPT)
    with pytest.raises(StreamInterruptedError) as info:
        received.extend([chunk async for chunk in stream])
    assert info.value.model_id == MICRO
    assert info.value.__cause__ is not None
    assert [r.model_id for r in emulator.requests] == [MICRO]


def test_an_error_before_any_output_still_falls_back(emulator: BedrockEmulator):
    emulator.set_faults(stream_error="modelStreamErrorException", stream_error_models=[MICRO])
    chunks = list(_router().stream(PROMPT))
    routing = chunks[-1].response_metadata["routing"]
    assert routing["model_id"] == HAIKU
    assert routing["attempts"] == [
        {"model_id": MICRO, "tier": "simple", "error": "modelStreamErrorException"},
        {"model_id": HAIKU, "tier": "simple", "error": None},
    ]
    whole = list(RoutedChatBedrock(tiers=NOVA_TIERS, classifier=fixed("simple")).stream(PROMPT, model=HAIKU))
    assert "".join(c.text for c in chunks) == "".join(c.text for c in whole)
    assert [(r.model_id, r.billed) for r in emulator.requests] == [(MICRO, False), (HAIKU, True), (HAIKU, True)]


def test_a_validation_event_before_output_is_not_retried_on_another_model(emulator: BedrockEmulator):
    emulator.set_faults(stream_error="validationException", stream_error_models=[MICRO])
    with pytest.raises(ModelCallError) as info:
        list(_router().stream(PROMPT))
    assert not isinstance(info.value, StreamInterruptedError)
    assert info.value.model_id == MICRO
    assert [r.model_id for r in emulator.requests] == [MICRO]


def test_callbacks_and_stats_count_the_interrupted_stream(emulator: BedrockEmulator):
    emulator.set_faults(stream_error="modelStreamErrorException", stream_error_after=3, stream_error_models=[MICRO])
    recorder = _ErrorRecorder()
    with get_bedrock_stats_callback() as stats:
        _, error = _stream_until_error(_router(), config={"callbacks": [recorder]})
        list(_router().stream("What is 2 + 2?", model=HAIKU))
    assert recorder.errors == [error]
    total = stats.to_dict()["total"]
    assert (total["requests"], total["errors"], total["cache"]["misses"]) == (2, 1, 1)
    assert total["api_errors"] == {"modelStreamErrorException": 1}
    assert total["api_calls"] == 1
    assert stats.to_dict()["models"][MICRO]["api_errors"] == {"modelStreamErrorException": 1}


def test_a_model_interrupted_twice_rests_in_cooldown(emulator: BedrockEmulator):
    emulator.set_faults(stream_error="serviceUnavailableException", stream_error_after=1, stream_error_models=[MICRO])
    llm = _router()
    for _ in range(2):
        _stream_until_error(llm)
    chunks = list(llm.stream(PROMPT))
    assert chunks[-1].response_metadata["routing"]["attempts"] == [{"model_id": HAIKU, "tier": "simple", "error": None}]
