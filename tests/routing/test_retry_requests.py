"""``max_retries`` counts botocore retries of one HTTP request: a model try is ``max_retries + 1`` requests.

The README states it, and that the stats' ``api_errors`` count failed model tries (router attempts), while
the emulator's log (like Bedrock's quotas) sees every HTTP request; these tests hold both figures to it.
"""

from __future__ import annotations

import pytest

from langchain_bedrock_routing import RoutedChatBedrock, get_bedrock_stats_callback
from langchain_bedrock_routing.emulator import BedrockEmulator
from langchain_bedrock_routing.errors import AllModelsFailedError

TIERS = {"simple": ["amazon.nova-micro-v1:0"], "medium": ["amazon.nova-lite-v1:0"], "complex": ["amazon.nova-pro-v1:0"]}


def _router(emulator: BedrockEmulator, max_retries: int) -> RoutedChatBedrock:
    return RoutedChatBedrock(
        tiers=TIERS, endpoint_url=emulator.endpoint_url, region_name="us-east-1", max_retries=max_retries
    )


@pytest.mark.parametrize("max_retries", [0, 1, 2])
def test_each_failed_model_try_is_max_retries_plus_one_requests(emulator: BedrockEmulator, max_retries: int):
    emulator.set_faults(fail_models=["amazon.nova-micro-v1:0", "amazon.nova-lite-v1:0"])
    with get_bedrock_stats_callback() as stats:
        answer = _router(emulator, max_retries).invoke("What is the capital of Peru?")
    statuses = [r.status for r in emulator.requests]
    assert statuses == [503] * 2 * (max_retries + 1) + [200]
    assert [a["error"] is not None for a in answer.response_metadata["routing"]["attempts"]] == [True, True, False]
    api_errors = stats.to_dict()["total"]["api_errors"]
    assert api_errors == {"ServiceUnavailableException": 2}  # failed tries, not failed HTTP requests
    assert sum(api_errors.values()) * (max_retries + 1) == statuses.count(503)


def test_with_no_retries_a_throttled_model_hands_over_after_one_request(emulator: BedrockEmulator):
    emulator.set_faults(throttle_rate=1.0)
    with get_bedrock_stats_callback() as stats, pytest.raises(AllModelsFailedError) as failed:
        _router(emulator, 0).invoke("What is the capital of Peru?")
    assert len(failed.value.attempts) == 3
    assert [r.status for r in emulator.requests] == [429, 429, 429]
    assert stats.to_dict()["total"]["api_errors"] == {"ThrottlingException": 3}
