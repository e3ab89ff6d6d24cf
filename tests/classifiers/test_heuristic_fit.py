"""evals.fit_heuristic: the cross-domain weight fit never sees the domain it is scored on."""

from __future__ import annotations

import numpy as np

from evals.fit_heuristic import COLUMNS, Outcomes, fit, leave_one_domain_out


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
