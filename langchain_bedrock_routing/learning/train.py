"""Training: outcomes in, a three-tier router out (``bedrock-routing train`` runs :func:`train_router`).

Protocol (never tune and measure on the same rows): a stable hash of each record's text puts 60% in
the training split (fits the model), 20% in the calibration split (chooses the thresholds for the
target) and 20% in the test split (every reported figure). The model is
:class:`~langchain_bedrock_routing.routing.classifiers.TrainedClassifier`, logistic regression over
the embeddings of the last user turn, fitted to the tier each request needs
(:func:`~langchain_bedrock_routing.learning.tiers.needed_tier`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings
from numpy.typing import NDArray

from langchain_bedrock_routing.catalog import TIERS, Tier
from langchain_bedrock_routing.embeddings import HashingEmbeddings
from langchain_bedrock_routing.learning import calibrate
from langchain_bedrock_routing.learning.calibrate import CalibrationTarget, CurvePoint
from langchain_bedrock_routing.learning.outcomes import Outcome
from langchain_bedrock_routing.learning.tiers import GOOD_ENOUGH, needed_tier, quality_matrix, tier_scores
from langchain_bedrock_routing.routing.classifiers import (
    HeuristicComplexityClassifier,
    TrainedClassifier,
    apgr,
    routing_curve,
)

SPLITS = ("train", "calibrate", "test")
SPLIT_PERCENT = (60, 20, 20)
MIN_ROWS = 30
DIMENSIONS = 1024
FIT = {"epochs": 400, "learning_rate": 2.0, "l2": 1e-3}
"""Logistic-regression settings (those of the shipped embedding classifier)."""


def split_of(outcome: Outcome) -> str:
    """The record's split, from a stable hash of its text (the same on every machine and run)."""
    digest = hashlib.blake2b(repr(outcome.messages).encode("utf-8"), digest_size=8).digest()
    bucket = int.from_bytes(digest, "little") % 100
    return SPLITS[0] if bucket < SPLIT_PERCENT[0] else SPLITS[1] if bucket < 100 - SPLIT_PERCENT[2] else SPLITS[2]


@dataclass(frozen=True)
class Scored:
    """One split's records with the router's scores, quality (n x 3) and cost (n x 3, USD per request)."""

    outcomes: list[Outcome]
    scores: NDArray[np.float64]
    quality: NDArray[np.float64]
    cost: NDArray[np.float64]
    needed: NDArray[np.int_]
    """Index in ``TIERS`` of each record's needed tier."""


@dataclass
class TrainingReport:
    """What :func:`train_router` produced: the router and the figures behind its thresholds."""

    classifier: TrainedClassifier
    rows: dict[str, int]
    target: CalibrationTarget
    target_met: bool
    chosen: CurvePoint
    """The thresholds' point on the calibration split."""
    test: CurvePoint
    """The same thresholds replayed on the test split."""
    curve: list[CurvePoint]
    """The test split's cost/quality curve."""
    apgr: dict[str, float | None]
    """Test-split APGR (simple vs complex tier) of the trained router, the default heuristic and prompt length."""
    measured: dict[Tier, int] = field(default_factory=dict)
    """Test records with a recorded outcome per tier."""
    single_tier: dict[Tier, tuple[float, float]] = field(default_factory=dict)
    """Test split with every request on one tier: (mean quality, USD per 1,000 requests)."""


