"""``make eval-router``: each classifier's routing quality per domain, under a leave-one-domain-out protocol.

    python -m evals.router [mmlu.jsonl] [--llm-sample N] [--limit N]

Every classifier's score is the routing signal (higher = send to the strong model); sweeping the
threshold gives APGR, CPT(50%) and CPT(80%) (``evaluation`` module) per domain and overall (the
domains' mean, and all scored rows pooled), next to a random and a prompt-length baseline. Domains
and data: ``evals.data`` and ``evals/data/NOTICE.md``. The "LODO" rows are the honest figures: their
fitted parts never saw the domain they are scored on (``evals.cross_domain``, ``evals.trained_router``).
"trained" is the router ``bedrock-routing train`` makes from an outcomes file; "in-domain" trains it on
part of the scored domain itself (what a user's own outcomes buy). The shipped rows say what they were
fitted on. The heuristic's tier accuracy is on the hand-labelled test half (its cut points were chosen
on the dev half).

The LLM classifier and the cascade run on a subsample of the knowledge rows against the offline
Bedrock emulator, whose structured answers are synthetic: their rows show the plumbing and
overhead, not Nova Micro's routing quality (``--llm-sample 0`` skips them).
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

from evals import cross_domain, trained_router
from evals.cross_domain import Quality, Scores
from evals.data import DEFAULT_DATA, DOMAINS, HELD_OUT_PERCENT, Row, load_domains, load_tiers, scored_rows
from evals.fit_heuristic import conversation
from langchain_bedrock_routing.routing.classifiers import (
    BandedClassifier,
    EmbeddingComplexityClassifier,
    HeuristicComplexityClassifier,
    LLMComplexityClassifier,
    ScoringClassifier,
)

TARGET_MARGIN = 0.02
"""The default heuristic should beat prompt length by this much APGR on every domain."""
PROTOCOL = (
    "Protocol: leave one domain out. For each domain, 'LODO' classifiers are fitted on the other domains only "
    "(default: its outcome weights; embedding and trained: the whole model) and scored on this one. 'trained' = "
    "bedrock-routing train's router (learning.train_router, hashing embeddings) on the rows written as an outcomes "
    "file (weak model = simple, strong = complex); 'trained, in-domain' fits it on part of the scored domain itself "
    "(knowledge: MMLU's training split; other domains: two prompt-hash halves, each scored by the router fitted on "
    "the other). Trained and embedding fits use at most "
    f"{cross_domain.EMBEDDING_ROWS_PER_DOMAIN} rows per domain. Scored rows: knowledge = MMLU's {HELD_OUT_PERCENT}% "
    "held-out split (fits use the rest), other domains whole. Overall: 'mean' = the domains' average (each domain "
    "counts once); 'pooled' = every scored row as one set (LODO scores of different folds side by side). The "
    "shipped default was fitted on every domain (in-sample here); the shipped embedding on MMLU's training split "
    "(knowledge and math are in-domain for it)."
)
DEFAULT_LODO = "default, LODO"
LENGTH = "prompt length"
OVERALL = ("mean", "pooled")


def _scores(domains: Mapping[str, Sequence[Row]]) -> dict[str, dict[str, NDArray[np.float64]]]:
    heuristic = HeuristicComplexityClassifier()
    scorers: dict[str, Scores] = {
        "random (seed 0)": cross_domain.random_scores(0),
        LENGTH: cross_domain.length_scores,
        DEFAULT_LODO: cross_domain.heuristic_lodo(domains),
        "default, shipped": cross_domain.heuristic_scores(heuristic),
        "trained, LODO": trained_router.lodo(domains),
        "trained, in-domain": trained_router.within(domains),
        "embedding, LODO": cross_domain.embedding_lodo(domains),
        "embedding, shipped": cross_domain.embedding_scores(EmbeddingComplexityClassifier.default()),
    }
    return {name: cross_domain.scores(scorer, domains) for name, scorer in scorers.items()}


def _qualities(by_domain: Mapping[str, NDArray[np.float64]], scored: Mapping[str, Sequence[Row]]) -> dict[str, Quality]:
    """Per domain, then ``mean`` (of the domains' figures) and ``pooled`` (every scored row as one set)."""
    per_domain = {d: cross_domain.quality(by_domain[d], scored[d]) for d in DOMAINS}
    fields = ("apgr", "cpt50", "cpt80")
    mean = Quality(*(float(np.mean([getattr(q, f) for q in per_domain.values()])) for f in fields))
    pooled = cross_domain.quality(
        np.concatenate([by_domain[d] for d in DOMAINS]), [r for d in DOMAINS for r in scored[d]]
    )
    return {**per_domain, "mean": mean, "pooled": pooled}


def _table(results: Mapping[str, Mapping[str, Quality]], title: str, cell: str) -> str:
    columns = (*DOMAINS, *OVERALL)
    header = f"{title:<20}" + "".join(f"{d:>13}" for d in columns)
    lines = [header, "-" * len(header)]
    for name, by_column in results.items():
        lines.append(f"{name:<20}" + "".join(f"{_cell(by_column[c], cell):>13}" for c in columns))
    return "\n".join(lines)


def _cell(q: Quality, kind: str) -> str:
    return f"{q.apgr:.3f}" if kind == "apgr" else f"{q.cpt50:.0%} / {q.cpt80:.0%}"


def _verdict(
    scores: Mapping[str, Mapping[str, NDArray[np.float64]]],
    results: Mapping[str, Mapping[str, Quality]],
    scored: Mapping[str, Sequence[Row]],
) -> str:
    lodo, length = results[DEFAULT_LODO], results[LENGTH]
    margins = {d: lodo[d].apgr - length[d].apgr for d in DOMAINS}
    spread = {d: cross_domain.margin_sd(scores[DEFAULT_LODO][d], scores[LENGTH][d], scored[d]) for d in DOMAINS}
    missed = [d for d, m in margins.items() if m < TARGET_MARGIN]
    detail = ", ".join(f"{d} {m:+.3f} (sd {spread[d]:.3f})" for d, m in margins.items())
    status = "met on every domain" if not missed else f"missed on {', '.join(missed)}"
    return (
        f"default (LODO) minus prompt length, APGR, with the paired bootstrap sd: {detail}\n"
        f"target +{TARGET_MARGIN:.2f} on every domain: {status}"
    )


def _tiers_and_latency(rows: Sequence[Row]) -> str:
    heuristic = HeuristicComplexityClassifier()
    embedding = EmbeddingComplexityClassifier.default()
    test = load_tiers("test")
    accuracy = {
        name: sum(c.invoke(conversation(e)).tier == e.tier for e in test) / len(test)
        for name, c in (("heuristic", heuristic), ("embedding", embedding))
    }
    millis = []
    for row in rows:
        started = time.perf_counter()
        heuristic.invoke(row.prompt)
        millis.append((time.perf_counter() - started) * 1000.0)
    p50, p95 = np.percentile(millis, [50, 95])
    return (
        f"tier accuracy on the {len(test)}-prompt hand-labelled test half (evals/data/TIERS.md): heuristic "
        f"{accuracy['heuristic']:.1%}, embedding {accuracy['embedding']:.1%}\n"
        f"heuristic invoke latency over {len(rows)} prompts: p50 {p50:.3f} ms, p95 {p95:.3f} ms"
    )


def _llm_rows(rows: Sequence[Row], sample: int) -> str:
    from langchain_bedrock_routing.emulator import BedrockEmulator

    for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):  # the offline emulator ignores credentials
        os.environ.setdefault(variable, "emulator")
    rows = list(rows[:sample])
    with BedrockEmulator(latency_scale=0.0) as emulator:
        llm = LLMComplexityClassifier(region_name="us-east-1", endpoint_url=emulator.endpoint_url)
        cascade = BandedClassifier(
            second=LLMComplexityClassifier(region_name="us-east-1", endpoint_url=emulator.endpoint_url)
        )
        classifiers: list[tuple[str, ScoringClassifier | BandedClassifier]] = [
            ("llm (emulator)", llm),
            ("cascade (emulator)", cascade),
            ("heuristic, same rows", HeuristicComplexityClassifier()),
        ]
        lines = []
        for name, classifier in classifiers:
            started = time.perf_counter()
            scores = np.array([classifier.invoke(r.prompt).score for r in rows])
            millis = (time.perf_counter() - started) * 1000.0 / len(rows)
            lines.append(f"  {name:<22} APGR {cross_domain.quality(scores, rows).apgr:.3f}, {millis:.2f} ms/request")
    usage = llm.usage
    return (
        f"LLM classifier and cascade on {len(rows)} knowledge rows against the offline emulator (latency_scale=0: "
        "client + HTTP overhead only); its ratings are synthetic, so these APGRs measure the emulator, not Nova "
        "Micro.\n"
        + "\n".join(lines)
        + f"\n  LLM classifier usage: {usage.calls} calls, {usage.input_tokens} input + {usage.output_tokens} output "
        f"tokens, ${usage.cost_usd or 0:.5f} at Nova Micro prices, {usage.failures} fallbacks."
    )


