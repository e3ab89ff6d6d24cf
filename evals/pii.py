"""Recall and false positives of the PII detector on a labelled set, and its cost per call (an eval, not a test).

    python -m evals.pii [--data evals/data/pii_test.jsonl] [--show] [--timing]

Each line of ``--data`` is ``{"kind": K, "text": T}`` with K one of the detector's kinds or ``"none"``
(a text that must not be flagged). Recall per kind counts a text as found when :func:`contains_pii`
flags it (the cache policy only needs "has PII"); ``kind right`` counts :func:`find_pii` naming its
kind. ``evals/data/pii_test.jsonl`` is the held-out set (written before the detector, never used to
tune it); ``evals/data/pii_dev.jsonl`` is the set the patterns were developed on. ``--timing`` times
one call on ~2,000 characters of prose, of prose full of numbers that are not PII (the worst case: every
number is checked) and of the same ending with a phone number.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np

from langchain_bedrock_routing.caching.pii import contains_pii, find_pii

DEFAULT_DATA = Path(__file__).parent / "data" / "pii_test.jsonl"
_PROSE = "Explain how a write-ahead log keeps a database consistent when the server loses power mid-write. "
_SENTENCE = (
    "Order {a} (reference {ref}) shipped on 2024-03-{day:02d} at 10:{day:02d}; the invoice total was "
    "${a},{b:03d}.99 for {b} units. Compare version 3.11.{b} with 3.12.0 and compute {a} * {b}. "
)


def load(path: Path) -> list[tuple[str, str]]:
    """The ``(kind, text)`` pairs of a JSON-lines file."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [(str(row["kind"]), str(row["text"])) for row in rows]


def evaluate(rows: list[tuple[str, str]], show: bool = False) -> str:
    """A table: per kind, texts, flagged (recall, or false-positive rate for ``none``) and kind right."""
    total: Counter[str] = Counter()
    flagged: Counter[str] = Counter()
    right: Counter[str] = Counter()
    lines = []
    for kind, text in rows:
        found = find_pii(text)
        total[kind] += 1
        flagged[kind] += contains_pii(text)
        right[kind] += found == kind
        if show and (found is None) != (kind == "none"):
            lines.append(f"  {'missed' if kind != 'none' else 'false positive'} ({kind} -> {found}): {text}")
    out = [f"{'kind':<8}{'texts':>6}{'flagged':>9}{'rate':>8}{'kind right':>12}"]
    for kind in sorted(total, key=lambda k: (k == "none", k)):
        rate = flagged[kind] / total[kind]
        label = "FP rate" if kind == "none" else "recall"
        kind_right = "" if kind == "none" else f"{right[kind]:>12}"
        out.append(f"{kind:<8}{total[kind]:>6}{flagged[kind]:>9}{rate:>8.1%}{kind_right}  ({label})")
    positives = sum(n for k, n in total.items() if k != "none")
    found_all = sum(n for k, n in flagged.items() if k != "none")
    out.append(f"{'all PII':<8}{positives:>6}{found_all:>9}{found_all / max(1, positives):>8.1%}  (recall)")
    return "\n".join([*out, *lines])


def timing(iterations: int) -> str:
    """p50/p95 in microseconds (wall clock, CPU time) of one :func:`contains_pii` call on ~2,000-character prompts."""
    rng = np.random.default_rng(7)
    contains_pii(prompt_of(rng))  # loads the phone metadata once
    out = []
    prose = (_PROSE * (2000 // len(_PROSE) + 1))[:2000]
    cases: dict[str, Callable[[], str]] = {"prose, no digits": lambda: prose, "numbers, no PII": lambda: prompt_of(rng)}
    cases["numbers + a phone"] = lambda: prompt_of(rng, " +33 1 23 45 67 89")
    for name, make in cases.items():
        prompts = [make() for _ in range(iterations)]  # new numbers each call: no memo helps
        wall, cpu = [], []
        for prompt in prompts:
            start, start_cpu = time.perf_counter(), time.process_time()
            contains_pii(prompt)
            wall.append((time.perf_counter() - start) * 1e6)
            cpu.append((time.process_time() - start_cpu) * 1e6)
        (p50, p95), (cpu50, cpu95) = np.percentile(wall, [50, 95]), np.percentile(cpu, [50, 95])
        out.append(
            f"{name:<18} {len(prompts[0])} chars: p50 {p50:,.0f} us, p95 {p95:,.0f} us"
            f" (CPU time p50 {cpu50:,.0f} us, p95 {cpu95:,.0f} us)"
        )
    return "\n".join(out)


def prompt_of(rng: np.random.Generator, tail: str = "") -> str:
    """~2,000 characters of prose with an 8-digit reference number, a date, a price and a version per sentence."""
    text = ""
    while len(text) < 2000 - len(tail):
        text += _SENTENCE.format(
            a=rng.integers(100, 999), b=rng.integers(1, 999), ref=rng.integers(10**7, 10**8), day=rng.integers(1, 28)
        )
    return text[: 2000 - len(tail)] + tail


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="labelled JSON-lines file")
    parser.add_argument("--show", action="store_true", help="list the misses and false positives")
    parser.add_argument("--timing", action="store_true", help="also time one call on ~2,000-character prompts")
    parser.add_argument("--iterations", type=int, default=200, help="timed calls per prompt")
    args = parser.parse_args()
    print(evaluate(load(args.data), show=args.show))
    if args.timing:
        print(timing(args.iterations))


if __name__ == "__main__":
    main()
