"""Which errors fall back, and the per-model cooldown."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

from langchain_bedrock_routing.routing.fallback import Cooldown, retryable_reason


def client_error(code, status):
    return ClientError({"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}}, "Op")


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (client_error("ThrottlingException", 429), "ThrottlingException"),
        (client_error("ServiceUnavailableException", 503), "ServiceUnavailableException"),
        (client_error("ModelNotReadyException", 429), "ModelNotReadyException"),
        (client_error("modelStreamErrorException", 424), "modelStreamErrorException"),
        (client_error("", 502), "HTTP 502"),
        (ReadTimeoutError(endpoint_url="http://x"), "ReadTimeoutError"),
        (EndpointConnectionError(endpoint_url="http://x"), "EndpointConnectionError"),
        (ConnectionError("stream ended without messageStop"), "ConnectionError"),
        (ConnectionResetError(), "ConnectionResetError"),
    ],
)
def test_retryable(error, reason):
    assert retryable_reason(error) == reason


@pytest.mark.parametrize(
    "error",
    [client_error("ValidationException", 400), client_error("AccessDeniedException", 403), ValueError("x")],
)
def test_not_retryable(error):
    assert retryable_reason(error) is None


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_cooldown_after_repeated_failures_and_recovery():
    clock = Clock()
    cooldown = Cooldown(threshold=2, seconds=30, clock=clock)
    cooldown.failed("a")
    assert not cooldown.cooling("a")
    cooldown.failed("a")
    assert cooldown.cooling("a")
    assert cooldown.order(["a", "b", "c"], lambda k: (k,)) == ["b", "c", "a"]
    clock.now += 31
    assert not cooldown.cooling("a")
    assert cooldown.order(["a", "b"], lambda k: (k,)) == ["a", "b"]


def test_success_resets_the_failure_count():
    cooldown = Cooldown(threshold=2, seconds=30, clock=Clock())
    cooldown.failed("a")
    cooldown.succeeded("a")
    cooldown.failed("a")
    assert not cooldown.cooling("a")


def test_cooldown_rejects_bad_settings():
    with pytest.raises(ValueError, match="threshold"):
        Cooldown(threshold=0)
