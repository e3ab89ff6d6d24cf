"""``python -m benchmarks``: run the benchmarks, print every figure, write JSON and ``SUMMARY.md``.

Usage: ``python -m benchmarks [--quick | --size smoke] [--only exact_hit,router_overhead] [--results DIR]
[--profile]``. Each benchmark writes ``<results>/<name>.json``; the run writes ``<results>/SUMMARY.md``.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType

from benchmarks import (
    async_concurrency,
    async_redis_guards,
    budget_overhead,
    embedded_vs_redis,
    emulator_throughput,
    exact_hit,
    router_overhead,
    semantic_scale,
    throughput,
    workload_savings,
)
from benchmarks.harness import Report, environment, environment_text, write_json
from benchmarks.services import Context, Sizes, services

MODULES: tuple[ModuleType, ...] = (
    exact_hit,
    semantic_scale,
    router_overhead,
    throughput,
    workload_savings,
    embedded_vs_redis,
    emulator_throughput,
    async_concurrency,
    budget_overhead,
    async_redis_guards,
)
BENCHMARKS: dict[str, Callable[[Context], Report]] = {module.NAME: module.run for module in MODULES}
DEFAULT_RESULTS = Path(__file__).resolve().parent / "results"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options (``--help`` lists them)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--size", default="full", help="full (default, make bench), quick or smoke")
    parser.add_argument("--quick", action="store_const", const="quick", dest="size", help="same as --size quick")
    parser.add_argument("--only", default="", help=f"comma-separated subset of: {', '.join(BENCHMARKS)}")
    parser.add_argument("--results", type=Path, default=DEFAULT_RESULTS, help="directory for JSON and SUMMARY.md")
    parser.add_argument("--profile", action="store_true", help="write cProfile summaries even when goals are met")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.only.split(",") if n.strip()] or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    try:
        args.sizes = Sizes.named(args.size)
    except ValueError as exc:
        parser.error(str(exc))
    args.names = names
    return args


def summary(env: dict[str, object], reports: list[Report], failures: dict[str, str]) -> str:
    """``SUMMARY.md``: environment, then one section per benchmark, then failures."""
    lines = ["# Benchmark results", "", "```", environment_text(env), "```", ""]
    lines += [report.markdown() for report in reports]
    for name, error in failures.items():
        lines += [f"## {name}: FAILED", "", "```", error.strip(), "```", ""]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the chosen benchmarks; exit status 1 if any raised (missed goals are reported, not errors)."""
    args = parse_args(argv)
    command = "python -m benchmarks " + shlex.join(sys.argv[1:] if argv is None else list(argv))
    reports: list[Report] = []
    failures: dict[str, str] = {}
    began = time.perf_counter()
    with services(args.sizes, args.results, profile=args.profile) as ctx:
        env = environment(command.strip(), ctx.redis.binary)
        print(environment_text(env), flush=True)
        for name in args.names:
            print(f"\n== {name} ({args.sizes.name})", flush=True)
            started = time.perf_counter()
            try:
                report = BENCHMARKS[name](ctx)
            except Exception:
                failures[name] = traceback.format_exc()
                print(failures[name], file=sys.stderr, flush=True)
                continue
            report.seconds = time.perf_counter() - started
            reports.append(report)
            write_json(args.results / f"{name}.json", report.as_dict(env))
            for figure in report.figures:
                print(f"  {figure.line()}", flush=True)
            for note in report.notes:
                print(f"  note: {note}", flush=True)
    env["total_seconds"] = round(time.perf_counter() - began, 1)
    env["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    (args.results / "SUMMARY.md").write_text(summary(env, reports, failures))
    print(f"\nwrote {args.results}/SUMMARY.md and {len(reports)} JSON files in {env['total_seconds']} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
