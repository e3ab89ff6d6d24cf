"""From outcomes to tiers: which tier each outcome key stands for, and the tier a request needs.

The rule: a request needs the cheapest tier (simple < medium < complex) whose score is at least
``good_enough`` (default 0.5). When no recorded tier is good enough, it needs the tier above the
strongest one recorded (a thumbs-down on a simple-tier answer asks for medium); when the complex tier
was recorded and failed too, the cheapest of the tiers with the highest score (paying for a stronger
tier that does no better buys nothing). For a weak/strong pair recorded as simple/complex this reads:
weak good -> simple; weak bad and strong good -> complex; both bad (equal scores) -> simple.

Quality estimates need a score for every tier. A tier without an outcome counts as the nearest
cheaper tier that has one (else the nearest stronger one): an estimate never credits a tier with
quality nobody measured, so with weak/strong pairs alone the middle tier adds cost and no quality.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

from langchain_bedrock_routing.catalog import TIERS, Tier, UnknownModelError, get_catalog
from langchain_bedrock_routing.learning.outcomes import Outcome

GOOD_ENOUGH = 0.5


def tier_of(key: str, mapping: Mapping[str, Tier] | None = None) -> Tier:
    """The tier an outcome key stands for: ``mapping`` first, then a tier name, then the catalog's tier of a model id.

    Raises ``ValueError`` naming the key and how to map it.
    """
    if mapping and key in mapping:
        return mapping[key]
    if key in TIERS:
        return key
    try:
        return get_catalog().get(key).tier
    except UnknownModelError:
        raise ValueError(
            f"outcome key {key!r} is neither a tier ({', '.join(TIERS)}) nor a model id in the catalog: map it "
            f"with tiers={{{key!r}: 'simple'}} (CLI: --tier {key}=simple)"
        ) from None


def tier_scores(outcome: Outcome, mapping: Mapping[str, Tier] | None = None) -> dict[Tier, float]:
    """Score per recorded tier (the mean when several keys map to one tier)."""
    grouped: dict[Tier, list[float]] = {}
    for key, score in outcome.outcomes.items():
        grouped.setdefault(tier_of(key, mapping), []).append(score)
    return {tier: float(np.mean(scores)) for tier, scores in grouped.items()}


def needed_tier(scores: Mapping[Tier, float], good_enough: float = GOOD_ENOUGH) -> Tier:
    """The tier a request needs under the module's rule; ``scores`` must hold at least one tier."""
    recorded = [t for t in TIERS if t in scores]
    if not recorded:
        raise ValueError("no tier has an outcome")
    good = [t for t in recorded if scores[t] >= good_enough]
    if good:
        return good[0]
    strongest = TIERS.index(recorded[-1])
    if strongest + 1 < len(TIERS):
        return TIERS[strongest + 1]
    best = max(scores[t] for t in recorded)
    return next(t for t in recorded if scores[t] == best)


def filled(scores: Mapping[Tier, float]) -> tuple[float, ...]:
    """A score for every tier in ``TIERS`` order, missing ones filled by the module's rule."""
    values = []
    for index, tier in enumerate(TIERS):
        if tier in scores:
            values.append(scores[tier])
            continue
        cheaper = [scores[t] for t in TIERS[:index] if t in scores]
        stronger = [scores[t] for t in TIERS[index + 1 :] if t in scores]
        values.append(cheaper[-1] if cheaper else stronger[0])
    return tuple(values)


def tier_quality(outcome: Outcome, mapping: Mapping[str, Tier] | None = None) -> tuple[float, ...]:
    """The outcome's score on every tier in ``TIERS`` order (missing tiers filled by the module's rule)."""
    return filled(tier_scores(outcome, mapping))


def quality_matrix(
    outcomes: Sequence[Outcome], mapping: Mapping[str, Tier] | None = None
) -> tuple[NDArray[np.float64], list[frozenset[Tier]]]:
    """(n x 3 filled scores, the tiers each record actually measured)."""
    by_record = [tier_scores(o, mapping) for o in outcomes]
    return np.array([filled(s) for s in by_record], dtype=np.float64), [frozenset(s) for s in by_record]
