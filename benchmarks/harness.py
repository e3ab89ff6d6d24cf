"""Timing and reporting shared by every benchmark: interleaved samples, percentiles, figures, JSON and markdown.

Times are measured with ``time.perf_counter_ns`` around one call and reported in microseconds (``us``)
unless a figure says otherwise. Cases compared with each other are run *interleaved* (round-robin in
short rounds) so machine noise (other processes, CPU frequency) lands on all of them alike.
"""

from __future__ import annotations

import cProfile
import gc
import io
import json
import os
import platform
import pstats
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

PACKAGES = ("langchain-bedrock-routing", "langchain-core", "langchain-aws", "langchain-community", "boto3", "redis")


@dataclass(frozen=True)
class Sample:
    """Percentiles of one timed case, in microseconds; ``n`` calls."""

    n: int
    p50_us: float
    p90_us: float
    p99_us: float
    mean_us: float

    @classmethod
    def of(cls, durations_ns: list[int]) -> Sample:
        """Percentiles (nearest rank) of durations in nanoseconds."""
        if not durations_ns:
            raise ValueError("no durations to summarise")
        ordered = sorted(durations_ns)

        def rank(p: float) -> float:
            return ordered[min(len(ordered) - 1, int(p * len(ordered)))] / 1000.0

        return cls(len(ordered), rank(0.50), rank(0.90), rank(0.99), sum(ordered) / len(ordered) / 1000.0)


def timed(fn: Callable[[], object], n: int) -> list[int]:
    """Durations (ns) of ``n`` calls of ``fn``."""
    out: list[int] = []
    clock = time.perf_counter_ns
    for _ in range(n):
        began = clock()
        fn()
        out.append(clock() - began)
    return out


def interleaved(cases: Mapping[str, Callable[[], object]], *, total: int, rounds: int = 10) -> dict[str, Sample]:
    """``total`` calls per case, run in ``rounds`` round-robin blocks; a full warm-up block first."""
    per_round = max(1, total // rounds)
    durations: dict[str, list[int]] = {name: [] for name in cases}
    for fn in cases.values():
        timed(fn, min(per_round, 50))
    gc.collect()
    for _ in range(rounds):
        for name, fn in cases.items():
            durations[name] += timed(fn, per_round)
    return {name: Sample.of(values) for name, values in durations.items()}


def profile_calls(fn: Callable[[], object], n: int, path: Path, *, top: int = 30) -> Path:
    """cProfile ``n`` calls of ``fn``; the top ``top`` functions by cumulative time go to ``path`` (text)."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(n):
        fn()
    profiler.disable()
    buffer = io.StringIO()
    pstats.Stats(profiler, stream=buffer).sort_stats("cumulative").print_stats(top)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"# cProfile of {n} calls, sorted by cumulative time\n{buffer.getvalue()}")
    return path


@dataclass
class Figure:
    """One reported number, with its baseline from the same run and the goal it is checked against.

    ``ratio`` is ``value / baseline``. ``goal`` is a readable rule (``"<= 0.8x community"``) and ``met``
    whether this run meets it (``None``: no goal).
    """

    name: str
    value: float
    unit: str
    baseline: float | None = None
    baseline_name: str | None = None
    goal: str | None = None
    met: bool | None = None

    @property
    def ratio(self) -> float | None:
        """``value / baseline`` (``None`` without a baseline)."""
        if self.baseline is None or self.baseline == 0:
            return None
        return self.value / self.baseline

    def line(self) -> str:
        """One printable line: value, ratio to baseline, goal and verdict."""
        text = f"{self.name}: {_num(self.value)} {self.unit}"
        if self.ratio is not None:
            text += f" = {self.ratio:.2f}x {self.baseline_name} ({_num(self.baseline or 0.0)} {self.unit})"
        if self.goal is not None:
            text += f"  [goal {self.goal}: {'met' if self.met else 'MISSED'}]"
        return text

    def as_dict(self) -> dict[str, Any]:
        """JSON form, ratio included."""
        return {**asdict(self), "ratio": self.ratio}


@dataclass
class Report:
    """What one benchmark produced: headline figures, markdown tables, raw details and notes."""

    name: str
    title: str
    figures: list[Figure] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def add(self, figure: Figure) -> Figure:
        """Append and return ``figure``."""
        self.figures.append(figure)
        return figure

    def as_dict(self, environment: Mapping[str, Any]) -> dict[str, Any]:
        """JSON form, with the run's environment."""
        return {
            "name": self.name,
            "title": self.title,
            "environment": dict(environment),
            "seconds": round(self.seconds, 2),
            "figures": [f.as_dict() for f in self.figures],
            "tables": self.tables,
            "details": self.details,
            "notes": self.notes,
        }

    def markdown(self) -> str:
        """A markdown section: figures as a list, then the tables and notes."""
        lines = [f"## {self.title}", ""]
        lines += [f"- {figure.line()}" for figure in self.figures]
        for table in self.tables:
            lines += ["", table]
        lines += ["", *[f"> {note}" for note in self.notes]] if self.notes else []
        lines += ["", f"_({self.seconds:.1f} s)_", ""]
        return "\n".join(lines)


def table(header: list[str], rows: list[list[Any]]) -> str:
    """A markdown table; floats are shown with 3 significant-ish digits."""
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(_num(c) if isinstance(c, float) else str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def _num(value: float) -> str:
    if value == 0 or abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def environment(command: str, redis_binary: str | None) -> dict[str, Any]:
    """The run's command, machine (cores, CPU, Python, load average) and package and redis-server versions."""
    redis_version = "unknown"
    if redis_binary:
        redis_version = subprocess.run([redis_binary, "--version"], capture_output=True, text=True).stdout.strip()
    return {
        "command": command,
        "cores": os.cpu_count(),
        "machine": f"{platform.system()} {platform.machine()} {platform.processor() or ''}".strip(),
        "python": sys.version.split()[0],
        "packages": {name: _version(name) for name in PACKAGES},
        "redis_server": redis_version,
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def environment_text(env: Mapping[str, Any]) -> str:
    """The environment as a few printable lines."""
    packages = ", ".join(f"{k} {v}" for k, v in env["packages"].items())
    return (
        f"command: {env['command']}\n"
        f"cores: {env['cores']} ({env['machine']}), Python {env['python']}, "
        f"load average at start {env['load_average_at_start']}"
        + (f", at end {env['load_average_at_end']}" if "load_average_at_end" in env else "")
        + (f", total {env['total_seconds']} s" if "total_seconds" in env else "")
        + "\n"
        f"packages: {packages}\n"
        f"redis-server: {env['redis_server']}"
    )


def write_json(path: Path, payload: Mapping[str, Any]) -> None:
    """Write ``payload`` as indented JSON (creating the directory)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, sort_keys=False, default=str) + "\n")
