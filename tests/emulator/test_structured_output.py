"""Native structured output (Converse ``outputConfig`` JSON schema) through real langchain-aws."""

from __future__ import annotations

from langchain_aws import ChatBedrockConverse
from pydantic import BaseModel

from langchain_bedrock_routing.emulator import BedrockEmulator


class Flight(BaseModel):
    origin: str
    destination: str
    passengers: int


def test_json_schema_output_is_a_valid_instance(emulator: BedrockEmulator) -> None:
    model = ChatBedrockConverse(model="global.anthropic.claude-haiku-4-5-20251001-v1:0", **emulator.client_kwargs())
    flight = model.with_structured_output(Flight, method="json_schema").invoke(
        "Book a flight from Paris to Lisbon for 3 passengers."
    )
    assert isinstance(flight, Flight)
    assert flight.passengers == 3
    assert flight.origin == "Paris"
