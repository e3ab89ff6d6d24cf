"""LangChain-native behaviour of the router: token counting and a model profile every tier satisfies."""

from __future__ import annotations

from langchain.agents import create_agent
from langchain_core.messages import HumanMessage, SystemMessage
from langchain_core.tools import tool
from pydantic import BaseModel

from langchain_bedrock_routing import RoutedChatBedrock
from langchain_bedrock_routing.catalog import get_catalog
from langchain_bedrock_routing.emulator import BedrockEmulator
from langchain_bedrock_routing.routing.tokens import estimate_input_tokens

CLAUDE = {
    "simple": ["global.anthropic.claude-haiku-4-5-20251001-v1:0"],
    "medium": ["global.anthropic.claude-sonnet-4-6"],
    "complex": ["global.anthropic.claude-opus-4-8"],
}
NOVA = {"simple": ["amazon.nova-micro-v1:0"], "medium": ["amazon.nova-lite-v1:0"], "complex": ["amazon.nova-pro-v1:0"]}
MESSAGES = [SystemMessage("You are terse."), HumanMessage("How many moons does Mars have, and what are they called?")]


class Weather(BaseModel):
    city: str
    temperature_c: float


@tool
def get_weather(city: str) -> str:
    """Current weather of a city."""
    return f"{city}: 21 C, sunny"


def test_token_count_comes_from_bedrock_count_tokens(emulator: BedrockEmulator) -> None:
    router = RoutedChatBedrock(tiers=CLAUDE, **emulator.client_kwargs())
    counted = router.get_num_tokens_from_messages(MESSAGES)
    assert [(r.operation, r.model_id) for r in emulator.requests] == [("CountTokens", CLAUDE["medium"][0])]
    billed = router.invoke(MESSAGES, model=CLAUDE["medium"][0]).usage_metadata
    assert billed is not None
    assert counted == billed["input_tokens"]
    assert router.get_num_tokens("Hello there") > 0
    assert router.get_num_tokens("") == 0


def test_token_count_falls_back_to_the_catalog_estimate_without_count_tokens(emulator: BedrockEmulator) -> None:
    router = RoutedChatBedrock(tiers=NOVA, **emulator.client_kwargs())
    tools = [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}]
    assert router.get_num_tokens_from_messages(MESSAGES, tools=tools) == estimate_input_tokens(MESSAGES, tools) > 0
    assert emulator.requests == []


def test_profile_is_what_every_tier_can_do() -> None:
    catalog = get_catalog()
    claude = RoutedChatBedrock(tiers=CLAUDE, region_name="us-east-1").profile
    assert claude is not None
    assert claude["structured_output"]
    assert claude["tool_calling"]
    assert claude["image_inputs"]
    assert claude["max_input_tokens"] == min(catalog.get(m[0]).max_input_tokens for m in CLAUDE.values())
    nova = RoutedChatBedrock(tiers=NOVA, region_name="us-east-1").profile
    assert nova is not None
    assert nova["tool_calling"]
    assert not nova.get("structured_output")
    assert nova["image_inputs"] is False  # Nova Micro reads text only
    mixed = RoutedChatBedrock(tiers={**CLAUDE, "simple": NOVA["simple"]}, region_name="us-east-1").profile
    assert mixed is not None
    assert not mixed.get("structured_output")


def test_create_agent_with_a_response_format_finishes(emulator: BedrockEmulator) -> None:
    """``create_agent(model, tools, response_format=Model)`` reads ``.profile``: with native structured output it
    calls the tool, then answers in the schema (without a profile it looped on tool-based output)."""
    router = RoutedChatBedrock(tiers=CLAUDE, **emulator.client_kwargs())
    agent = create_agent(router, [get_weather], response_format=Weather)
    result = agent.invoke({"messages": [HumanMessage("What's the weather in Paris?")]}, {"recursion_limit": 20})
    assert result["structured_response"] == Weather(city="Paris", temperature_c=21.0)
    assert len(emulator.requests) == 2


def test_create_agent_on_nova_tiers_finishes_with_tool_based_output(emulator: BedrockEmulator) -> None:
    """Nova has no native structured output, so ``create_agent`` forces a tool (``tool_choice="any"``) with the
    schema as one more tool: holding the weather result, the model calls the schema tool (it looped on the weather
    tool until the graph's recursion limit)."""
    for router in (RoutedChatBedrock(tiers=NOVA, **emulator.client_kwargs()),
                   RoutedChatBedrock(preset="nova", **emulator.client_kwargs())):  # fmt: skip
        emulator.clear_requests()
        agent = create_agent(router, [get_weather], response_format=Weather)
        result = agent.invoke({"messages": [HumanMessage("What's the weather in Paris?")]}, {"recursion_limit": 20})
        assert result["structured_response"] == Weather(city="Paris", temperature_c=21.0)
        assert [m.type for m in result["messages"]] == ["human", "ai", "tool", "ai", "tool"]
        assert len(emulator.requests) == 2
        assert all(r.invoked_model_id is not None and "nova" in r.invoked_model_id for r in emulator.requests)
