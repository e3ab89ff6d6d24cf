"""Helpers for the emulator tests: a plain boto3 bedrock-runtime client on the emulator."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.config import Config

from langchain_bedrock_routing.emulator import BedrockEmulator


@pytest.fixture
def runtime(emulator: BedrockEmulator) -> Any:
    """A boto3 ``bedrock-runtime`` client on the emulator with one attempt (no retries)."""
    return boto3.client(
        "bedrock-runtime",
        region_name="us-east-1",
        endpoint_url=emulator.endpoint_url,
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}),
    )


def user(text: str) -> list[dict[str, Any]]:
    """A one-turn Converse ``messages`` list."""
    return [{"role": "user", "content": [{"text": text}]}]
