"""evals.fit_heuristic: the cross-domain weight fit never sees the domain it is scored on."""

from __future__ import annotations

import numpy as np
import pytest

from evals.data import Row, load_tiers
from evals.fit_heuristic import (
    COLUMNS,
    HAND_SET,
    TIER_FITTED,
    Outcomes,
    calibrate,
    fit,
    fit_with_tiers,
    leave_one_domain_out,
    outcomes,
)
from langchain_bedrock_routing.routing.classifiers import apgr, routing_curve


def _domain(signal: str, seed: int, rows: int = 400) -> Outcomes:
    """Outcomes where only ``signal`` (and nothing else, not even length) tells where the strong model wins."""
    draw = np.random.default_rng(seed)
    features = draw.random((rows, len(COLUMNS)))
    strong_wins = features[:, COLUMNS.index(signal)] > 0.5
    weak = np.where(strong_wins, 0.0, 1.0)
    return Outcomes(features, weak, np.ones(rows))


def test_fit_weights_the_feature_that_predicts_the_gain():
    weights = fit({"a": _domain("code", 1), "b": _domain("code", 2)})
    assert weights["length"] == 1.0
    assert weights["code"] > 0.0
    assert weights["code"] == max(v for k, v in weights.items() if k != "length")


def test_each_fold_is_fitted_without_its_domain():
    domains = {"questions": _domain("questions", 3), "code": _domain("code", 4), "acronyms": _domain("acronyms", 5)}
    folds = leave_one_domain_out(domains)
    assert folds["questions"] == fit({"code": domains["code"], "acronyms": domains["acronyms"]})
    assert folds["questions"]["questions"] == 0.0  # only its own domain rewards it
    assert folds["code"]["questions"] > 0.0


def test_the_fit_ranks_by_the_score_with_the_tier_weights_in_it():
    domain = _domain("code", 6)
    draw = np.random.default_rng(7)
    tiered = draw.random((len(domain.weak), len(TIER_FITTED)))
    fixed = Outcomes(domain.features, domain.weak, domain.strong, tiered).fixed_at({"asks": 0.5, "tasks": 2.0})
    weights = np.ones(len(COLUMNS))
    assert fixed.fixed == pytest.approx(tiered @ np.array([0.5, 2.0]))
    expected = apgr(
        routing_curve(domain.features @ weights + tiered @ np.array([0.5, 2.0]), domain.weak, domain.strong)
    )
    assert fixed.apgr(weights) == pytest.approx(expected)
    # tier features that already carry the signal leave nothing for the fitted features to add
    carried = Outcomes(domain.features, domain.weak, domain.strong, domain.features[:, [COLUMNS.index("code")] * 2])
    assert fit({"a": domain})["code"] > 0.0
    assert fit({"a": carried.fixed_at({"asks": 1000.0, "tasks": 1000.0})})["code"] == 0.0
    with pytest.raises(ValueError, match="no tier features"):
        domain.fixed_at({"asks": 1.0, "tasks": 1.0})


def test_fit_and_tier_choice_alternate_until_the_tier_weights_settle():
    raw = {"a": outcomes(_rows(0)), "b": outcomes(_rows(1))}
    examples = load_tiers("dev")
    weights, tiers = fit_with_tiers(raw, examples)
    settled = {name: tiers[name] for name in TIER_FITTED}
    assert weights == {**fit({d: o.fixed_at(settled) for d, o in raw.items()}), **HAND_SET}
    assert calibrate(weights, examples) == tiers  # one more round changes nothing


def _rows(seed: int) -> list[Row]:
    """Prompts whose strong model wins when they ask a question (a feature the fit weights)."""
    draw = np.random.default_rng(seed)
    texts = ["What is the capital of France", "Design and compare two caches", "Explain and summarize the plan"]
    rows = []
    for i in range(120):
        asked = bool(draw.random() < 0.5)
        prompt = f"{texts[i % 3]} for case {i}" + ("?" if asked else ".")
        rows.append(Row(prompt, "synthetic", 0.0 if asked else 1.0, 1.0, "a"))
    return rows
