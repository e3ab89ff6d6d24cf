"""examples/learn_routing.py runs the loop offline: record feedback, train, route with the trained router."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "learn_routing.py"


def test_learn_routing_example(emulator):
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    done = subprocess.run([sys.executable, str(EXAMPLE)], capture_output=True, text=True, timeout=180, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    assert "recorded 200 outcomes" in out
    lines = re.findall(r"(\w+) router, (hard|easy) questions: (.*)", out)
    counts = {(router, kind): {t: int(n) for t, n in re.findall(r"(\w+) (\d+)", line)} for router, kind, line in lines}
    trained_hard, trained_easy = counts["trained", "hard"], counts["trained", "easy"]
    assert trained_hard.get("complex", 0) >= 0.8 * sum(trained_hard.values())
    assert trained_easy.get("simple", 0) >= 0.8 * sum(trained_easy.values())
    assert sum(1 for r in emulator.requests if r.operation == "Converse") == 280
