"""APGR and CPT on small cases computed by hand."""

from __future__ import annotations

import numpy as np
import pytest

from langchain_bedrock_routing.routing.classifiers.evaluation import apgr, cpt, routing_curve

# Four requests: A gains from strong, B is right on both, C is only right on weak, D gains from strong.
# weak mean 0.5, strong mean 0.75 (gap 0.25).
WEAK = [0, 1, 1, 0]
STRONG = [1, 1, 0, 1]


def test_curve_points_follow_the_score_order():
    curve = routing_curve([0.9, 0.5, 0.4, 0.1], WEAK, STRONG)
    assert curve.weak == 0.5
    assert curve.strong == 0.75
    assert curve.strong_fraction.tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert curve.pgr.tolist() == [0.0, 1.0, 1.0, 0.0, 1.0]


def test_apgr_is_the_trapezoid_area():
    # segments of width 0.25: (0+1)/2 + (1+1)/2 + (1+0)/2 + (0+1)/2 = 2.5 -> 2.5 * 0.25 = 0.625
    assert apgr(routing_curve([0.9, 0.5, 0.4, 0.1], WEAK, STRONG)) == pytest.approx(0.625)


def test_cpt_interpolates_the_first_crossing():
    curve = routing_curve([0.9, 0.5, 0.4, 0.1], WEAK, STRONG)
    assert cpt(curve, 0.5) == pytest.approx(0.125)
    assert cpt(curve, 0.8) == pytest.approx(0.2)
    assert cpt(curve, 0.0) == 0.0


def test_a_constant_score_is_the_random_diagonal():
    curve = routing_curve([0.3] * 4, WEAK, STRONG)
    assert curve.strong_fraction.tolist() == [0.0, 1.0]
    assert apgr(curve) == pytest.approx(0.5)
    assert cpt(curve, 0.5) == pytest.approx(0.5)
    assert cpt(curve, 0.8) == pytest.approx(0.8)


def test_ties_move_together():
    # A and D tie at the top: one point at 50% strong with both gains.
    curve = routing_curve([0.9, 0.2, 0.1, 0.9], WEAK, STRONG)
    assert curve.strong_fraction.tolist() == [0.0, 0.5, 0.75, 1.0]
    assert curve.performance.tolist() == [0.5, 1.0, 1.0, 0.75]
    # PGR 0, 2, 2, 1: 0.5*(0+2)/2 + 0.25*(2+2)/2 + 0.25*(2+1)/2 = 0.5 + 0.5 + 0.375
    assert apgr(curve) == pytest.approx(1.375)
    assert cpt(curve, 0.5) == pytest.approx(0.125)


def test_a_reversed_router_does_worse_than_random():
    scores = np.array([0.9, 0.5, 0.4, 0.1])
    assert apgr(routing_curve(-scores, WEAK, STRONG)) < 0.5 < apgr(routing_curve(scores, WEAK, STRONG))


def test_graded_performance_is_accepted():
    curve = routing_curve([1.0, 0.0], [2.0, 4.0], [8.0, 4.0])
    assert curve.pgr.tolist() == [0.0, 1.0, 1.0]
    assert apgr(curve) == pytest.approx(0.75)


@pytest.mark.parametrize(
    ("scores", "weak", "strong", "message"),
    [
        ([], [], [], "non-empty"),
        ([0.1, 0.2], [1], [0, 1], "equally long"),
        ([0.1, float("nan")], [0, 1], [1, 1], "finite"),
        ([0.1, 0.2], [1, 0], [0, 1], "no gap"),
    ],
)
def test_bad_input_is_named(scores, weak, strong, message):
    with pytest.raises(ValueError, match=message):
        routing_curve(scores, weak, strong)


def test_cpt_rejects_a_fraction_outside_0_1():
    with pytest.raises(ValueError, match=r"gap_fraction must be in \[0, 1\]"):
        cpt(routing_curve([1.0, 0.0], WEAK[:2], STRONG[:2]), 1.5)
