"""Offline Amazon Bedrock Runtime emulator over HTTP: Converse, ConverseStream, InvokeModel, CountTokens.

Unmodified boto3 / langchain-aws reach it through ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME`` or ``endpoint_url``.
"""

from langchain_bedrock_routing.emulator.app import BedrockEmulator
from langchain_bedrock_routing.emulator.errors import BedrockError
from langchain_bedrock_routing.emulator.requestlog import RequestRecord
from langchain_bedrock_routing.emulator.world import generated_world

__all__ = ["BedrockEmulator", "BedrockError", "RequestRecord", "generated_world"]
