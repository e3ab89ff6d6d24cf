"""The router a user trains (``bedrock-routing train``'s API, :func:`train_router`) in ``make eval-router``.

Its training data is always an outcomes file's records: the weak/strong rows are written as lines of the
documented format (weak model as ``simple``, strong as ``complex``, as ``convert_pairs`` writes them) and
parsed back, then :func:`train_router` fits, calibrates and tests on them with its defaults (hashing
embeddings, its own 60/20/20 hash split: only 60% of what it is given fits the model). Two protocols:

- leave one domain out (:func:`lodo`): fitted on the other domains' fitting rows, scored on this one;
- within the domain (:func:`within`): what a user's own outcomes buy. Where the domain has a held-out split
  (knowledge), fitted on its training split and scored on the held-out rows; elsewhere two halves by a
  prompt hash, each half scored by the router fitted on the other (every row by a router that never saw it).

Each domain contributes at most :data:`evals.cross_domain.EMBEDDING_ROWS_PER_DOMAIN` fitting rows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

from evals.cross_domain import Scores, capped
from evals.data import SPLIT_DOMAINS, Row, fit_rows
from langchain_bedrock_routing.learning import Outcome, from_pairs, train_router
from langchain_bedrock_routing.learning.outcomes import dump_outcome, iter_outcomes


def outcomes(rows: Sequence[Row]) -> list[Outcome]:
    """``rows`` as the records of an outcomes file (written as its lines and parsed back)."""
    pairs = [{"prompt": r.prompt, "weak_correct": r.weak_correct, "strong_correct": r.strong_correct} for r in rows]
    return list(iter_outcomes((dump_outcome(o) for o in from_pairs(pairs)), source="<evals>"))


def fitted_scores(train: Sequence[Row], rows: Sequence[Row], source: str) -> NDArray[np.float64]:
    """Scores of ``rows`` by a router trained on ``train``'s outcomes."""
    report = train_router(outcomes(train), source=source)
    return report.classifier.score_texts([r.prompt for r in rows])


def lodo(domains: Mapping[str, Sequence[Row]]) -> Scores:
    """Trained on every other domain's fitting rows, scored on the held-out domain."""

    def score(domain: str, rows: Sequence[Row]) -> NDArray[np.float64]:
        train = [r for d, others in domains.items() if d != domain for r in capped(fit_rows(d, list(others)))]
        return fitted_scores(train, rows, f"evals: every domain but {domain}")

    return score


def within(domains: Mapping[str, Sequence[Row]]) -> Scores:
    """Trained on part of the domain itself, scored on rows it did not see (the module docstring's protocol)."""

    def score(domain: str, rows: Sequence[Row]) -> NDArray[np.float64]:
        if domain in SPLIT_DOMAINS:
            return fitted_scores(capped(fit_rows(domain, list(domains[domain]))), rows, f"evals: {domain} train split")
        halves = np.array([second_half(r) for r in rows])
        scores = np.zeros(len(rows))
        for half in (False, True):
            train = [r for r, h in zip(rows, halves, strict=True) if h != half]
            scored = [r for r, h in zip(rows, halves, strict=True) if h == half]
            scores[halves == half] = fitted_scores(capped(train), scored, f"evals: half of {domain}")
        return scores

    return score


def second_half(row: Row) -> bool:
    """Which half of its domain the row is in for :func:`within` (a stable prompt hash, independent of
    ``Row.held_out``'s)."""
    digest = hashlib.blake2b(row.prompt.encode("utf-8"), digest_size=8, person=b"half").digest()
    return bool(digest[0] & 1)
