"""Fallbacks against the emulator's injected faults: next candidate, next tier, cooldown, no double billing."""

from __future__ import annotations

import pytest

from langchain_bedrock_routing.errors import AllModelsFailedError, ModelCallError
from langchain_bedrock_routing.routing.chat_model import RoutedChatBedrock

from .conftest import NOVA_TIERS, fixed

MICRO, HAIKU, LITE = "amazon.nova-micro-v1:0", "anthropic.claude-3-haiku-20240307-v1:0", "amazon.nova-lite-v1:0"


def routed(**kwargs):
    return RoutedChatBedrock(**{"tiers": NOVA_TIERS, "classifier": fixed("simple"), **kwargs})


def billed(emulator):
    return [r for r in emulator.requests if r.billed]


def test_unavailable_model_falls_back_within_the_tier(emulator):
    emulator.set_faults(fail_models=[MICRO])
    reply = routed().invoke("hello")
    routing = reply.response_metadata["routing"]
    assert routing["model_id"] == HAIKU
    assert routing["attempts"] == [
        {"model_id": MICRO, "tier": "simple", "error": "ServiceUnavailableException"},
        {"model_id": HAIKU, "tier": "simple", "error": None},
    ]
    assert [r.model_id for r in billed(emulator)] == [HAIKU]
    assert {r.error_code for r in emulator.requests if not r.billed} == {"ServiceUnavailableException"}


def test_not_ready_model_falls_back(emulator):
    emulator.set_faults(not_ready_models=[MICRO])
    reply = routed().invoke("hello")
    assert reply.response_metadata["routing"]["attempts"][0]["error"] == "ModelNotReadyException"
    assert len(billed(emulator)) == 1


def test_failed_tier_escalates_to_the_next_tier(emulator):
    emulator.set_faults(fail_models=[MICRO, HAIKU])
    reply = routed().invoke("hello")
    routing = reply.response_metadata["routing"]
    assert (routing["tier"], routing["model_id"], routing["requested_tier"]) == ("medium", LITE, "simple")
    assert [a["model_id"] for a in routing["attempts"]] == [MICRO, HAIKU, LITE]
    assert [r.model_id for r in billed(emulator)] == [LITE]


def test_escalation_off_raises_after_the_tier(emulator):
    emulator.set_faults(fail_models=[MICRO, HAIKU])
    with pytest.raises(AllModelsFailedError) as info:
        routed(escalate_on_failure=False).invoke("hello")
    assert [a["model_id"] for a in info.value.attempts] == [MICRO, HAIKU]
    assert billed(emulator) == []


def test_throttling_everywhere_raises_with_every_attempt_and_bills_nothing(emulator):
    emulator.set_faults(throttle_rate=1.0)
    with pytest.raises(AllModelsFailedError, match="ThrottlingException"):
        routed().invoke("hello")
    assert billed(emulator) == []
    assert {r.error_code for r in emulator.requests} == {"ThrottlingException"}


def test_botocore_retries_are_low_so_fallback_is_quick(emulator):
    emulator.set_faults(fail_models=[MICRO])
    routed().invoke("hello")
    to_micro = [r for r in emulator.requests if r.model_id == MICRO]
    assert len(to_micro) == 2  # the first call and max_retries=1 botocore retry
    emulator.clear_requests()
    routed(max_retries=0).invoke("hello")
    assert len([r for r in emulator.requests if r.model_id == MICRO]) == 1


def test_cooldown_stops_retrying_a_known_down_model(emulator):
    emulator.set_faults(fail_models=[MICRO])
    model = routed(max_retries=0, cooldown_failures=2, cooldown_seconds=3600)
    model.invoke("one")
    model.invoke("two")
    emulator.clear_requests()
    reply = model.invoke("three")
    assert [r.model_id for r in emulator.requests] == [HAIKU]
    assert reply.response_metadata["routing"]["attempts"] == [{"model_id": HAIKU, "tier": "simple", "error": None}]


def test_resting_model_is_still_tried_when_everything_else_fails(emulator):
    emulator.set_faults(fail_models=[MICRO])
    model = routed(max_retries=0, cooldown_failures=1, cooldown_seconds=3600, escalate_on_failure=False)
    model.invoke("one")
    emulator.set_faults(fail_models=[HAIKU])
    reply = model.invoke("two")
    assert reply.response_metadata["routing"]["model_id"] == MICRO
    assert [a["model_id"] for a in reply.response_metadata["routing"]["attempts"]] == [HAIKU, MICRO]


def test_non_retryable_error_raises_at_once_naming_the_model(emulator):
    model = routed(max_tokens=9000, tiers={"simple": [HAIKU, MICRO]})
    with pytest.raises(ModelCallError, match=HAIKU) as info:
        model.invoke("hello")
    assert "ValidationException" in str(info.value.__cause__)
    assert [r.model_id for r in emulator.requests] == [HAIKU]
    assert billed(emulator) == []


def test_stream_falls_back_before_the_first_chunk(emulator):
    emulator.set_faults(fail_models=[MICRO])
    chunks = list(routed().stream("hello"))
    routing = chunks[-1].response_metadata["routing"]
    assert routing["model_id"] == HAIKU
    assert routing["attempts"][0]["error"] == "ServiceUnavailableException"
    assert [r.model_id for r in billed(emulator)] == [HAIKU]
