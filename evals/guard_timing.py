"""Per-pair cost of the near-miss guard and its second stage (microseconds): fresh texts (analysis included) and
memoized ones.

Pairs: the dev set's and the guard trap sets' (cached, query). "fresh": the analysis memo is cleared before each
pair, as for a question never seen; "memoized": both texts were analysed before (a cached question met again).

    .venv/bin/python evals/guard_timing.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from evals.semantic_cache import DEV_SET, load_pairs
from langchain_bedrock_routing.caching import guard

DATA = DEV_SET.parent
SETS = ("semantic_devset.jsonl", "guard_traps_dev.jsonl")


def _per_pair_us(pairs: Sequence[tuple[str, str]], *, fresh: bool) -> float:
    """Median over pairs of one ``near_miss_reason`` and one ``alignment`` call (what the cache runs per candidate),
    in microseconds."""
    times = []
    for query, cached in pairs:
        if fresh:
            guard._analyse.cache_clear()
        began = time.perf_counter()
        guard.near_miss_reason(query, cached)
        guard.alignment(query, cached)
        times.append((time.perf_counter() - began) * 1e6)
    return statistics.median(times)


def main(argv: Sequence[str] | None = None) -> int:
    """Print the median per-pair cost, fresh and memoized, for short and long (over 400 characters) pairs."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    pairs = [(p["query"], p["cached"]) for name in SETS for p in load_pairs(Path(DATA, name))]
    groups = {"short": [p for p in pairs if len(p[1]) <= 400], "long": [p for p in pairs if len(p[1]) > 400]}
    for name, group in groups.items():
        fresh = min(_per_pair_us(group, fresh=True) for _ in range(args.rounds))
        memo = min(_per_pair_us(group, fresh=False) for _ in range(args.rounds))
        print(f"{name:<5} {len(group):>4} pairs  fresh {fresh:8.1f} us  memoized {memo:8.1f} us (median per pair)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
