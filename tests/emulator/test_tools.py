"""Tool use: bind_tools round trip, forced tool choice, with_structured_output (pydantic)."""

from __future__ import annotations

from typing import Literal

from langchain_aws import ChatBedrockConverse
from langchain_core.messages import HumanMessage
from langchain_core.tools import tool
from pydantic import BaseModel, Field

from langchain_bedrock_routing.emulator import BedrockEmulator

from .conftest import user

SONNET = "us.anthropic.claude-3-5-sonnet-20240620-v1:0"


@tool
def get_weather(location: str, unit: str = "celsius") -> str:
    """Get the current weather for a city."""
    return f"Sunny and 22 degrees {unit} in {location}"


@tool
def convert_currency(amount: float, currency: str) -> str:
    """Convert an amount of money to euros."""
    return f"{amount} {currency} is {amount * 0.9:.2f} EUR"


class Address(BaseModel):
    city: str
    zip_code: str | None = None


class Person(BaseModel):
    """A person described in the text."""

    name: str = Field(description="full name")
    age: int = Field(ge=0, le=130)
    hobbies: list[str]
    mood: Literal["happy", "sad"]
    address: Address


def test_tool_call_round_trip(emulator: BedrockEmulator):
    chat = ChatBedrockConverse(model=SONNET, region_name="us-east-1").bind_tools([get_weather, convert_currency])
    messages = [HumanMessage("What's the weather in Paris today?")]
    ai = chat.invoke(messages)
    (call,) = ai.tool_calls
    assert call["name"] == "get_weather"
    assert call["args"] == {"location": "Paris", "unit": "celsius"}
    assert ai.response_metadata["stopReason"] == "tool_use"
    messages += [ai, get_weather.invoke(call)]
    final = chat.invoke(messages)
    assert not final.tool_calls
    assert final.text == "Based on the get_weather result, Sunny and 22 degrees celsius in Paris."
    assert [r.status for r in emulator.requests] == [200, 200]


def test_streamed_tool_call_has_the_same_arguments(emulator: BedrockEmulator):
    chat = ChatBedrockConverse(model=SONNET, region_name="us-east-1").bind_tools([convert_currency])
    chunks = list(chat.stream("Please convert 120 dollars to euros"))
    total = chunks[0]
    for chunk in chunks[1:]:
        total = total + chunk
    assert [(c["name"], c["args"]) for c in total.tool_calls] == [
        ("convert_currency", {"amount": 120.0, "currency": "Please convert 120 dollars to euros"})
    ]


def test_with_structured_output_takes_values_from_the_prompt(emulator: BedrockEmulator):
    chat = ChatBedrockConverse(model=SONNET, region_name="us-east-1")
    person = chat.with_structured_output(Person).invoke(
        "Alice Smith is 34 years old, lives in Berlin and enjoys hiking, cooking and chess. She is sad."
    )
    assert person == Person(
        name="Alice Smith", age=34, hobbies=["hiking", "cooking", "chess"], mood="sad", address=Address(city="Berlin")
    )


def test_structured_output_is_valid_even_without_facts(emulator: BedrockEmulator):
    chat = ChatBedrockConverse(model="amazon.nova-pro-v1:0", region_name="us-east-1")
    person = chat.with_structured_output(Person).invoke("nothing useful here")
    assert isinstance(person, Person)
    assert 0 <= person.age <= 130


def test_required_tool_choice_forces_the_named_tool(emulator: BedrockEmulator, runtime):
    tools = [
        {
            "toolSpec": {
                "name": t.name,
                "description": t.description,
                "inputSchema": {"json": t.args_schema.model_json_schema()},
            }
        }
        for t in (get_weather, convert_currency)
    ]
    reply = runtime.converse(
        modelId=SONNET,
        messages=user("hello there"),
        toolConfig={"tools": tools, "toolChoice": {"tool": {"name": "convert_currency"}}},
    )
    (block,) = reply["output"]["message"]["content"]
    assert block["toolUse"]["name"] == "convert_currency"
    assert set(block["toolUse"]["input"]) == {"amount", "currency"}
    assert reply["stopReason"] == "tool_use"


def test_without_a_matching_tool_the_model_answers_in_text(emulator: BedrockEmulator):
    chat = ChatBedrockConverse(model=SONNET, region_name="us-east-1").bind_tools([get_weather])
    ai = chat.invoke("What is 6 * 7?")
    assert ai.tool_calls == []
    assert ai.text == "6 * 7 = 42."
