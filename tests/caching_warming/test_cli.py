"""The ``warm`` subcommand (``warming_cli``): in process against the session emulator, and as a subprocess with
its own in-process emulator (``--emulator``), filling a real redis-server."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from langchain_core.globals import set_llm_cache

from langchain_bedrock_routing import RoutedChatBedrock
from langchain_bedrock_routing.caching import RedisCache
from langchain_bedrock_routing.emulator import BedrockEmulator
from langchain_bedrock_routing.testing import RedisServer
from langchain_bedrock_routing.warming.cli import main

from .conftest import WriteJsonl

QUESTIONS = ["What does the Free plan include?", "Is there a discount for yearly billing?", "Do students pay less?"]


@pytest.fixture
def prompts_file(write_jsonl: WriteJsonl) -> Path:
    return write_jsonl([{"prompt": q} for q in QUESTIONS])


def test_warm_prints_a_summary_and_a_second_run_pays_nothing(
    emulator: BedrockEmulator, redis_url: str, prompts_file: Path, capsys: pytest.CaptureFixture[str]
):
    assert main([str(prompts_file), "--preset", "nova", "--redis-url", redis_url]) == 0
    out = capsys.readouterr().out
    assert "Cache warming" in out
    assert "│ stored " in out
    assert "Paid calls      │ 3" in out
    assert len(emulator.requests) == 3

    assert main([str(prompts_file), "--preset", "nova", "--redis-url", redis_url, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["counts"]["already_cached"] == 3
    assert (report["paid_calls"], report["cost_usd"]) == (0, 0.0)
    assert len(emulator.requests) == 3


def test_the_subprocess_with_its_own_emulator_fills_redis_for_the_app(
    emulator: BedrockEmulator, redis_url: str, prompts_file: Path
):
    command = [sys.executable, "-m", "langchain_bedrock_routing.warming.cli", str(prompts_file)]
    done = subprocess.run(
        [*command, "--emulator", "--preset", "nova", "--redis-url", redis_url, "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["counts"]["stored"] == 3
    assert report["cost_usd"] > 0
    assert report["cache"] == "RedisCache"

    cache = RedisCache(redis_url=redis_url)
    set_llm_cache(cache)  # the app, on another endpoint (the session emulator), same model settings
    reply = RoutedChatBedrock(preset="nova", region_name="us-east-1").invoke(QUESTIONS[2])
    assert reply.response_metadata["cache"]["hit"] is True
    assert emulator.requests == []
    cache.close()


def test_semantic_cache_tenant_and_pii_policy_options(
    emulator: BedrockEmulator, redis_url: str, write_jsonl: WriteJsonl, capsys: pytest.CaptureFixture[str]
):
    path = write_jsonl([{"prompt": QUESTIONS[0]}, {"prompt": "Email my invoice to jane.doe@example.com please"}])
    args = [str(path), "--model", "amazon.nova-micro-v1:0", "--redis-url", redis_url, "--semantic", "--skip-pii"]
    assert main([*args, "--tenant", "acme", "--namespace", "warm", "--ttl", "600"]) == 0
    out = capsys.readouterr().out
    assert "Not stored" in out
    assert "pii" in out
    assert main([*args, "--tenant", "acme", "--namespace", "warm", "--json"]) == 0
    results = json.loads(capsys.readouterr().out)["results"]
    assert [(r["status"], r["tenant"]) for r in results] == [("already_cached", "acme"), ("not_stored", "acme")]
    assert main([*args, "--tenant", "globex", "--namespace", "warm", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["counts"]["stored"] == 1  # another tenant is not served acme's entry


def test_a_failed_prompt_gives_exit_code_1_and_is_listed(
    emulator: BedrockEmulator, write_jsonl: WriteJsonl, redis_url: str, capsys: pytest.CaptureFixture[str]
):
    path = write_jsonl([{"prompt": QUESTIONS[0]}, {"prompt": "word " * 400_000}])
    assert main([str(path), "--model", "amazon.nova-micro-v1:0", "--redis-url", redis_url]) == 1
    out = capsys.readouterr().out
    assert "failed" in out
    assert "ValidationException" in out


@pytest.mark.parametrize(
    ("lines", "extra", "message"),
    [
        ([{"prompt": "ok"}, "{broken"], [], ":2: not valid JSON"),
        ([{"prompt": "ok"}], ["--model", "amazon.nova-micro-v1:0", "--priority", "cost"], "--priority applies to"),
        ([{"prompt": "ok"}], ["--redis-url", "redis://127.0.0.1:1/0"], "cannot reach Redis at redis://127.0.0.1:1/0"),
        ([{"prompt": "ok"}], ["--redis-url", "http://localhost"], "has scheme 'http'"),
        ([{"prompt": "ok"}], ["--redis-url", "REDIS", "--ttl", "-5"], "ttl must be a positive"),
    ],
)
def test_bad_input_exits_2_before_any_model_call(
    emulator: BedrockEmulator,
    write_jsonl: WriteJsonl,
    redis_url: str,
    capsys: pytest.CaptureFixture[str],
    lines: list[object],
    extra: list[str],
    message: str,
):
    args = [str(write_jsonl(lines)), *[redis_url if a == "REDIS" else a for a in extra]]
    if "--redis-url" not in args:
        args += ["--redis-url", redis_url]
    assert main(args) == 2
    assert message in " ".join(capsys.readouterr().out.split())
    assert emulator.requests == []


def test_an_in_process_cache_is_refused_outside_the_emulator(
    emulator: BedrockEmulator, prompts_file: Path, capsys: pytest.CaptureFixture[str]
):
    assert main([str(prompts_file)]) == 2
    assert "pass --redis-url or set $REDIS_URL" in capsys.readouterr().out
    assert emulator.requests == []


def test_model_and_preset_are_exclusive(prompts_file: Path, capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit) as exited:
        main([str(prompts_file), "--model", "amazon.nova-micro-v1:0", "--preset", "nova"])
    assert exited.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_redis_url_from_the_environment(
    emulator: BedrockEmulator,
    redis_server: RedisServer,
    prompts_file: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
):
    monkeypatch.setenv("REDIS_URL", redis_server.url)
    assert main([str(prompts_file), "--preset", "nova", "--concurrency", "1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["counts"]["stored"] == 3
    assert len(redis_server.client().keys("lbr:*")) == 3
