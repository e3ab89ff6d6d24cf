"""CountTokens through real boto3: Claude models are counted as Converse bills them, other models refused."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from langchain_bedrock_routing.emulator import BedrockEmulator

CLAUDE = "global.anthropic.claude-haiku-4-5-20251001-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "Summarise the causes of the French Revolution in three points."}]}]
SYSTEM = [{"text": "You are a careful historian."}]


def test_count_tokens_matches_converse_billing(runtime: Any, emulator: BedrockEmulator) -> None:
    counted = runtime.count_tokens(modelId=CLAUDE, input={"converse": {"messages": MESSAGES, "system": SYSTEM}})
    billed = runtime.converse(modelId=CLAUDE, messages=MESSAGES, system=SYSTEM)["usage"]["inputTokens"]
    assert counted["inputTokens"] == billed > 0
    record = emulator.requests[0]
    assert (record.operation, record.status, record.billed) == ("CountTokens", 200, False)


def test_count_tokens_of_an_invoke_model_body(runtime: Any) -> None:
    body = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 100, "messages": MESSAGES}
    counted = runtime.count_tokens(modelId=CLAUDE, input={"invokeModel": {"body": json.dumps(body).encode()}})
    assert counted["inputTokens"] > 0


def test_a_model_without_count_tokens_gets_bedrocks_validation_error(runtime: Any) -> None:
    with pytest.raises(ClientError, match="doesn't support counting tokens") as info:
        runtime.count_tokens(modelId="amazon.nova-lite-v1:0", input={"converse": {"messages": MESSAGES}})
    assert info.value.response["Error"]["Code"] == "ValidationException"
