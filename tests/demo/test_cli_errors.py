"""The console scripts for a newcomer: ``--version``, plain help texts, one-line errors that name the fix, and
reports that keep every figure when piped (no terminal: rich would assume 80 columns)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from langchain_bedrock_routing.emulator import BedrockEmulator

BIN = Path(sys.executable).with_name("bedrock-routing")
NO_AWS = {"AWS_SHARED_CREDENTIALS_FILE": "/nonexistent", "AWS_CONFIG_FILE": "/nonexistent"}
TRUNCATED_FIGURE = re.compile(r"[\d$.,%/]…")


def _run(*command: str, stdin: int | None = subprocess.DEVNULL, drop: tuple[str, ...] = (), **env: str):
    environ = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", *drop)}
    return subprocess.run(
        list(command), stdin=stdin, capture_output=True, text=True, timeout=120, env={**environ, **env}
    )


def _one_line_error(done: subprocess.CompletedProcess[str], text: str) -> None:
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "Traceback" not in done.stdout + done.stderr
    errors = [line for line in (done.stdout + done.stderr).splitlines() if line.startswith("error:")]
    assert len(errors) == 1, (done.stdout, done.stderr)
    assert text in errors[0]


@pytest.mark.parametrize(
    "command",
    [
        [str(BIN)],
        [str(BIN), "emulator"],
        [sys.executable, "-m", "langchain_bedrock_routing.emulator"],
        [sys.executable, "-m", "langchain_bedrock_routing.warming.cli"],
    ],
    ids=["bedrock-routing", "bedrock-routing emulator", "python -m emulator", "python -m warming.cli"],
)
def test_every_command_prints_its_version(command: list[str]):
    done = _run(*command, "--version")
    assert done.returncode == 0, done.stderr
    assert f" {metadata.version('langchain-bedrock-routing')} " in done.stdout


@pytest.mark.parametrize("sub", [[], ["demo"], ["warm"], ["train"], ["emulator"]], ids=lambda s: " ".join(s) or "-")
def test_help_texts_are_plain_text_without_rst_markup(sub: list[str]):
    done = _run(str(BIN), *sub, "--help")
    assert done.returncode == 0, done.stderr
    assert "`" not in done.stdout, done.stdout


def test_emulator_on_a_port_in_use_says_so_in_one_line():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = _run(str(BIN), "emulator", "--port", str(port))
    _one_line_error(done, f"port {port} on 127.0.0.1 is already in use")
    assert "--port 0" in done.stderr


def test_demo_live_with_stdin_closed_asks_for_yes(emulator: BedrockEmulator):
    done = _run(str(BIN), "demo", "--live", "--quick")
    _one_line_error(done, "stdin is closed: pass --yes")
    assert emulator.requests == []


def test_demo_live_without_credentials_names_the_fix():
    done = _run(str(BIN), "demo", "--live", drop=("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"), **NO_AWS)
    _one_line_error(done, "no AWS credentials found: configure them")


def test_demo_live_in_an_unknown_region_is_refused_before_the_estimate():
    done = _run(str(BIN), "demo", "--live", "--region", "us-est-1")
    _one_line_error(done, "unknown AWS region 'us-est-1': did you mean")
    assert "us-east-1" in done.stdout
    assert "Estimating" not in done.stdout


REPORT = """
from langchain_bedrock_routing import RoutedChatBedrock
from langchain_bedrock_routing.callbacks import get_bedrock_stats_callback
from langchain_bedrock_routing.emulator import BedrockEmulator

with BedrockEmulator() as emulator:
    llm = RoutedChatBedrock(**emulator.client_kwargs(), preset="claude")
    with get_bedrock_stats_callback() as stats:
        for question in ["hi", "Explain exact and semantic caching and compare them, with examples."] * 2:
            llm.invoke(question)
    stats.report()
"""


def test_stats_report_keeps_every_figure_when_piped():
    done = _run(sys.executable, "-c", REPORT)
    assert done.returncode == 0, done.stderr
    assert "Model usage" in done.stdout
    assert not TRUNCATED_FIGURE.search(done.stdout), done.stdout
    assert re.search(r"│ Claude \S+ [\d.]+ +│ 2 \(50\.0%\) │ +0 │ +2 │ .* │ \$0\.\d{6} │ \$0\.000000 │", done.stdout)


def test_quick_demo_tables_keep_every_figure_when_piped(emulator: BedrockEmulator, tmp_path: Path):
    done = _run(str(BIN), "demo", "--quick", "--chart", str(tmp_path / "chart.png"))
    assert done.returncode == 0, done.stderr
    assert "Routing tiers" in done.stdout
    assert not TRUNCATED_FIGURE.search(done.stdout), done.stdout
