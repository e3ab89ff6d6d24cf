"""Fit the default heuristic's weights on per-model outcomes across domains; write ``heuristic_weights.json``.

    python -m evals.fit_heuristic [mmlu.jsonl] [--out path]

Protocol: with the length weight fixed at 1 (the unit of the score), a coordinate search over
:data:`GRID` sets each weight in :data:`FITTED` to maximise the mean APGR over the domains it is
given, each domain counting equally, with the :data:`TIER_FITTED` weights in the score as they will
ship (the fit ranks prompts by the score the classifier computes). :func:`leave_one_domain_out`
repeats the fit once per domain without that domain, which is how ``make eval-router`` measures
the heuristic on a domain it was not fitted on. The shipped weights are one fit on every domain's
fitting rows (``evals.data.fit_rows``); the :data:`TIER_FITTED` weights and the score ``offset``
and ``scale`` (where the default tier cut points fall) are chosen on the hand-labelled dev tier set
only (the test half is for figures); the two steps alternate, from tier weights 0, until the tier
weights stop changing (:func:`fit_with_tiers`). Weights in :data:`HAND_SET` have no outcome data
(multi-turn context, attachments) and keep the values stated there.
"""

from __future__ import annotations

import argparse
import itertools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.messages import BaseMessage, convert_to_messages
from numpy.typing import NDArray

from evals.data import DEFAULT_DATA, OUTCOME_FILES, Row, TierExample, fit_rows, load_domains, load_tiers
from langchain_bedrock_routing.catalog import TIERS
from langchain_bedrock_routing.routing.classifiers import (
    HeuristicComplexityClassifier,
    HeuristicWeights,
    apgr,
    routing_curve,
)
from langchain_bedrock_routing.routing.classifiers import heuristic as heuristic_module

FITTED = ("reasoning", "multi_part", "math", "code", "code_words", "acronyms", "questions", "sentences", "personal")
COLUMNS = ("length", *FITTED)
HAND_SET: dict[str, float] = {"saturation_tokens": 2000, "context": 0.15, "depth": 0.05, "image": 0.3, "document": 0.4}
GRID = (0.0, 0.1, 0.2, 0.4, 0.7, 1.0)
"""Candidate weights in units of (length's spread / the feature's spread) over the fitting rows."""
SWEEPS = 2
TIER_FITTED = ("asks", "tasks")
"""Features whose weights are chosen on the dev tiers rather than on outcomes (they do not predict outcome gaps
in this data, but the tier rubric rests on them: demanding asks, and how many actions a turn requests)."""
TIER_GRID = (0.0, 0.25, 0.5, 0.75, 1.0)
"""Candidate weights for :data:`TIER_FITTED` (coarse: the dev half is small)."""
OFFSETS = tuple(round(0.05 * i, 2) for i in range(61))
SCALES = tuple(round(0.02 * i, 2) for i in range(1, 51))
"""Candidate score offsets (0 to 3) and scales (0.02 to 1), chosen on the dev tier half."""
ROUNDS = 5
"""At most this many fit-then-calibrate rounds before the tier weights must have settled."""
SHIPPED = Path(heuristic_module.__file__).with_name(heuristic_module.WEIGHTS_FILE)


@dataclass(frozen=True)
class Outcomes:
    """One domain's raw (unweighted) feature matrix, columns :data:`COLUMNS`, and each model's outcomes;
    ``tiered`` holds the raw :data:`TIER_FITTED` features and ``fixed`` their weighted sum per row (the part of
    the score the fit does not set)."""

    features: NDArray[np.float64]
    weak: NDArray[np.float64]
    strong: NDArray[np.float64]
    tiered: NDArray[np.float64] | None = None
    fixed: NDArray[np.float64] | float = 0.0

    def apgr(self, weights: NDArray[np.float64]) -> float:
        """APGR of the router scoring ``features @ weights + fixed``."""
        return apgr(routing_curve(self.features @ weights + self.fixed, self.weak, self.strong))

    def fixed_at(self, tier_weights: Mapping[str, float]) -> Outcomes:
        """These outcomes with ``fixed`` set to the :data:`TIER_FITTED` features at ``tier_weights``."""
        if self.tiered is None:
            raise ValueError("these outcomes carry no tier features (build them with outcomes())")
        fixed = self.tiered @ np.array([tier_weights[name] for name in TIER_FITTED])
        return replace(self, fixed=fixed)


