"""Content blocks as ChatBedrockConverse accepts them: Bedrock-native blocks work, remote URLs are refused up front."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest
from langchain_core.messages import HumanMessage

from langchain_bedrock_routing import RoutedChatBedrock
from langchain_bedrock_routing.emulator import BedrockEmulator
from langchain_bedrock_routing.errors import InvalidRequestError

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
Router = Callable[..., RoutedChatBedrock]


def test_a_bedrock_native_text_block_is_a_prompt(router: Router, emulator: BedrockEmulator) -> None:
    reply = router().invoke([HumanMessage(content=[{"text": "What is 7 * 6?"}])])
    assert reply.text == "7 * 6 = 42."
    assert len(emulator.requests) == 1


def test_native_image_and_document_blocks_reach_a_model_that_reads_them(router: Router) -> None:
    image = {"image": {"format": "png", "source": {"bytes": PNG}}}
    document = {"document": {"format": "txt", "name": "note", "source": {"bytes": b"The launch is on Friday."}}}
    reply = router().invoke([HumanMessage(content=[{"text": "When is the launch?"}, image, document])])
    routing = reply.response_metadata["routing"]
    assert routing["model_id"] != "amazon.nova-micro-v1:0"  # Micro reads text only
    assert "Friday" in reply.text


def test_the_classifier_reads_native_text(router: Router) -> None:
    hard = "Design and prove correct a lock-free concurrent hash map; analyse its memory ordering trade-offs. " * 3
    typed, native = router().classify([HumanMessage(hard)]), router().classify([HumanMessage([{"text": hard}])])
    assert (native.tier, native.score) == (typed.tier, typed.score)


@pytest.mark.parametrize(
    "block",
    [
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}},
        {"type": "image", "url": "https://example.com/cat.png"},
        {"type": "image", "source_type": "url", "url": "http://example.com/cat.png"},
        {"type": "file", "url": "https://example.com/report.pdf"},
    ],
)
def test_a_remote_url_is_refused_before_any_call(
    router: Router, refused: Callable[..., Any], block: dict[str, Any]
) -> None:
    model = router()
    message = [HumanMessage(content=[{"type": "text", "text": "What is in this?"}, block])]
    refused(InvalidRequestError, "only inline bytes or an S3 location", lambda: model.invoke(message))
    refused(InvalidRequestError, "only inline bytes or an S3 location", lambda: list(model.stream(message)))


def test_a_base64_data_url_is_still_accepted(router: Router) -> None:
    url = "data:image/png;base64," + base64.b64encode(PNG).decode()
    message = [
        HumanMessage(
            content=[{"type": "text", "text": "Describe it."}, {"type": "image_url", "image_url": {"url": url}}]
        )
    ]
    assert router().invoke(message).text
