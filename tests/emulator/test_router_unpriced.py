"""A custom prompt router with a model of unknown price never takes it for the cheap one."""

from __future__ import annotations

import boto3

from langchain_bedrock_routing.catalog import PromptRouterSpec, get_catalog
from langchain_bedrock_routing.emulator import BedrockEmulator

from .conftest import user

UNPRICED = "qwen.qwen3-32b-v1:0"


def test_an_unpriced_model_is_not_the_cheap_one():
    assert not get_catalog().get(UNPRICED).prices.known
    custom = PromptRouterSpec(
        router_id="mixed-router",
        name="custom",
        models=(UNPRICED, "amazon.nova-micro-v1:0"),
        fallback_model=UNPRICED,
        response_quality_difference=0.0,
    )
    arn = "arn:aws:bedrock:us-east-1:123456789012:prompt-router/mixed-router"
    with BedrockEmulator(prompt_routers={arn: custom}, latency_scale=0.0) as emu:
        runtime = boto3.client("bedrock-runtime", region_name="us-east-1", endpoint_url=emu.endpoint_url)
        runtime.converse(modelId=arn, messages=user("What is 2 + 2?"))
        assert [r.invoked_model_id for r in emu.requests] == ["amazon.nova-micro-v1:0"]
