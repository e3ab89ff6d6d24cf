"""The benchmark harness's pure parts: percentiles, ratios, goal lines, markdown."""

from __future__ import annotations

import pytest

from benchmarks.harness import Figure, Report, Sample, table


def test_sample_percentiles_are_nearest_rank_in_microseconds():
    sample = Sample.of([i * 1000 for i in range(1, 101)])
    assert (sample.n, sample.p50_us, sample.p90_us, sample.p99_us) == (100, 51.0, 91.0, 100.0)
    assert sample.mean_us == pytest.approx(50.5)


def test_sample_of_nothing_is_an_error():
    with pytest.raises(ValueError, match="no durations"):
        Sample.of([])


def test_figure_line_shows_ratio_goal_and_verdict():
    figure = Figure("hit p50", 400.0, "us", 500.0, "community", "<= 0.8x", True)
    assert figure.ratio == pytest.approx(0.8)
    assert figure.line() == "hit p50: 400 us = 0.80x community (500 us)  [goal <= 0.8x: met]"
    assert Figure("x", 2.0, "ms", goal="<= 1 ms", met=False).line().endswith("MISSED]")
    assert Figure("x", 1.0, "ms", 0.0, "zero").ratio is None


def test_report_markdown_has_figures_tables_and_notes():
    report = Report("demo", "Demo title", [Figure("a", 1.5, "ms")], [table(["k", "v"], [["x", 2.25]])], notes=["n1"])
    text = report.markdown()
    assert text.startswith("## Demo title")
    assert "- a: 1.5 ms" in text
    assert "| x | 2.25 |" in text
    assert "> n1" in text
    assert report.as_dict({"cores": 2})["figures"][0]["ratio"] is None