def outcomes(rows: Sequence[Row]) -> Outcomes:
    """Raw features of each row's prompt (the classifier with unit weights) and the two outcome columns."""
    unit = HeuristicComplexityClassifier(
        weights=HeuristicWeights.model_validate(dict.fromkeys((*COLUMNS, *TIER_FITTED), 1.0))
    )
    values = [unit.features(convert_to_messages([("human", r.prompt)])) for r in rows]
    return Outcomes(
        np.array([[v[name] for name in COLUMNS] for v in values], dtype=np.float64),
        np.array([r.weak_correct for r in rows], dtype=np.float64),
        np.array([r.strong_correct for r in rows], dtype=np.float64),
        np.array([[v[name] for name in TIER_FITTED] for v in values], dtype=np.float64),
    )


def fit(domains: Mapping[str, Outcomes]) -> dict[str, float]:
    """Weights of :data:`COLUMNS` (length 1) maximising the mean APGR over ``domains`` by coordinate search."""
    spread = np.vstack([d.features for d in domains.values()]).std(axis=0)
    step = np.where(spread > 0.0, spread[0] / np.where(spread > 0.0, spread, 1.0), 0.0)
    weights = np.zeros(len(COLUMNS))
    weights[0] = 1.0

    def mean_apgr(candidate: NDArray[np.float64]) -> float:
        return float(np.mean([d.apgr(candidate) for d in domains.values()]))

    best = mean_apgr(weights)
    for _ in range(SWEEPS):
        for column in range(1, len(COLUMNS)):
            for value in GRID:
                candidate = weights.copy()
                candidate[column] = value * step[column]
                quality = mean_apgr(candidate)
                if quality > best + 1e-9:
                    best, weights = quality, candidate
    return {name: round(float(w), 4) for name, w in zip(COLUMNS, weights, strict=True)}


def leave_one_domain_out(domains: Mapping[str, Outcomes]) -> dict[str, dict[str, float]]:
    """For each domain, the weights fitted on every other domain."""
    return {held: fit({d: o for d, o in domains.items() if d != held}) for held in domains}


def tier_accuracy(classifier: HeuristicComplexityClassifier, examples: Sequence[TierExample]) -> float:
    """Share of ``examples`` whose tier the classifier gets right."""
    hits = sum(classifier.invoke(conversation(e)).tier == e.tier for e in examples)
    return hits / len(examples)


def conversation(example: TierExample) -> list[BaseMessage]:
    """The example's turns as LangChain messages."""
    return convert_to_messages(list(example.turns))


def calibrate(weights: Mapping[str, float], examples: Sequence[TierExample]) -> dict[str, float]:
    """Weights of :data:`TIER_FITTED`, ``offset``, ``scale`` and the balanced accuracy (mean recall of the three
    tiers, so no tier's band collapses) of the grid point that maximises it on ``examples`` (ties: the first)."""
    unit = {**weights, **dict.fromkeys(TIER_FITTED, 1.0), "offset": 0.0, "scale": 1.0}
    classifier = HeuristicComplexityClassifier(weights=HeuristicWeights.model_validate(unit))
    contributions = [classifier.features(conversation(e)) for e in examples]
    chosen = np.array([[c[name] for name in TIER_FITTED] for c in contributions])
    rest = np.array([sum(c.values()) for c in contributions]) - chosen.sum(axis=1)
    labels = np.array([e.tier for e in examples])
    cuts = classifier.thresholds
    best = {"accuracy": -1.0}
    for tier_weights in itertools.product(TIER_GRID, repeat=len(TIER_FITTED)):
        z = rest + chosen @ np.array(tier_weights)
        for offset, scale in itertools.product(OFFSETS, SCALES):
            score = 1.0 / (1.0 + np.exp(-np.clip((z - offset) / scale, -50.0, 50.0)))
            tiers = np.where(score >= cuts.complex, "complex", np.where(score >= cuts.medium, "medium", "simple"))
            accuracy = float(np.mean([np.mean(tiers[labels == tier] == tier) for tier in TIERS]))
            if accuracy > best["accuracy"]:
                best = {**dict(zip(TIER_FITTED, tier_weights, strict=True)), "offset": offset, "scale": scale}
                best["accuracy"] = accuracy
    return best