def main(argv: list[str] | None = None) -> None:
    """Run the evaluation and print the tables."""
    parser = argparse.ArgumentParser(description="Replay routing-eval data through each classifier, per domain.")
    parser.add_argument("mmlu", nargs="?", default=str(DEFAULT_DATA), help="MMLU routing-eval JSONL (its NOTICE.md)")
    parser.add_argument("--llm-sample", type=int, default=200, help="knowledge rows for the LLM/cascade (0 skips)")
    parser.add_argument("--limit", type=int, default=0, help="at most this many rows per domain (0: all; for tests)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    domains = load_domains(args.mmlu)
    if args.limit > 0:
        domains = {d: cross_domain.capped(rows, args.limit) for d, rows in domains.items()}
    scored = {d: scored_rows(d, rows) for d, rows in domains.items()}
    print("scored rows: " + ", ".join(f"{d} {len(rows)}" for d, rows in scored.items()))
    print(PROTOCOL)
    scores = _scores(domains)
    results = {name: _qualities(by_domain, scored) for name, by_domain in scores.items()}
    print(_table(results, "APGR", "apgr"))
    print()
    print(_table(results, "CPT(50%) / CPT(80%)", "cpt"))
    print(_verdict(scores, results, scored))
    print(_tiers_and_latency([r for rows in scored.values() for r in rows]))
    if args.llm_sample > 0:
        print(_llm_rows(scored["knowledge"], args.llm_sample))
    print(f"total {time.perf_counter() - started:.1f}s")


if __name__ == "__main__":
    main()
