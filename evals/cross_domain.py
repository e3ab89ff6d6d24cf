"""Leave-one-domain-out scoring: every fitted classifier is scored on a domain it was not fitted on.

For each domain in ``evals.data.DOMAINS``, the heuristic's outcome weights (``evals.fit_heuristic``)
and an embedding classifier (``evals.train_embedding``'s recipe) are fitted on the other domains'
fitting rows and score the held-out domain's scored rows (``evals.data.fit_rows`` / ``scored_rows``).
The shipped classifiers are scored too, marked with what they were fitted on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from evals import fit_heuristic, train_embedding
from evals.data import Row, fit_rows, scored_rows
from langchain_bedrock_routing.embeddings import HashingEmbeddings
from langchain_bedrock_routing.routing.classifiers import (
    EmbeddingComplexityClassifier,
    HeuristicComplexityClassifier,
    HeuristicWeights,
    apgr,
    cpt,
    routing_curve,
)

EMBEDDING_ROWS_PER_DOMAIN = 3000
"""Cap on each domain's rows in an embedding or trained-router fold fit (a hash-ordered sample), so MMLU does not
swamp the rest."""
Scores = Callable[[str, Sequence[Row]], NDArray[np.float64]]
"""(held-out domain, its scored rows) -> one routing score per row (higher = strong model)."""


@dataclass(frozen=True)
class Quality:
    """RouteLLM's metrics for one classifier on one domain."""

    apgr: float
    cpt50: float
    cpt80: float


def quality(scores: NDArray[np.float64], rows: Sequence[Row]) -> Quality:
    """APGR, CPT(50%) and CPT(80%) of ``scores`` on ``rows``."""
    curve = routing_curve(scores, [r.weak_correct for r in rows], [r.strong_correct for r in rows])
    return Quality(apgr(curve), cpt(curve, 0.5), cpt(curve, 0.8))


def scores(scorer: Scores, domains: Mapping[str, Sequence[Row]]) -> dict[str, NDArray[np.float64]]:
    """``scorer``'s scores of each domain's scored rows."""
    return {domain: scorer(domain, scored_rows(domain, list(rows))) for domain, rows in domains.items()}


def margin_sd(
    better: NDArray[np.float64], baseline: NDArray[np.float64], rows: Sequence[Row], resamples: int = 200
) -> float:
    """Bootstrap standard deviation of ``APGR(better) - APGR(baseline)`` over resamples of ``rows`` (seed 0);
    a resample where the two models tie on average (no gap: APGR undefined) is skipped."""
    draw = np.random.default_rng(0)
    margins = []
    for _ in range(resamples):
        pick = draw.integers(0, len(rows), len(rows))
        sample = [rows[i] for i in pick]
        if sum(r.strong_correct - r.weak_correct for r in sample) == 0:
            continue
        margins.append(quality(better[pick], sample).apgr - quality(baseline[pick], sample).apgr)
    return float(np.std(margins))


def random_scores(seed: int = 0) -> Scores:
    """Uniform noise (APGR about 0.5)."""
    noise = np.random.default_rng(seed)
    return lambda _domain, rows: noise.random(len(rows))


def length_scores(_domain: str, rows: Sequence[Row]) -> NDArray[np.float64]:
    """Prompt length in characters."""
    return np.array([len(r.prompt) for r in rows], dtype=np.float64)


def heuristic_scores(classifier: HeuristicComplexityClassifier) -> Scores:
    """One fixed heuristic classifier's scores."""
    return lambda _domain, rows: np.array([classifier.invoke(r.prompt).score for r in rows])


def heuristic_lodo(domains: Mapping[str, Sequence[Row]]) -> Scores:
    """The heuristic with outcome weights fitted on the other domains (everything else as shipped, and in the
    score the fit ranks by)."""
    shipped = HeuristicWeights().model_dump()
    fitted = {d: fit_heuristic.outcomes(fit_rows(d, list(rows))).fixed_at(shipped) for d, rows in domains.items()}
    folds = fit_heuristic.leave_one_domain_out(fitted)

    def score(domain: str, rows: Sequence[Row]) -> NDArray[np.float64]:
        weights = HeuristicWeights(**{**shipped, **folds[domain]})
        return heuristic_scores(HeuristicComplexityClassifier(weights=weights))(domain, rows)

    return score


def embedding_scores(classifier: EmbeddingComplexityClassifier) -> Scores:
    """One fixed embedding classifier's scores."""
    return lambda _domain, rows: classifier.score_texts([r.prompt for r in rows])


def embedding_lodo(domains: Mapping[str, Sequence[Row]]) -> Scores:
    """An embedding classifier trained (``evals.train_embedding``'s recipe) on the other domains' fitting rows."""

    def score(domain: str, rows: Sequence[Row]) -> NDArray[np.float64]:
        train = [r for d, others in domains.items() if d != domain for r in capped(fit_rows(d, list(others)))]
        classifier = EmbeddingComplexityClassifier(embeddings=HashingEmbeddings(train_embedding.DIMENSIONS))
        classifier.fit(
            [r.prompt for r in train],
            [(r.strong_correct - r.weak_correct + 1) / 2 for r in train],
            epochs=train_embedding.EPOCHS,
            learning_rate=train_embedding.LEARNING_RATE,
            l2=train_embedding.L2,
        )
        return classifier.score_texts([r.prompt for r in rows])

    return score


def capped(rows: list[Row], limit: int = EMBEDDING_ROWS_PER_DOMAIN) -> list[Row]:
    """At most ``limit`` rows, the same ones on every run (ordered by a prompt hash)."""
    if len(rows) <= limit:
        return rows
    return sorted(rows, key=lambda r: hashlib.blake2b(r.prompt.encode("utf-8"), digest_size=8).digest())[:limit]
