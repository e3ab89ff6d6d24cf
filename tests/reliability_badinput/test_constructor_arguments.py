"""Constructor keywords are checked: a typo, ``model=`` or an unknown region is refused at construction.

Pydantic drops a keyword it does not know, so ``temprature=0`` or ``model="amazon.nova-pro-v1:0"`` used to be
ignored and the call went to the default tier; ``region_name="us-moon-1"`` was accepted and failed later as a
credentials error. Each is now a ``ValueError`` naming the valid choices, raised before any call.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from langchain_core.runnables import ConfigurableField
from pydantic import ValidationError

from langchain_bedrock_routing import RoutedChatBedrock
from langchain_bedrock_routing.emulator import BedrockEmulator
from langchain_bedrock_routing.routing.arguments import known_regions

Refused = Callable[..., pytest.ExceptionInfo[BaseException]]
Router = Callable[..., RoutedChatBedrock]


@pytest.mark.parametrize(
    ("keyword", "suggestion"),
    [("temprature", "temperature"), ("presets", "preset"), ("max_token", "max_tokens"), ("endpoint", "endpoint_url")],
)
def test_a_near_miss_keyword_is_refused_with_a_suggestion(
    keyword: str, suggestion: str, router: Router, refused: Refused
) -> None:
    info = refused(
        ValidationError, f"unknown argument '{keyword}'.*did you mean {suggestion}\\?", lambda: router(**{keyword: 0})
    )
    assert "valid arguments: " in str(info.value)
    assert "tiers" in str(info.value)


def test_an_unknown_keyword_without_a_near_miss_lists_the_valid_ones(router: Router, refused: Refused) -> None:
    info = refused(
        ValidationError,
        "unknown argument 'colour' to RoutedChatBedrock; valid arguments: ",
        lambda: router(colour="red"),
    )
    assert "did you mean" not in str(info.value)


@pytest.mark.parametrize("keyword", ["model", "model_id", "model_name"])
def test_a_model_keyword_points_to_tiers_and_the_per_call_model(keyword: str, router: Router, refused: Refused) -> None:
    info = refused(
        ValidationError, f"takes no {keyword}= argument", lambda: router(**{keyword: "amazon.nova-pro-v1:0"})
    )
    assert "tiers=" in str(info.value)
    assert "model='amazon.nova-pro-v1:0'" in str(info.value)


def test_a_chat_bedrock_converse_setting_points_to_delegate_kwargs(router: Router, refused: Refused) -> None:
    refused(
        ValidationError,
        "'guardrails' is a ChatBedrockConverse setting.*delegate_kwargs=",
        lambda: router(guardrails={"guardrailIdentifier": "g", "guardrailVersion": "1"}),
    )


def test_aliases_and_langchain_fields_are_accepted(emulator: BedrockEmulator) -> None:
    llm = RoutedChatBedrock(
        base_url=emulator.endpoint_url, region_name="us-east-1", stop_sequences=["END"], api_key=None, tags=["t"]
    )
    assert (llm.endpoint_url, llm.stop, llm.tags) == (emulator.endpoint_url, ["END"], ["t"])


def test_langchain_construction_paths_still_work(router: Router, emulator: BedrockEmulator) -> None:
    llm = router(temperature=0.2)
    assert type(llm)(**llm.model_dump()).temperature == 0.2
    assert type(llm).model_validate(llm.model_dump(by_alias=True)).endpoint_url == emulator.endpoint_url
    configurable = llm.configurable_fields(temperature=ConfigurableField(id="temperature"))
    reply = configurable.with_config(configurable={"temperature": 0.5}).invoke("hi")
    assert reply.response_metadata["routing"]["model_id"]
    assert llm.bind(max_tokens=16).invoke("hi").content


@pytest.mark.parametrize(("region", "suggestion"), [("us-moon-1", None), ("us-east1", "us-east-1")])
def test_an_unknown_region_is_refused_at_construction(
    region: str, suggestion: str | None, emulator: BedrockEmulator, refused: Refused
) -> None:
    info = refused(
        ValidationError,
        f"unknown AWS region '{region}'",
        lambda: RoutedChatBedrock(endpoint_url=emulator.endpoint_url, region_name=region),
    )
    message = str(info.value)
    assert "known regions: " in message
    assert "us-east-1, us-east-2" in message
    assert ("did you mean" not in message) if suggestion is None else (f"did you mean {suggestion}?" in message)


@pytest.mark.parametrize("region", ["us-east-1", "eu-central-2", "ap-southeast-2", "us-gov-west-1", "cn-north-1"])
def test_every_region_botocore_knows_is_accepted(region: str) -> None:
    assert region in known_regions()
    assert RoutedChatBedrock(region_name=region).region_name == region


def test_an_unknown_pinned_model_is_named_as_pinned_not_as_in_a_tier(router: Router, refused: Refused) -> None:
    info = refused(
        ValueError,
        "unknown pinned model 'amazon.nova-pro-v9'",
        lambda: router().invoke("hi", model="amazon.nova-pro-v9"),
    )
    assert "tier" not in str(info.value).split(";")[0]


def test_a_pinned_model_lacking_a_capability_is_named_as_pinned(router: Router, refused: Refused) -> None:
    image = {"type": "image", "base64": "iVBORw0KGgo=", "mime_type": "image/png"}
    message = [("human", [{"type": "text", "text": "what is this?"}, image])]
    info = refused(
        ValueError,
        "needs image input but the pinned model 'amazon.nova-micro-v1:0'",
        lambda: router().invoke(message, model="amazon.nova-micro-v1:0"),
    )
    assert "`tiers`" not in str(info.value)
