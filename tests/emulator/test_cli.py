"""The CLI serves, and plain boto3 reaches it through AWS_ENDPOINT_URL_BEDROCK_RUNTIME."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import boto3
import pytest

from langchain_bedrock_routing.testing.ports import free_port

from .conftest import user


@pytest.fixture
def cli_url() -> Iterator[str]:
    port = free_port()
    args = ["--port", str(port), "--latency-scale", "0", "--fail-model", "amazon.nova-pro-v1:0", "--seed", "3"]
    process = subprocess.Popen(
        [sys.executable, "-m", "langchain_bedrock_routing.emulator", *args],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.strip() == f"Bedrock emulator listening on http://127.0.0.1:{port}"
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_boto3_converse_reaches_the_cli_through_the_environment(cli_url: str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", cli_url)
    client = boto3.client("bedrock-runtime", region_name="us-east-1")
    reply = client.converse(modelId="us.amazon.nova-lite-v1:0", messages=user("What is 7 * 6?"))
    assert reply["output"]["message"]["content"] == [{"text": "7 * 6 = 42."}]
    with pytest.raises(client.exceptions.ServiceUnavailableException):
        client.converse(modelId="amazon.nova-pro-v1:0", messages=user("hi"))


def test_cli_rejects_a_bad_rate():
    done = subprocess.run(
        [sys.executable, "-m", "langchain_bedrock_routing.emulator", "--port", "0", "--throttle-rate", "2"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "throttle_rate must be a probability in [0, 1], got 2.0" in done.stderr
