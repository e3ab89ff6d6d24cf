"""The statistics of experiments: Student's t from tables and by integration, Welch's interval on numbers worked by
hand, and the per-arm figures an exporter publishes."""

from __future__ import annotations

import io
import json
import math
import uuid

import pytest

from langchain_bedrock_routing.callbacks import StatsFigures, TokenUsage, price_usage
from langchain_bedrock_routing.callbacks.answer import Answer
from langchain_bedrock_routing.callbacks.emf import EmfMetricsSink
from langchain_bedrock_routing.callbacks.experiments import (
    Moments,
    student_t_cdf,
    student_t_quantile,
    welch_interval,
)
from langchain_bedrock_routing.callbacks.figures import RequestOutcome
from langchain_bedrock_routing.callbacks.report import report_text
from langchain_bedrock_routing.catalog import get_catalog
from langchain_bedrock_routing.core.routing_metadata import ArmAssignment

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"


def moments(*values: float) -> Moments:
    series = Moments()
    for value in values:
        series.add(value)
    return series


@pytest.mark.parametrize(
    ("df", "quantile"),
    [(1, 12.706204736), (2, 4.302652730), (4, 2.776445105), (10, 2.228138852), (30, 2.042272456)],
)
def test_t_quantile_matches_the_printed_tables(df, quantile):
    assert student_t_quantile(0.975, df) == pytest.approx(quantile, abs=1e-8)
    assert student_t_quantile(0.025, df) == pytest.approx(-quantile, abs=1e-8)


def test_t_quantile_tends_to_the_normal_one():
    assert student_t_quantile(0.975, 1e7) == pytest.approx(1.959963985, abs=1e-6)


@pytest.mark.parametrize("df", [0.7, 1.5, 3.3, 5.882353, 17.25])
def test_t_cdf_agrees_with_integrating_the_density(df):
    def density(x: float) -> float:
        scale = math.exp(math.lgamma((df + 1) / 2) - math.lgamma(df / 2)) / math.sqrt(df * math.pi)
        return scale * (1 + x * x / df) ** (-(df + 1) / 2)

    for t in (0.3, 1.0, 2.5):
        steps = 20_000  # Simpson's rule from 0 to t, plus the half below 0
        h = t / steps
        area = density(0) + density(t) + sum((4 if i % 2 else 2) * density(i * h) for i in range(1, steps))
        assert student_t_cdf(t, df) == pytest.approx(0.5 + area * h / 3, abs=1e-9)


def test_welch_interval_on_numbers_worked_by_hand():
    # equal sizes and variances: df = 2n - 2 = 4; se = sqrt(1/3 + 1/3); t(0.975, 4) = 2.776445105
    interval = welch_interval(moments(1, 2, 3), moments(2, 3, 4))
    assert interval is not None
    half = 2.776445105 * math.sqrt(2 / 3)
    assert interval.difference == pytest.approx(1.0)
    assert interval.df == pytest.approx(4.0)
    assert (interval.low, interval.high) == pytest.approx((1 - half, 1 + half))


def test_welch_interval_with_unequal_variances():
    # var 2.5 and 10 over n = 5: se^2 = 0.5 + 2 = 2.5, df = 2.5^2 / (0.5^2/4 + 2^2/4) = 5.882353
    interval = welch_interval(moments(1, 2, 3, 4, 5), moments(2, 4, 6, 8, 10))
    assert interval is not None
    assert interval.df == pytest.approx(6.25 / 1.0625)
    t = student_t_quantile(0.975, 6.25 / 1.0625)
    assert 2.4469 < t < 2.5706  # between the tabled t(0.975, 6) and t(0.975, 5)
    assert (interval.low, interval.high) == pytest.approx((3 - t * math.sqrt(2.5), 3 + t * math.sqrt(2.5)))


def test_welch_interval_needs_two_values_per_arm_and_collapses_without_variance():
    assert welch_interval(moments(1.0), moments(1.0, 2.0)) is None
    point = welch_interval(moments(0.0, 0.0), moments(1.0, 1.0, 1.0))
    assert point is not None
    assert (point.difference, point.low, point.high, point.df) == (1.0, 1.0, 1.0, None)


def _outcome(arm: str, usage: TokenUsage, cached: bool = False) -> RequestOutcome:
    answer = Answer(
        model_id=HAIKU,
        usage=usage,
        cache_kind="exact" if cached else None,
        cache_similarity=None,
        tier="simple",
        classifier="heuristic",
        failed_attempts=(),
        has_tool_calls=False,
        routing={},
    )
    return RequestOutcome(
        run_id=uuid.uuid4(),
        model_id=HAIKU,
        latency_ms=10.0,
        answer=answer,
        spend=() if cached else ((HAIKU, usage),),
        api_errors=(),
        assignment=ArmAssignment("exp", arm, "a"),
    )


def test_figures_cost_per_request_counts_hits_at_zero_and_compare_to_the_control():
    figures = StatsFigures()
    small, large = TokenUsage(input=1000, output=0), TokenUsage(input=3000, output=0)
    for outcome in [
        _outcome("a", small),
        _outcome("a", small, cached=True),
        _outcome("b", large),
        _outcome("b", large),
    ]:
        figures.add(outcome)
    for arm, score in [("a", 1.0), ("a", 0.0), ("b", 1.0), ("b", 1.0)]:
        figures.add_score("exp", arm, score)
    data = figures.to_dict()["experiments"]["exp"]
    price = float(price_usage(get_catalog(), HAIKU, TokenUsage(input=1_000_000)).total or 0) / 1e6  # USD per token
    assert price > 0
    assert data["control"] == "a"
    assert data["arms"]["a"]["cache"]["hits"] == 1
    assert data["arms"]["a"]["cost_per_request_usd"]["mean"] == pytest.approx(1000 * price / 2)
    assert data["arms"]["b"]["cost_per_request_usd"]["mean"] == pytest.approx(3000 * price)
    assert data["arms"]["b"]["score"] == {"count": 2, "mean": 1.0, "stdev": 0.0}
    cost = data["comparison"]["b"]["cost_per_request_usd"]
    expected = welch_interval(moments(1000 * price, 0.0), moments(3000 * price, 3000 * price))
    assert expected is not None
    assert cost == pytest.approx(expected.as_dict())
    assert data["comparison"]["b"]["score"]["difference"] == pytest.approx(0.5)
    text = report_text(figures, width=140)
    assert "Experiment exp (control: a)" in text
    assert "a (control)" in text


def test_emf_publishes_each_arm_with_its_scores():
    stream = io.StringIO()
    sink = EmfMetricsSink(stream, namespace="Test")
    sink.record(_outcome("a", TokenUsage(input=10, output=5)))
    sink.add_score("exp", "a", 0.25)
    sink.add_score("exp", "a", 0.75)
    assert sink.flush() > 0
    records = [json.loads(line) for line in stream.getvalue().splitlines()]
    (arm,) = [r for r in records if r.get("Arm") == "a"]
    assert arm["Experiment"] == "exp"
    assert arm["Requests"] == 1
    assert arm["OutcomeScores"] == 2
    assert arm["OutcomeScore"] == pytest.approx(0.5)
    sink.add_score("exp", "a", 1.0)  # a window with scores and no request still publishes
    assert sink.flush() == 2
