"""Fixtures for the demo tests: one quick demo run against the session emulator (latency scale 0)."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.console import Console

from langchain_bedrock_routing.backend import offline_backend
from langchain_bedrock_routing.demo.app import DemoResult, run_demo_on
from langchain_bedrock_routing.demo.context import DemoSettings
from langchain_bedrock_routing.emulator import BedrockEmulator, RequestRecord

QuickRun = tuple[DemoResult, str, list[RequestRecord]]


@pytest.fixture
def run_quick(emulator: BedrockEmulator, tmp_path: Path) -> Callable[[], QuickRun]:
    """Runs ``demo --quick`` in process; returns the result, the printed text and the emulator's request log."""

    def run() -> QuickRun:
        settings = DemoSettings(quick=True, chart_path=tmp_path / "chart.png", summary_json=tmp_path / "summary.json")
        console = Console(file=io.StringIO(), width=140, color_system=None)
        backend = offline_backend(emulator.endpoint_url, emulator=emulator, latency_scale=0.0)
        result = run_demo_on(backend, settings, console)
        return result, console.file.getvalue(), emulator.requests

    return run
