"""Calibration: thresholds for a strong-share, cost or quality target, the cost/quality curve, three tiers
used when the outcomes show a middle tier, and the PNG (or a clear message without matplotlib)."""

from __future__ import annotations

import itertools
import json
import random
import sys

import numpy as np
import pytest

from langchain_bedrock_routing.cli import main
from langchain_bedrock_routing.learning import CalibrationTarget, Outcome, train_router
from langchain_bedrock_routing.learning.calibrate import GRID, choose, frontier, measure, sweep


@pytest.fixture
def replay_data():
    """Scores, quality and cost of 300 records where a higher score means the weak tier fails more often."""
    rng = np.random.default_rng(3)
    scores = rng.random(300)
    weak = (rng.random(300) > scores).astype(float)
    quality = np.stack([weak, (weak + 1) / 2, np.ones(300)], axis=1)
    cost = np.tile([0.001, 0.004, 0.02], (300, 1))
    return scores, quality, cost


def test_strong_share_target_is_routellms_quantile_rule(replay_data):
    scores, quality, cost = replay_data
    point, met = choose(sweep(scores, quality, cost), CalibrationTarget("strong-share", 0.3))
    assert met
    assert point.shares[2] <= 0.3
    # the complex cut sits at the grid point just above RouteLLM's calibrate_threshold: quantile(scores, 1 - share)
    expected = GRID[np.searchsorted(GRID, np.quantile(scores, 0.7))]
    assert point.thresholds.complex == pytest.approx(expected)


@pytest.mark.parametrize(
    ("target", "upper"),
    [
        (CalibrationTarget("cost", 8.0), True),
        (CalibrationTarget("quality", 0.8), False),
        (CalibrationTarget("recover", 0.5), False),
    ],
)
def test_cost_and_quality_targets_pick_the_best_point_within_the_bound(replay_data, target, upper):
    scores, quality, cost = replay_data
    points = sweep(scores, quality, cost)
    point, met = choose(points, target)
    assert met
    if upper:
        assert point.cost_per_1k <= target.value
        assert point.quality == max(p.quality for p in points if p.cost_per_1k <= target.value)
    else:
        floor = target.value - 1e-9  # float noise: a share of exactly 0.5 may compute as 0.4999999999999999
        assert measure(point, target.kind) >= floor
        assert point.cost_per_1k == min(p.cost_per_1k for p in points if measure(p, target.kind) >= floor)


def test_unreachable_targets_return_the_closest_point(replay_data):
    scores, quality, cost = replay_data
    point, met = choose(sweep(scores, quality, cost), CalibrationTarget("cost", 0.0001))
    assert not met
    assert point.shares == (1.0, 0.0, 0.0)


def test_the_curve_rises_in_cost_and_quality(replay_data):
    curve = frontier(sweep(*replay_data))
    assert len(curve) > 10
    assert all(a.cost_per_1k <= b.cost_per_1k and a.quality < b.quality for a, b in itertools.pairwise(curve))


@pytest.mark.parametrize(
    ("kind", "value", "problem"),
    [("share", 0.1, "valid targets"), ("strong-share", 1.5, r"in \[0, 1\]"), ("cost", -1.0, "non-negative")],
)
def test_bad_targets_are_named(kind, value, problem):
    with pytest.raises(ValueError, match=problem):
        CalibrationTarget(kind, value)


def _three_tier_outcomes(count: int = 450) -> list[Outcome]:
    """Easy topics: the simple tier is right; middling ones need medium; hard ones only complex gets right."""
    rng = random.Random(5)
    topics = {
        0: ("a pancake recipe", "watering a fern", "a birthday message"),
        1: ("a cover letter", "a SQL join", "a budget spreadsheet"),
        2: ("a consensus protocol proof", "a tax treaty analysis", "a compiler optimisation pass"),
    }
    records = []
    for index in range(count):
        level = rng.randrange(3)
        prompt = f"Help me with {rng.choice(topics[level])}, please. (case {index})"
        scores = {
            tier: float(rng.random() < (0.9 if at >= level else 0.1))
            for at, tier in enumerate(("simple", "medium", "complex"))
        }
        records.append(Outcome.from_prompt(prompt, scores))
    return records


def test_three_tiers_are_used_when_the_outcomes_show_a_middle_tier():
    report = train_router(_three_tier_outcomes(), target=CalibrationTarget("recover", 0.8))
    labels = report.classifier.metadata["training"]["labels"]
    assert min(labels.values()) > 50
    assert report.target_met
    assert min(report.test.shares) > 0.15
    assert report.test.recovered > 0.7
    assert report.test.cost_per_1k < 0.7 * report.single_tier["complex"][1]


def test_cli_strong_share_target_and_printed_curve(tmp_path, pairs_file, capsys):
    out = tmp_path / "router.json"
    assert main(["train", str(pairs_file), "--pairs", "--out", str(out), "--strong-share", "0.25"]) == 0
    printed = capsys.readouterr().out
    assert "target: complex-tier share <= 25%" in printed
    assert "cost/quality curve on the test split" in printed
    calibration = json.loads(out.read_text("utf-8"))["metadata"]["calibration"]
    assert calibration["calibration_split"]["shares"]["complex"] <= 0.25
    assert calibration["target"] == "complex-tier share <= 25%"


def test_cli_without_matplotlib_still_writes_the_router(tmp_path, pairs_file, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    monkeypatch.delitem(sys.modules, "langchain_bedrock_routing.learning.plot", raising=False)
    out = tmp_path / "router.json"
    assert main(["train", str(pairs_file), "--pairs", "--out", str(out)]) == 0
    assert "no curve PNG: it needs 'matplotlib.figure' (pip install 'langchain-bedrock-routing[report]')" in (
        capsys.readouterr().out
    )
    assert out.is_file()
    assert not out.with_suffix(".png").exists()


def test_quality_ties_go_to_the_needed_tiers():
    """With one tier's outcome per record every point has the same quality: the needed tiers decide."""
    scores = np.linspace(0.0, 1.0, 90)
    needed = np.repeat([0, 1, 2], 30)  # low scores need simple, middle medium, high complex
    quality = np.ones((90, 3))
    cost = np.tile([0.001, 0.004, 0.02], (90, 1))
    point, met = choose(sweep(scores, quality, cost, needed), CalibrationTarget("strong-share", 0.5))
    assert met
    assert point.agreement > 0.95
    assert point.shares == pytest.approx((1 / 3, 1 / 3, 1 / 3), abs=0.03)
    assert (
        choose(sweep(scores, quality, cost), CalibrationTarget("strong-share", 0.5))[0].shares[0] > 0.95
    )  # else: cheapest
