"""``make eval-router``: replay the routing-eval data through each classifier and print RouteLLM's metrics.

    python -m evals.router [data.jsonl] [--llm-sample N]

For every classifier the request's score is the routing signal (higher = send to the strong
model); sweeping the threshold gives APGR, CPT(50%) and CPT(80%) (``evaluation`` module), next
to a random and a prompt-length baseline. The main columns use the held-out 30% split (the
embedding classifier trained on the rest); "APGR all" is over every row for classifiers that
never saw the labels. Latency is per request through the Runnable ``invoke`` path.

The LLM classifier and the cascade run on a subsample against the offline Bedrock emulator, whose
structured answers are synthetic: their rows show the plumbing and overhead, not Nova Micro's
routing quality (that needs real Bedrock: pass ``--llm-sample 0`` to skip them).
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from evals.data import DEFAULT_DATA, HELD_OUT_PERCENT, Row, load_rows, split
from langchain_bedrock_routing.routing.classifiers import (
    BandedClassifier,
    EmbeddingComplexityClassifier,
    HeuristicComplexityClassifier,
    LLMComplexityClassifier,
    apgr,
    cpt,
    routing_curve,
)

Scorer = Callable[[str], float]


@dataclass(frozen=True)
class Result:
    """One table row: quality on the evaluated rows and per-request latency (ms, ``None`` if not measured)."""

    name: str
    n: int
    apgr: float
    cpt50: float
    cpt80: float
    apgr_all: float | None
    p50_ms: float | None
    p95_ms: float | None


def _quality(scores: Sequence[float], rows: Sequence[Row]) -> tuple[float, float, float]:
    curve = routing_curve(scores, [r.weak_correct for r in rows], [r.strong_correct for r in rows])
    return apgr(curve), cpt(curve, 0.5), cpt(curve, 0.8)


def _timed_scores(score: Scorer, rows: Sequence[Row]) -> tuple[list[float], list[float]]:
    scores, millis = [], []
    for row in rows:
        started = time.perf_counter()
        scores.append(score(row.prompt))
        millis.append((time.perf_counter() - started) * 1000.0)
    return scores, millis


def evaluate(
    name: str, score: Scorer, held_out: Sequence[Row], everything: Sequence[Row] | None, timed: bool = True
) -> Result:
    """Score ``held_out`` (and ``everything``, when the scorer never saw labels) and measure latency."""
    rows = everything if everything is not None else held_out
    scores, millis = _timed_scores(score, rows)
    by_prompt = dict(zip((r.prompt for r in rows), scores, strict=True))
    quality = _quality([by_prompt[r.prompt] for r in held_out], held_out)
    p50, p95 = (float(np.percentile(millis, 50)), float(np.percentile(millis, 95))) if timed else (None, None)
    overall = _quality(scores, rows)[0] if everything is not None else None
    return Result(name, len(held_out), *quality, overall, p50, p95)


def _llm_results(held_out: Sequence[Row], sample: int) -> tuple[list[Result], str]:
    from langchain_bedrock_routing.emulator import BedrockEmulator

    for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):  # the offline emulator ignores credentials
        os.environ.setdefault(variable, "emulator")
    rows = list(held_out[:sample])
    with BedrockEmulator(latency_scale=0.0) as emulator:
        llm = LLMComplexityClassifier(region_name="us-east-1", endpoint_url=emulator.endpoint_url)
        results = [evaluate("llm (emulator)*", lambda p: llm.invoke(p).score, rows, None)]
        before = len(emulator.requests)
        cascade = BandedClassifier(
            second=LLMComplexityClassifier(region_name="us-east-1", endpoint_url=emulator.endpoint_url)
        )
        results.append(evaluate("cascade (emulator)*", lambda p: cascade.invoke(p).score, rows, None))
        asked = len(emulator.requests) - before
    results.append(
        evaluate("heuristic, same rows", lambda p: HeuristicComplexityClassifier().invoke(p).score, rows, None)
    )
    usage = llm.usage
    note = (
        f"* {len(rows)} held-out rows against the offline emulator (latency_scale=0: client + HTTP overhead only); "
        "its ratings are synthetic, so these APGRs measure the emulator, not Nova Micro.\n"
        f"  The cascade asked the LLM for {asked}/{len(rows)} requests. LLM classifier usage: {usage.calls} calls, "
        f"{usage.input_tokens} input + {usage.output_tokens} output tokens, ${usage.cost_usd or 0:.5f} at Nova Micro "
        f"prices, {usage.failures} fallbacks."
    )
    return results, note


def _format(results: Sequence[Result]) -> str:
    def ms(value: float | None) -> str:
        return "-" if value is None else f"{value:.3f}"

    header = (
        f"{'classifier':<22} {'n':>6} {'APGR':>6} {'CPT(50%)':>9} {'CPT(80%)':>9} {'APGR all':>9} "
        f"{'p50 ms':>8} {'p95 ms':>8}"
    )
    lines = [header, "-" * len(header)]
    for r in results:
        overall = "-" if r.apgr_all is None else f"{r.apgr_all:.3f}"
        lines.append(
            f"{r.name:<22} {r.n:>6} {r.apgr:>6.3f} {r.cpt50:>9.1%} {r.cpt80:>9.1%} {overall:>9} "
            f"{ms(r.p50_ms):>8} {ms(r.p95_ms):>8}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Run the evaluation and print the table."""
    parser = argparse.ArgumentParser(description="Replay routing-eval data through each classifier.")
    parser.add_argument("data", nargs="?", default=str(DEFAULT_DATA), help="routing-eval JSONL (see its NOTICE.md)")
    parser.add_argument("--llm-sample", type=int, default=200, help="held-out rows for the LLM/cascade (0 skips)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    rows = load_rows(args.data)
    _, held_out = split(rows)
    noise = np.random.default_rng(0)
    heuristic = HeuristicComplexityClassifier()
    embedding = EmbeddingComplexityClassifier.default()
    results = [
        evaluate("random (seed 0)", lambda _p: float(noise.random()), held_out, rows, timed=False),
        evaluate("prompt length", lambda p: float(len(p)), held_out, rows, timed=False),
        evaluate("heuristic (default)", lambda p: heuristic.invoke(p).score, held_out, rows),
        evaluate("embedding", lambda p: embedding.invoke(p).score, held_out, None),
    ]
    note = ""
    if args.llm_sample > 0:
        llm_results, note = _llm_results(held_out, args.llm_sample)
        results += llm_results
    print(
        f"{len(rows)} rows from {args.data}; held out: {len(held_out)} ({HELD_OUT_PERCENT}%, prompt-hash split). "
        "APGR/CPT on the held-out rows; 'APGR all' over every row (only for classifiers that never saw labels)."
    )
    print(_format(results))
    if note:
        print(note)
    print(f"total {time.perf_counter() - started:.1f}s")


if __name__ == "__main__":
    main()
