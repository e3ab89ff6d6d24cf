"""Converse requests/s of the in-process emulator at latency-scale 0, boto3 clients on a few threads.

Client and server share the machine's CPUs, so this is end-to-end throughput including boto3.
Run: .venv/bin/python benchmarks/emulator_throughput.py [--threads 4] [--seconds 5]
(``python -m benchmarks`` runs it too, through :func:`run`, with the in-process emulator.)
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path

import boto3
from botocore.config import Config

from langchain_bedrock_routing.emulator import BedrockEmulator

if not __package__:  # run as a script: make the repository root importable for the shared harness
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.harness import Figure, Report
from benchmarks.services import Context

NAME = "emulator_throughput"
MODEL = "us.anthropic.claude-3-haiku-20240307-v1:0"


def _worker(url: str, index: int, counts: list[int], ready: threading.Barrier, stop: threading.Event) -> None:
    client = boto3.client(
        "bedrock-runtime", region_name="us-east-1", endpoint_url=url, config=Config(retries={"total_max_attempts": 1})
    )
    messages = [{"role": "user", "content": [{"text": f"Explain caching strategy number {index}?"}]}]
    client.converse(modelId=MODEL, messages=messages)  # warm-up: opens the keep-alive connection
    ready.wait()
    while not stop.is_set():
        client.converse(modelId=MODEL, messages=messages)
        counts[index] += 1


def measure(threads: int, seconds: float) -> tuple[int, float, int]:
    """``(requests, elapsed seconds, failed requests)`` of ``threads`` boto3 clients for ``seconds``."""
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    with BedrockEmulator(latency_scale=0.0) as emu:
        counts = [0] * threads
        ready, stop = threading.Barrier(threads + 1), threading.Event()
        workers = [
            threading.Thread(target=_worker, args=(emu.endpoint_url, i, counts, ready, stop)) for i in range(threads)
        ]
        for worker in workers:
            worker.start()
        ready.wait()
        began = time.perf_counter()
        time.sleep(seconds)
        stop.set()
        for worker in workers:
            worker.join()
        elapsed = time.perf_counter() - began
        failed = sum(r.status != 200 for r in emu.requests)
    return sum(counts), elapsed, failed


def run(ctx: Context) -> Report:
    """The standalone measurement with 4 threads for the size's seconds, as a report."""
    report = Report(NAME, "Emulator throughput (in-process emulator, 4 boto3 threads, latency scale 0)")
    total, elapsed, failed = measure(4, ctx.sizes.emulator_seconds)
    report.add(Figure("emulator Converse requests/s", total / elapsed, "req/s"))
    report.details = {"requests": total, "seconds": elapsed, "failed": failed, "threads": 4}
    report.notes.append(f"{total} requests in {elapsed:.2f} s, {failed} failed; client and server share the cores.")
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    total, elapsed, failed = measure(args.threads, args.seconds)
    print(f"{total} Converse requests in {elapsed:.2f}s on {args.threads} threads: {total / elapsed:.0f} requests/s")
    print(f"failed requests: {failed}; CPUs: {os.cpu_count()} (client and server share them)")


if __name__ == "__main__":
    main()
