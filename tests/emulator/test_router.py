"""Prompt routers: an ARN picks the cheap or strong model by prompt complexity and reports it."""

from __future__ import annotations

from langchain_aws import ChatBedrockConverse

from langchain_bedrock_routing.catalog import PromptRouterSpec, base_model_id
from langchain_bedrock_routing.emulator import BedrockEmulator

from .conftest import user

ROUTER = "arn:aws:bedrock:us-east-1:123456789012:default-prompt-router/anthropic.claude:1"
HARD = (
    "Analyze and compare the trade-offs of microservices versus a monolith for a payments platform, "
    "then design a step-by-step migration plan and justify each decision. Why could each step fail?"
)


def test_router_sends_simple_prompts_to_the_cheap_model_and_reports_it(emulator: BedrockEmulator):
    chat = ChatBedrockConverse(model=ROUTER, region_name="us-east-1", provider="anthropic")
    easy, hard = chat.invoke("hi"), chat.invoke(HARD)
    invoked = [m.response_metadata["trace"]["promptRouter"]["invokedModelId"] for m in (easy, hard)]
    assert [base_model_id(i) for i in invoked] == [
        "anthropic.claude-3-haiku-20240307-v1:0",
        "anthropic.claude-3-5-sonnet-20240620-v1:0",
    ]
    assert invoked[0].startswith("arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.")
    assert [(r.model_id, r.invoked_model_id) for r in emulator.requests] == [
        (ROUTER, "anthropic.claude-3-haiku-20240307-v1:0"),
        (ROUTER, "anthropic.claude-3-5-sonnet-20240620-v1:0"),
    ]


def test_stream_metadata_event_carries_the_router_trace(emulator: BedrockEmulator, runtime):
    events = list(runtime.converse_stream(modelId=ROUTER, messages=user(HARD))["stream"])
    metadata = events[-1]["metadata"]
    assert (
        base_model_id(metadata["trace"]["promptRouter"]["invokedModelId"])
        == "anthropic.claude-3-5-sonnet-20240620-v1:0"
    )
    assert metadata["usage"]["outputTokens"] > 0


def test_custom_router_configured_on_the_emulator():
    custom = PromptRouterSpec(
        router_id="nova-router",
        name="custom",
        models=("amazon.nova-micro-v1:0", "amazon.nova-pro-v1:0"),
        fallback_model="amazon.nova-pro-v1:0",
        response_quality_difference=0.0,
    )
    arn = "arn:aws:bedrock:eu-west-1:123456789012:prompt-router/nova-router"
    with BedrockEmulator(prompt_routers={arn: custom}) as emu:
        chat = ChatBedrockConverse(model=arn, region_name="us-east-1", endpoint_url=emu.endpoint_url, provider="amazon")
        easy = chat.invoke("What is 2 + 2?")
        assert easy.text == "2 + 2 = 4."
        assert easy.response_metadata["trace"]["promptRouter"]["invokedModelId"] == (
            "arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.amazon.nova-micro-v1:0"
        )
        chat.invoke(HARD)
        assert [r.invoked_model_id for r in emu.requests] == ["amazon.nova-micro-v1:0", "amazon.nova-pro-v1:0"]
