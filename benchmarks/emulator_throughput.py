"""Converse requests/s of the in-process emulator at latency-scale 0, boto3 clients on a few threads.

Client and server share the machine's CPUs, so this is end-to-end throughput including boto3.
Run: .venv/bin/python benchmarks/emulator_throughput.py [--threads 4] [--seconds 5]
"""

from __future__ import annotations

import argparse
import os
import threading
import time

import boto3
from botocore.config import Config

from langchain_bedrock_routing.emulator import BedrockEmulator

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    with BedrockEmulator(latency_scale=0.0) as emu:
        counts = [0] * args.threads
        ready, stop = threading.Barrier(args.threads + 1), threading.Event()
        threads = [
            threading.Thread(target=_worker, args=(emu.endpoint_url, i, counts, ready, stop))
            for i in range(args.threads)
        ]
        for thread in threads:
            thread.start()
        ready.wait()
        began = time.perf_counter()
        time.sleep(args.seconds)
        stop.set()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - began
        failed = sum(r.status != 200 for r in emu.requests)
    total = sum(counts)
    print(f"{total} Converse requests in {elapsed:.2f}s on {args.threads} threads: {total / elapsed:.0f} requests/s")
    print(f"failed requests: {failed}; CPUs: {os.cpu_count()} (client and server share them)")


if __name__ == "__main__":
    main()
