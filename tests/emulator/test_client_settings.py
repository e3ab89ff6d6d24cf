"""``BedrockEmulator.client_kwargs()`` / ``environ()`` are all a client needs: no AWS variable, file or role."""

from __future__ import annotations

import subprocess
import sys

import boto3
import pytest
from langchain_aws import BedrockEmbeddings, ChatBedrockConverse

from langchain_bedrock_routing import RoutedChatBedrock
from langchain_bedrock_routing.emulator import BedrockEmulator


@pytest.fixture
def no_aws_environment(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """Remove the dummy credentials and region the shared fixture sets, and any AWS config file."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))


@pytest.mark.usefixtures("no_aws_environment")
def test_client_kwargs_serve_every_client_kind() -> None:
    with BedrockEmulator() as emulator:
        settings = emulator.client_kwargs()
        RoutedChatBedrock(preset="nova", **settings).invoke("hello")
        ChatBedrockConverse(model="amazon.nova-lite-v1:0", **settings).invoke("hello")
        BedrockEmbeddings(model_id="amazon.titan-embed-text-v2:0", **settings).embed_query("hello")
        boto3.client("bedrock-runtime", **settings).converse(
            modelId="amazon.nova-micro-v1:0", messages=[{"role": "user", "content": [{"text": "hi"}]}]
        )
        operations = [(r.operation, r.status) for r in emulator.requests]
    assert operations == [("Converse", 200), ("Converse", 200), ("InvokeModel", 200), ("Converse", 200)]


@pytest.mark.usefixtures("no_aws_environment")
def test_environ_points_an_unconfigured_model_at_the_emulator(monkeypatch: pytest.MonkeyPatch) -> None:
    with BedrockEmulator() as emulator:
        for name, value in emulator.environ().items():
            monkeypatch.setenv(name, value)
        RoutedChatBedrock(preset="nova").invoke("hello")
        assert [r.status for r in emulator.requests] == [200]


@pytest.mark.usefixtures("no_aws_environment")
def test_cli_prints_the_exports_that_reach_it(monkeypatch: pytest.MonkeyPatch) -> None:
    command = [sys.executable, "-m", "langchain_bedrock_routing.emulator", "--port", "0", "--latency-scale", "0"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        endpoint = process.stdout.readline().strip().rsplit(" ", 1)[-1]
        prefix, _, exports = process.stdout.readline().strip().partition(" export ")
        settings = dict(item.split("=", 1) for item in exports.split())
        assert prefix == "Point AWS clients at it:"
        assert settings["AWS_ENDPOINT_URL_BEDROCK_RUNTIME"] == endpoint
        for name, value in settings.items():
            monkeypatch.setenv(name, value)
        boto3.client("bedrock-runtime").converse(
            modelId="amazon.nova-micro-v1:0", messages=[{"role": "user", "content": [{"text": "hi"}]}]
        )
    finally:
        process.terminate()
        process.wait(timeout=10)
