"""``warm`` checks what it needs before running any prompt: the region, credentials, and a cache that outlives
the command (an in-process one only with ``--in-process``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from langchain_bedrock_routing.emulator import BedrockEmulator
from langchain_bedrock_routing.warming.cli import main

from .conftest import WriteJsonl


@pytest.fixture
def prompts_file(write_jsonl: WriteJsonl) -> Path:
    return write_jsonl([{"prompt": "What does the Free plan include?"}, {"prompt": "Do students pay less?"}])


def _error(capsys: pytest.CaptureFixture[str]) -> str:
    return " ".join(capsys.readouterr().out.split())


def test_missing_credentials_stop_warm_before_any_prompt(
    emulator: BedrockEmulator,
    redis_url: str,
    prompts_file: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    assert main([str(prompts_file), "--preset", "nova", "--redis-url", redis_url]) == 2
    assert "error: no AWS credentials found: configure them" in _error(capsys)
    assert emulator.requests == []


def test_an_unknown_region_stops_warm_before_any_prompt(
    emulator: BedrockEmulator, redis_url: str, prompts_file: Path, capsys: pytest.CaptureFixture[str]
):
    assert main([str(prompts_file), "--preset", "nova", "--redis-url", redis_url, "--region", "us-moon-1"]) == 2
    assert "error: unknown AWS region 'us-moon-1'" in _error(capsys)
    assert emulator.requests == []


def test_the_emulator_alone_does_not_make_an_in_process_cache_acceptable(
    prompts_file: Path, capsys: pytest.CaptureFixture[str]
):
    assert main([str(prompts_file), "--emulator", "--preset", "nova"]) == 2
    assert "--in-process fills one anyway" in _error(capsys)


def test_in_process_warming_when_asked(prompts_file: Path, capsys: pytest.CaptureFixture[str]):
    assert main([str(prompts_file), "--emulator", "--in-process", "--preset", "nova", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["counts"]["stored"] == 2
    assert report["cache"] == "InMemoryExactCache"