def train_router(
    outcomes: Sequence[Outcome],
    *,
    embeddings: Embeddings | None = None,
    tiers: Mapping[str, Tier] | None = None,
    target: CalibrationTarget | None = None,
    good_enough: float = GOOD_ENOUGH,
    preset: str = "claude",
    source: str = "",
) -> TrainingReport:
    """Fit, calibrate and test a router on ``outcomes``; ``tiers`` maps outcome keys that are not tiers or
    catalog model ids. Raises ``ValueError`` when a split is too small or a key cannot be mapped."""
    target = target or CalibrationTarget()
    parts: dict[str, list[Outcome]] = {name: [] for name in SPLITS}
    for outcome in outcomes:
        parts[split_of(outcome)].append(outcome)
    if len(outcomes) < MIN_ROWS or not all(parts.values()):
        raise ValueError(
            f"need at least {MIN_ROWS} outcome records with every split non-empty; got "
            + ", ".join(f"{name} {len(rows)}" for name, rows in parts.items())
        )
    labels = [needed_tier(tier_scores(o, tiers), good_enough) for o in parts["train"]]
    classifier = TrainedClassifier(embeddings=embeddings or HashingEmbeddings(DIMENSIONS))
    classifier.fit([o.text for o in parts["train"]], labels, **FIT)  # type: ignore[arg-type]
    cal, test = (_scored(classifier, parts[name], tiers, preset, good_enough) for name in SPLITS[1:])
    if target.kind in ("quality", "recover") and np.allclose(cal.quality[:, 0], cal.quality[:, 2]):
        raise ValueError(
            f"the target {target} compares tiers, but no calibration record scores its tiers differently (one "
            "tier recorded per request, as with app feedback): use a strong-share or cost target instead"
        )
    chosen, met = calibrate.choose(calibrate.sweep(cal.scores, cal.quality, cal.cost, cal.needed), target)
    classifier.thresholds = chosen.thresholds
    report = TrainingReport(
        classifier=classifier,
        rows={name: len(rows) for name, rows in parts.items()},
        target=target,
        target_met=met,
        chosen=chosen,
        test=calibrate.replay(test.scores, test.quality, test.cost, chosen.thresholds, test.needed),
        curve=calibrate.frontier(calibrate.sweep(test.scores, test.quality, test.cost, test.needed)),
        apgr=_apgrs(test),
        measured={t: sum(t in tier_scores(o, tiers) for o in test.outcomes) for t in TIERS},
        single_tier={
            t: (float(test.quality[:, i].mean()), float(test.cost[:, i].mean() * 1000)) for i, t in enumerate(TIERS)
        },
    )
    classifier.metadata = _metadata(report, labels, good_enough, preset, source)
    return report


def _scored(
    classifier: TrainedClassifier,
    outcomes: list[Outcome],
    tiers: Mapping[str, Tier] | None,
    preset: str,
    good_enough: float,
) -> Scored:
    quality, _ = quality_matrix(outcomes, tiers)
    scores = classifier.score_texts([o.text for o in outcomes])
    needed = np.array([TIERS.index(needed_tier(tier_scores(o, tiers), good_enough)) for o in outcomes])
    return Scored(outcomes, scores, quality, calibrate.tier_costs(outcomes, preset), needed)


def _apgrs(test: Scored) -> dict[str, float | None]:
    heuristic = HeuristicComplexityClassifier()
    signals = {
        "trained": test.scores,
        "default heuristic": np.array([heuristic.invoke(o.to_messages()).score for o in test.outcomes]),
        "prompt length": np.array([float(len(o.text)) for o in test.outcomes]),
    }
    weak, strong = test.quality[:, 0], test.quality[:, 2]
    if float(weak.mean()) == float(strong.mean()):
        return dict.fromkeys(signals)
    return {name: apgr(routing_curve(signal, weak, strong)) for name, signal in signals.items()}


def _metadata(
    report: TrainingReport, labels: Sequence[str], good_enough: float, preset: str, source: str
) -> dict[str, Any]:
    def point(p: CurvePoint) -> dict[str, Any]:
        return {
            "shares": {t: round(s, 4) for t, s in zip(TIERS, p.shares, strict=True)},
            "quality": round(p.quality, 4),
            "cost_per_1k_usd": round(p.cost_per_1k, 6),
            "recovered": None if np.isnan(p.recovered) else round(p.recovered, 4),
            "needed_tier_agreement": round(p.agreement, 4),
        }

    return {
        "training": {
            "source": source,
            "trained": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "rows": report.rows,
            "protocol": "hash split 60/20/20: fit on train, thresholds on calibrate, figures on test",
            "label_rule": f"cheapest tier scoring >= {good_enough}, else the cheapest best-scoring tier",
            "labels": {t: labels.count(t) for t in TIERS},
            "model": "logistic regression on the last user turn's embedding, "
            + ", ".join(f"{k} {v}" for k, v in FIT.items()),
        },
        "calibration": {
            "target": str(report.target),
            "target_met": report.target_met,
            "preset": preset,
            "output_tokens": calibrate.OUTPUT_TOKENS,
            "calibration_split": point(report.chosen),
            "test_split": point(report.test),
            "test_apgr": {k: None if v is None else round(v, 4) for k, v in report.apgr.items()},
        },
    }
