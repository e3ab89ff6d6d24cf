"""The langchain-tests standard suites against RoutedChatBedrock pointed at the emulator."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_tests.integration_tests import ChatModelIntegrationTests
from langchain_tests.unit_tests import ChatModelUnitTests

from langchain_bedrock_routing.emulator import BedrockEmulator
from langchain_bedrock_routing.routing.chat_model import RoutedChatBedrock


class TestRoutedChatBedrockUnit(ChatModelUnitTests):
    @property
    def chat_model_class(self) -> type[RoutedChatBedrock]:
        return RoutedChatBedrock

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return {"AWS_BEARER_TOKEN_BEDROCK": "token-from-env"}, {}, {"bedrock_api_key": "token-from-env"}


class TestRoutedChatBedrockIntegration(ChatModelIntegrationTests):
    @pytest.fixture(autouse=True)
    def _emulator(self, emulator: BedrockEmulator) -> BedrockEmulator:
        """Every test talks to the emulator (it sets AWS_ENDPOINT_URL_BEDROCK_RUNTIME)."""
        return emulator

    @property
    def chat_model_class(self) -> type[RoutedChatBedrock]:
        return RoutedChatBedrock

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"preset": "claude", "max_tokens": 256}

    @property
    def supports_anthropic_inputs(self) -> bool:
        return True

    @property
    def supports_json_mode(self) -> bool:
        return True

    @property
    def model_override_value(self) -> str:
        return "amazon.nova-lite-v1:0"
