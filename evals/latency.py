"""Latency of the default heuristic classifier on a 2,000-token prompt (a benchmark, not a test).

    python -m evals.latency [--iterations N]

The prompt mixes prose, reasoning words, a numbered list, code and math (every feature fires) and
is cut to 2,000 tokens by the catalog's estimator. Reported: p50/p95/p99 in ms of the bare
``classify_messages`` call and of the traced Runnable ``invoke``, alone and as the last turn of a
9-message conversation. CPU-time p95 is printed too (see :func:`percentiles`).
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable

import numpy as np
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage

from langchain_bedrock_routing.catalog import estimate_tokens
from langchain_bedrock_routing.routing.classifiers import HeuristicComplexityClassifier

TARGET_TOKENS = 2000
_BLOCK = (
    "We need to decide whether the migration plan would hold if the primary region fails. Explain why the "
    "replication lag matters, compare the two failover strategies and analyze the tradeoffs.\n"
    "1. Estimate the lag: with 3 * 400 writes/s and a 2^10 byte payload, x = 1200 * 1024 bytes/s.\n"
    "2. Check the invariant \\sum_i w_i <= C for every shard.\n"
    "```python\ndef failover(shards):\n    return {s: s.replica for s in shards};\n```\n"
)


def prompt_of(tokens: int = TARGET_TOKENS) -> str:
    """A mixed prompt of at most ``tokens`` estimated tokens (and within a few tokens of it)."""
    text = _BLOCK * (tokens // max(1, estimate_tokens(_BLOCK)) + 1)
    words = text.split(" ")
    low, high = 0, len(words)
    while low < high:  # the longest word prefix that fits
        middle = (low + high + 1) // 2
        if estimate_tokens(" ".join(words[:middle])) <= tokens:
            low = middle
        else:
            high = middle - 1
    return " ".join(words[:low])


def percentiles(call: Callable[[], object], iterations: int) -> tuple[float, float, float, float]:
    """Wall-clock p50, p95, p99 and CPU-time p95 of ``call`` in ms, after ``iterations // 10`` warm-up calls.

    CPU time (``time.thread_time``) leaves out time the thread waited for a core, so it shows the
    classifier's own cost when other processes load the machine; wall clock is what a request sees.
    """
    for _ in range(iterations // 10):
        call()
    wall, cpu = [], []
    for _ in range(iterations):
        started, started_cpu = time.perf_counter(), time.thread_time()
        call()
        cpu.append((time.thread_time() - started_cpu) * 1000.0)
        wall.append((time.perf_counter() - started) * 1000.0)
    p50, p95, p99 = np.percentile(wall, [50, 95, 99])
    return float(p50), float(p95), float(p99), float(np.percentile(cpu, 95))


def main(argv: list[str] | None = None) -> None:
    """Print the latency table."""
    parser = argparse.ArgumentParser(description="Heuristic classifier latency on a 2,000-token prompt.")
    parser.add_argument("--iterations", type=int, default=2000)
    args = parser.parse_args(argv)
    classifier = HeuristicComplexityClassifier()
    prompt = prompt_of()
    single: list[BaseMessage] = [HumanMessage(prompt)]
    conversation: list[BaseMessage] = []
    for step in range(4):
        conversation += [HumanMessage(f"step {step}: {_BLOCK}"), AIMessage(_BLOCK)]
    conversation.append(HumanMessage(prompt))
    print(f"prompt: {estimate_tokens(prompt)} tokens (catalog estimate), {len(prompt)} characters")
    print(f"load average (1 min): {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print(f"{'call':<40} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'p95 cpu ms':>11}")
    cases: list[tuple[str, Callable[[], object]]] = [
        ("classify_messages, 1 message", lambda: classifier.classify_messages(single)),
        ("invoke (traced Runnable), 1 message", lambda: classifier.invoke(single)),
        ("classify_messages, 9-message conversation", lambda: classifier.classify_messages(conversation)),
        ("invoke, 9-message conversation", lambda: classifier.invoke(conversation)),
    ]
    for name, call in cases:
        p50, p95, p99, cpu95 = percentiles(call, args.iterations)
        print(f"{name:<40} {p50:>8.3f} {p95:>8.3f} {p99:>8.3f} {cpu95:>11.3f}")


if __name__ == "__main__":
    main()
