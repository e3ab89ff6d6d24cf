"""The ``bedrock-routing`` console script as a subprocess: quick demo, bad input, live mode up to the prompt."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from langchain_bedrock_routing.cli_support import SetupError, check_credentials
from langchain_bedrock_routing.demo.context import DemoSettings
from langchain_bedrock_routing.demo.live import confirm_live, estimate_live_cost
from langchain_bedrock_routing.emulator import BedrockEmulator

BIN = Path(sys.executable).with_name("bedrock-routing")


def _run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200"},
    )


def test_quick_demo_as_a_console_script(emulator: BedrockEmulator, tmp_path: Path):
    chart, summary = tmp_path / "out" / "chart.png", tmp_path / "summary.json"
    done = _run("demo", "--quick", "--chart", str(chart), "--summary-json", str(summary))
    assert done.returncode == 0, done.stderr
    assert "from $AWS_ENDPOINT_URL_BEDROCK_RUNTIME" in done.stdout
    data = json.loads(summary.read_text())
    assert [s["strategy"] for s in data["strategies"]][-1] == "routed + semantic cache"
    assert data["final_statistics"]["total"]["cache"]["hit_rate"] > 0.5
    billed = sum(1 for r in emulator.requests if r.billed)
    caching = data["caching"]
    misses = sum(1 for call in caching["response_cache"] if call["hit"] is None)
    comparison = sum(s["api_calls"] for s in data["strategies"])
    assert billed == misses + len(caching["prompt_cache"]) + len(data["routing"]) + comparison
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bad_input_is_named_before_anything_runs(emulator: BedrockEmulator):
    done = _run("demo", "--preset", "gpt")
    assert done.returncode == 2
    assert "invalid choice: 'gpt'" in done.stderr
    assert "claude-3" in done.stderr
    done = _run("demo", "--quick", "--max-tokens", "0")
    assert done.returncode == 2
    assert "max tokens must be >= 1" in done.stdout
    assert emulator.requests == []


def test_emulator_subcommand_forwards_its_options():
    done = _run("emulator", "--help")
    assert done.returncode == 0
    assert "--latency-scale" in done.stdout


def test_live_mode_estimates_and_stops_when_declined(emulator: BedrockEmulator):
    done = _run("demo", "--live", "--quick", "--region", "eu-west-1", stdin="n\n")
    assert done.returncode == 1
    assert "Amazon Bedrock in eu-west-1, credentials from env" in done.stdout
    assert "estimated cost at most $" in done.stdout
    assert "Cancelled: nothing was sent to Amazon Bedrock." in done.stdout
    assert emulator.requests == []  # the dry run used its own in-process emulator


def test_live_estimate_counts_every_call_of_the_run():
    settings = DemoSettings(quick=True, live=True, max_tokens=100)
    estimate = estimate_live_cost(settings)
    assert sum(estimate.calls.values()) > 20
    assert estimate.max_output_tokens == 100 * sum(estimate.calls.values())
    assert estimate.cost_usd is not None
    assert estimate.cost_usd > 0
    answers = iter(["yes"])
    assert confirm_live(settings, Console(file=io.StringIO()), ask=lambda _prompt: next(answers))


def test_live_mode_without_credentials_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    with pytest.raises(SetupError, match="no AWS credentials found"):
        check_credentials(None)
    with pytest.raises(SetupError, match="nosuchprofile"):
        check_credentials("nosuchprofile")
