"""Every chat model id langchain-aws profiles, and every catalog model, answers Converse and ConverseStream."""

from __future__ import annotations

from typing import Any

import pytest

from langchain_bedrock_routing.catalog import get_catalog
from langchain_bedrock_routing.catalog.profiles import installed_profiles
from langchain_bedrock_routing.emulator import BedrockEmulator

from .conftest import user

PROFILE_IDS = sorted(mid for mid, raw in installed_profiles().items() if raw.get("text_outputs", True))
MODEL_IDS = sorted(set(PROFILE_IDS) | set(get_catalog().model_ids))


@pytest.mark.parametrize("model_id", MODEL_IDS)
def test_converse_answers(emulator: BedrockEmulator, runtime: Any, model_id: str) -> None:
    reply = runtime.converse(modelId=model_id, messages=user("What is the capital of France?"))
    assert reply["output"]["message"]["content"][0]["text"]
    assert reply["stopReason"] == "end_turn"
    assert reply["usage"]["outputTokens"] > 0
    assert emulator.requests[-1].invoked_model_id == get_catalog().get(model_id).model_id


@pytest.mark.parametrize("model_id", MODEL_IDS)
def test_converse_stream_answers(emulator: BedrockEmulator, runtime: Any, model_id: str) -> None:
    events = list(runtime.converse_stream(modelId=model_id, messages=user("Name three primary colours."))["stream"])
    text = "".join(e["contentBlockDelta"]["delta"].get("text", "") for e in events if "contentBlockDelta" in e)
    assert text
    assert events[-1]["metadata"]["usage"]["outputTokens"] > 0
