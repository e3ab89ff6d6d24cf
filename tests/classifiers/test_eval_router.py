"""``make eval-router`` (``evals.router``): every row per domain and overall, on real per-model outcomes, and the
trained router's protocols (figures, not timings).

MMLU is read from ``tests/data/mmlu_sample.jsonl`` (every tenth row of ``../shared/data/routing-eval/mmlu.jsonl``,
see tests/data/README.md), so the tests run in any clone; ``make eval-router`` reads the whole file."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest

from evals import cross_domain, router, trained_router
from evals.data import DOMAINS, Row, load_domains, scored_rows

MMLU_SAMPLE = Path(__file__).resolve().parent.parent / "data" / "mmlu_sample.jsonl"
ROWS = (
    "random (seed 0)",
    "prompt length",
    "default, LODO",
    "default, shipped",
    "trained, LODO",
    "trained, in-domain",
    "embedding, LODO",
    "embedding, shipped",
)


def _table(out: str, title: str) -> dict[str, list[str]]:
    """A printed table's cells by row name (columns: the domains, then mean and pooled)."""
    block = out.split(f"\n{title}", 1)[1].split("\n\n", 1)[0]
    cells = {}
    for name in ROWS:
        line = next(line for line in block.splitlines() if line.startswith(name))
        cells[name] = re.split(r"\s{2,}", line[len(name) :].strip())
    return cells


@pytest.mark.timeout(900)  # a few minutes of CPU on a loaded machine: a default fit and two routers per domain
def test_eval_router_prints_every_classifier_per_domain_and_overall(capsys: pytest.CaptureFixture[str]) -> None:
    router.main([str(MMLU_SAMPLE), "--limit", "80", "--llm-sample", "0"])
    out = capsys.readouterr().out
    assert "Protocol: leave one domain out" in out
    assert "'mean' = the domains' average" in out
    assert "'pooled' = every scored row as one set" in out
    header = next(line for line in out.splitlines() if line.startswith("APGR"))
    assert header.split()[1:] == [*DOMAINS, "mean", "pooled"]
    apgr = _table(out, "APGR")
    for name, cells in apgr.items():
        values = [float(v) for v in cells]
        assert len(values) == len(DOMAINS) + 2, (name, cells)
        assert all(math.isfinite(v) for v in values), (name, cells)
        # (on an 80-row slice APGR may leave [0, 1] where the two models almost tie: PGR divides by the gap)
        assert values[-2] == pytest.approx(np.mean(values[:-2]), abs=0.0015), (name, cells)
    for name, cells in _table(out, "CPT(50%) / CPT(80%)").items():
        assert len(cells) == len(DOMAINS) + 2, (name, cells)
        for cell in cells:
            cpt50, cpt80 = (int(v.rstrip("%")) for v in cell.split(" / "))
            assert 0 <= cpt50 <= cpt80 <= 100, (name, cell)
    assert "default (LODO) minus prompt length" in out
    assert "target +0.02 on every domain" in out


def test_random_scores_route_at_half_the_gap_on_the_pooled_rows() -> None:
    domains = load_domains(MMLU_SAMPLE)
    scored = {d: scored_rows(d, rows) for d, rows in domains.items()}
    qualities = router._qualities(cross_domain.scores(cross_domain.random_scores(0), domains), scored)
    assert sum(len(rows) for rows in scored.values()) > 1500
    assert qualities["pooled"].apgr == pytest.approx(0.5, abs=0.03)
    assert qualities["mean"].apgr == pytest.approx(0.5, abs=0.06)
    assert qualities["pooled"].cpt50 == pytest.approx(0.5, abs=0.05)


def _world(domain: str, first_case: int = 0, n: int = 240) -> list[Row]:
    """Rows where the weak model fails exactly the proofs and treaties, whatever the case number."""
    topics = ("a recipe for pancakes", "a consistency proof", "a tax treaty question")
    return [
        Row(f"Help me with {topic} (case {i})", "synthetic", float(topic.startswith("a recipe")), 1.0, domain)
        for i, topic in enumerate(topics * (n // len(topics)), start=first_case)
    ]


def test_the_trained_rows_learn_a_domain_from_outcomes_they_never_scored() -> None:
    domains = {"chat": _world("chat"), "code": _world("code", first_case=1000)}  # no prompt in both
    for scorer in (trained_router.lodo(domains), trained_router.within(domains)):
        scores = cross_domain.scores(scorer, domains)
        for domain, rows in domains.items():
            # a perfect ranking scores 2/3 here (the gap is all in two thirds of the rows), random 0.5
            assert cross_domain.quality(scores[domain], rows).apgr > 0.65


def test_outcomes_are_the_records_of_an_outcomes_file_and_halves_split_a_domain() -> None:
    rows = _world("code")
    records = trained_router.outcomes(rows)
    assert [r.text for r in records] == [r.prompt for r in rows]
    assert records[0].outcomes == {"simple": 1.0, "complex": 1.0}
    assert records[1].outcomes == {"simple": 0.0, "complex": 1.0}
    halves = [trained_router.second_half(r) for r in rows]
    assert 0.35 < np.mean(halves) < 0.65
    assert halves == [trained_router.second_half(r) for r in rows]
