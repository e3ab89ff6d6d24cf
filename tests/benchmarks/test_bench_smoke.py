"""Smoke test of ``python -m benchmarks``: every benchmark runs at tiny sizes and writes well-formed results.

No timing is asserted (figures depend on the machine); only that the harness produces them.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NAMES = (
    "exact_hit",
    "semantic_scale",
    "router_overhead",
    "throughput",
    "workload_savings",
    "embedded_vs_redis",
    "emulator_throughput",
    "async_concurrency",
    "budget_overhead",
    "async_redis_guards",
)


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    results = tmp_path_factory.mktemp("bench-results")
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--size", "smoke", "--results", str(results)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return done, results


@pytest.mark.slow
def test_every_benchmark_writes_json_with_environment_and_figures(smoke_run):
    done, results = smoke_run
    assert done.returncode == 0, done.stderr[-3000:]
    for name in NAMES:
        report = json.loads((results / f"{name}.json").read_text())
        assert report["name"] == name
        env = report["environment"]
        assert env["cores"] >= 1
        assert env["command"].startswith("python -m benchmarks --size smoke")
        assert env["packages"]["langchain-core"] != "not installed"
        assert report["figures"], name
        for figure in report["figures"]:
            assert math.isfinite(figure["value"]), figure
            if figure["baseline"] is not None:
                assert figure["ratio"] == pytest.approx(figure["value"] / figure["baseline"])
            assert figure["met"] in (True, False, None)


@pytest.mark.slow
def test_summary_and_console_carry_every_benchmark(smoke_run):
    done, results = smoke_run
    summary = (results / "SUMMARY.md").read_text()
    assert summary.startswith("# Benchmark results")
    assert "cores: " in summary
    assert "FAILED" not in summary
    for name in NAMES:
        assert f"== {name} (smoke)" in done.stdout
    assert summary.count("\n## ") == len(NAMES)


def test_unknown_benchmark_is_refused_with_the_choices():
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--only", "nope"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert "unknown benchmark(s) nope" in done.stderr
    assert "exact_hit" in done.stderr


def test_unknown_size_is_refused_with_the_choices():
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--size", "huge"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert "full, thorough, quick, smoke" in done.stderr


def test_emulator_benchmark_still_runs_standalone():
    done = subprocess.run(
        [sys.executable, "benchmarks/emulator_throughput.py", "--seconds", "0.2", "--threads", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "requests/s" in done.stdout