def fit_with_tiers(
    domains: Mapping[str, Outcomes], examples: Sequence[TierExample]
) -> tuple[dict[str, float], dict[str, float]]:
    """Outcome weights (with :data:`HAND_SET`) and :func:`calibrate`'s choice on ``examples``, alternated from tier
    weights 0 until the tier weights repeat; raises ``RuntimeError`` if they have not after :data:`ROUNDS` rounds."""
    tier_weights = dict.fromkeys(TIER_FITTED, 0.0)
    for _ in range(ROUNDS):
        weights = {**fit({d: o.fixed_at(tier_weights) for d, o in domains.items()}), **HAND_SET}
        tiers = calibrate(weights, examples)
        if all(tiers[name] == tier_weights[name] for name in TIER_FITTED):
            return weights, tiers
        tier_weights = {name: tiers[name] for name in TIER_FITTED}
    raise RuntimeError(f"tier weights still changing after {ROUNDS} rounds (last {tier_weights})")


def main(argv: list[str] | None = None) -> None:
    """Fit on every domain's fitting rows, choose the scale on the dev tiers and write the weights file."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("mmlu", nargs="?", default=str(DEFAULT_DATA), help="MMLU routing-eval JSONL")
    parser.add_argument("--out", default=str(SHIPPED), help="weights file to write (default: the shipped one)")
    args = parser.parse_args(argv)
    domains = load_domains(args.mmlu)
    raw = {d: outcomes(fit_rows(d, rows)) for d, rows in domains.items()}
    weights, tiers = fit_with_tiers(raw, load_tiers("dev"))
    provenance: dict[str, Any] = {
        "generated_by": "python -m evals.fit_heuristic",
        "fitted": list(FITTED),
        "fitted_on": {d: len(fit_rows(d, rows)) for d, rows in domains.items()},
        "data": {
            "knowledge, math": f"{Path(args.mmlu).name} (MMLU, training split only)",
            **{d: f"evals/data/{name}" for d, name in OUTCOME_FILES.items()},
        },
        "protocol": "length weight 1; coordinate search over the grid maximising mean APGR, each domain equal, "
        "with asks and tasks in the score at their shipped weights (fit and tier choice alternated until these "
        "settled)",
        "grid": list(GRID),
        "hand_set": "saturation_tokens, context, depth, image, document: no outcome data (kept from the MMLU-era "
        "defaults)",
        "asks, tasks, offset, scale": "chosen on evals/data/tiers_dev.jsonl for the default tier cut points 0.35/0.65 "
        f"(dev balanced accuracy {tiers['accuracy']:.3f}); evals/data/tiers_test.jsonl is not used",
        "not_used": "RouteLLM GSM8K and MT-Bench files (kept to check generalisation)",
    }
    data = {
        "format": heuristic_module.WEIGHTS_FORMAT,
        "weights": {**weights, **{k: tiers[k] for k in (*TIER_FITTED, "offset", "scale")}},
        "provenance": provenance,
    }
    Path(args.out).write_text(json.dumps(data, indent=1) + "\n", "utf-8")
    print(json.dumps(data["weights"]))
    print(f"dev tier accuracy {tiers['accuracy']:.1%}; wrote {args.out}")


if __name__ == "__main__":
    main()
