"""The demo figures printed in README.md and docs/demo.md are what ``bedrock-routing demo`` measures today.

The demo runs as ``make demo`` runs it (its own in-process emulator, no AWS variables) at latency scale 0: costs and
model calls do not depend on the latency model. Strategies without a cache are deterministic and must match
exactly; with a cache, whether a paraphrase arrives before its original is stored depends on the demo's
concurrency, so those rows may differ by one model call.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
BIN = Path(sys.executable).with_name("bedrock-routing")
CACHED = ("routed + exact cache", "routed + semantic cache")


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, float]]:
    """Per strategy: model calls, cost (USD) and savings (%) from a real demo run."""
    out = tmp_path_factory.mktemp("demo")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    done = subprocess.run(
        [
            str(BIN),
            "demo",
            "--latency-scale",
            "0",
            "--chart",
            str(out / "c.png"),
            "--summary-json",
            str(out / "s.json"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=out,
    )
    assert done.returncode == 0, done.stderr
    rows = json.loads((out / "s.json").read_text())["strategies"]
    strongest = next(r["cost_usd"] for r in rows if r["strategy"] == "always-strongest")
    return {
        r["strategy"]: {
            "calls": r["api_calls"],
            "cost": r["cost_usd"],
            "savings": 100 * (1 - r["cost_usd"] / strongest),
        }
        for r in rows
    }


def _published(text: str, separator: str) -> dict[str, dict[str, float]]:
    """Rows ``strategy | calls | ... | $cost | savings% ...`` of a table whose cells ``separator`` splits."""
    found = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip(separator).split(separator)]
        costs = [c for c in cells if re.fullmatch(r"\$\d+\.\d+", c)]
        if len(cells) < 4 or not cells[1].isdigit() or not costs:
            continue
        after = cells[cells.index(costs[0]) + 1]
        found[cells[0]] = {
            "calls": int(cells[1]),
            "cost": float(costs[0][1:]),
            "savings": float(after.rstrip("%")) if after.endswith("%") else 0.0,
        }
    return found


@pytest.mark.parametrize(("page", "separator"), [("README.md", "|"), ("docs/demo.md", "│")])
def test_published_demo_rows_match_a_run(measured: dict[str, dict[str, float]], page: str, separator: str) -> None:
    published = _published((ROOT / page).read_text("utf-8"), separator)
    assert {"always-strongest", "routed", "routed + semantic cache"} <= set(published), published
    for strategy, figures in published.items():
        run = measured[strategy]
        if strategy in CACHED:
            assert abs(figures["calls"] - run["calls"]) <= 1, (page, strategy, figures, run)
            continue
        assert figures["calls"] == run["calls"], (page, strategy, figures, run)
        assert figures["cost"] == pytest.approx(run["cost"], abs=5e-7), (page, strategy, figures, run)
        assert figures["savings"] == pytest.approx(run["savings"], abs=0.05), (page, strategy, figures, run)
