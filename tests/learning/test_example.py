"""examples/learn_routing.py runs the loop offline against an emulator outcomes world: serve with a shadow judge,
train on its verdicts, calibrate, load the trained router; on held-out prompts of the same world it beats the
default (APGR from each router's score), and as RoutingExperiment arms it serves better answers."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "learn_routing.py"


def test_learn_routing_example_trains_a_router_that_beats_the_default():
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "AWS_ENDPOINT_URL_BEDROCK_RUNTIME")}
    done = subprocess.run([sys.executable, str(EXAMPLE)], capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    world = re.search(r"world: (\d+) prompts with recorded outcomes; (\d+) served, (\d+) held out", out)
    assert world
    assert int(world[2]) + int(world[3]) == int(world[1])
    assert int(world[3]) >= 100
    served = re.search(r"served (\d+) requests; shadowed (\d+) \(skipped: (.*)\), dropped (\d+)", out)
    assert served
    assert int(served[1]) == int(world[2])
    assert int(served[2]) >= 100
    assert int(served[4]) == 0
    judged = re.search(r"judged (\d+), no grade (\d+), failed (\d+)", out)
    assert judged
    assert (int(judged[1]), int(judged[2]), int(judged[3])) == (int(served[2]), 0, 0)
    spend = dict(re.findall(r"(requests|shadow|judge) \$(\d+\.\d+)", out))
    assert set(spend) == {"requests", "shadow", "judge"}
    assert all(float(v) > 0 for v in spend.values())
    held = dict(re.findall(r"held-out\s+(\w+): APGR (\d\.\d+)", out))
    assert set(held) == {"default", "trained"}
    assert float(held["trained"]) >= float(held["default"]) + 0.05, out  # APGR on the held-out prompts
    found = re.findall(r"A/B arm\s+(\w+): (\d+) users, quality (\d\.\d+)", out)
    arms = {arm: (int(n), float(q)) for arm, n, q in found}
    assert set(arms) == {"default", "trained"}
    assert arms["default"][0] + arms["trained"][0] == int(world[3])
    assert arms["trained"][1] > arms["default"][1], out
    quality = re.search(r"trained - default, quality: ([-+]\d\.\d+) \[([-+]\d\.\d+), ([-+]\d\.\d+)\]", out)
    assert quality, out
    assert float(quality[2]) > 0, out  # the quality gain's 95% interval excludes 0
