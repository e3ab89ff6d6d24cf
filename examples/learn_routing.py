"""Learn routing from a shadow judge: serve traffic, judge a share of cheaper answers, train, beat the default.

What it shows: RoutedChatBedrock(shadow=ShadowJudge(recorder, rate=...)) answers as usual; after a sampled share of
answers from a cheaper tier, the strongest tier answers the same request in the background and a judge model grades
the cheaper answer against it; the verdicts become an outcomes file. `train_router` fits and calibrates a router on
it, RoutedChatBedrock(classifier="trained:router.json") loads it, and both routers are compared on prompts neither
the training nor the calibration saw: APGR from each router's score, then as the arms of a RoutingExperiment
(quality and cost per arm, with 95% intervals on the differences).

Offline, the emulator answers from an outcomes world (BedrockEmulator(outcomes=...)): by default a generated set of
app questions whose difficulty follows the topic, not the wording (the simple tier fails hard topics 80% of the
time, the complex tier fails 10% of everything); --outcomes FILE uses your own file (outcomes or weak/strong rows,
e.g. MMLU). The judge's verdicts in that world agree with the file; its spend is counted apart from the requests'.

Run offline (an in-process Bedrock emulator, no simulated latency): .venv/bin/python examples/learn_routing.py
Against Amazon Bedrock: .venv/bin/python examples/learn_routing.py --live --region us-east-1 (about 900 calls)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import tempfile
from pathlib import Path

import numpy as np
from _bedrock import add_arguments, bedrock

from langchain_bedrock_routing import RoutedChatBedrock
from langchain_bedrock_routing.callbacks import get_bedrock_stats_callback
from langchain_bedrock_routing.catalog import TIERS
from langchain_bedrock_routing.emulator import generated_world
from langchain_bedrock_routing.learning import (
    CalibrationTarget,
    Outcome,
    OutcomeRecorder,
    RoutingExperiment,
    ShadowJudge,
    from_pairs,
    load_outcomes,
    tier_quality,
    train_router,
)
from langchain_bedrock_routing.routing.classifiers import apgr, routing_curve

HELD_OUT = 0.3
"""Share of the world's prompts kept out of the served traffic (by a stable hash): the final comparison's."""


def held_out(record: Outcome) -> bool:
    """Whether a prompt is kept for the final comparison (a stable hash of its text)."""
    return hashlib.blake2b(record.text.encode("utf-8"), digest_size=8).digest()[0] < HELD_OUT * 256


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    parser.add_argument("--outcomes", type=Path, help="outcomes or weak/strong JSONL file (default: generated)")
    parser.add_argument("--limit", type=int, default=500, help="prompts of the world to use (default 500)")
    parser.add_argument("--shadow-rate", type=float, default=0.5, help="share of cheaper answers judged (0..1)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="learn-routing-"))
    world_file = args.outcomes or work / "world.jsonl"
    if args.outcomes is None:
        world_file.write_text("".join(json.dumps(row) + "\n" for row in generated_world(args.limit)), "utf-8")
    rows = [json.loads(line) for line in world_file.read_text("utf-8").splitlines() if line.strip()][: args.limit]
    world = from_pairs(rows) if "weak_correct" in rows[0] else load_outcomes(world_file)[: args.limit]
    served = [r for r in world if not held_out(r)]
    test = [r for r in world if held_out(r)]

    with bedrock(args, outcomes=world_file) as (where, aws):
        print(f"Bedrock: {where}")
        print(f"world: {len(world)} prompts with recorded outcomes; {len(served)} served, {len(test)} held out")

        # 1. Serve traffic with the default router; the shadow judge records verdicts in the background.
        recorder = OutcomeRecorder(work / "outcomes.jsonl")
        judge = ShadowJudge(recorder, rate=args.shadow_rate, max_queue=len(served))
        llm = RoutedChatBedrock(**aws, max_tokens=60, shadow=judge)
        with get_bedrock_stats_callback() as stats:
            for record in served:
                llm.invoke(record.to_messages())
            judge.flush()
        figures = stats.to_dict()
        skipped = ", ".join(f"{reason} {n}" for reason, n in sorted(judge.skipped.items()))
        print(f"served {len(served)} requests; shadowed {judge.shadowed} (skipped: {skipped}), dropped {judge.dropped}")
        print(f"judged {judge.judged}, no grade {judge.ungraded}, failed {judge.failures}")
        spend = {"requests": figures["total"]["cost_usd"]["total"]}
        spend |= {purpose: p["cost_usd"]["total"] for purpose, p in figures["purposes"].items()}
        print("spend: " + ", ".join(f"{name} ${usd:.4f}" for name, usd in spend.items()))

        # 2. Train and calibrate on the recorded outcomes (hash split 60/20/20 inside).
        report = train_router(load_outcomes(work / "outcomes.jsonl"), target=CalibrationTarget("strong-share", 0.5))
        report.classifier.save(work / "router.json")
        t = report.chosen.thresholds
        print(f"trained on {report.rows['train']} outcomes; thresholds for {report.target}: medium {t.medium:.2f}, "
              f"complex {t.complex:.2f}")  # fmt: skip

        # 3. Compare with the default on the held-out prompts: neither training nor calibration saw them. First
        #    APGR from each router's score on every held-out prompt, then the two as A/B arms of an experiment,
        #    each held-out user's answer scored as the world says the tier that answered did.
        trained = RoutedChatBedrock(**aws, max_tokens=60, classifier=f"trained:{work / 'router.json'}")
        default = RoutedChatBedrock(**aws, max_tokens=60)
        quality = np.array([tier_quality(r) for r in test])
        for name, router in (("default", default), ("trained", trained)):
            scores = [router.classify(r.to_messages()).score for r in test]
            print(f"held-out {name:>7}: APGR {apgr(routing_curve(scores, quality[:, 0], quality[:, 2])):.3f}")
        experiment = RoutingExperiment(arms={"default": default, "trained": trained}, key="user_id", name="learned")
        with get_bedrock_stats_callback() as stats:
            feedback = OutcomeRecorder(work / "ab.jsonl", stats=[stats])
            for i, record in enumerate(test):
                config = {"metadata": {"user_id": f"user-{i}"}, "callbacks": [feedback]}
                answer = experiment.invoke(record.to_messages(), config=config)
                tier = answer.response_metadata["routing"]["tier"]
                feedback.record_outcome(answer, quality[i, TIERS.index(tier)])
        result = stats.to_dict()["experiments"]["learned"]
        for arm, figures in result["arms"].items():
            per_1k = figures["cost_per_request_usd"]["mean"] * 1000
            print(f"A/B arm {arm:>7}: {figures['requests']} users, quality {figures['score']['mean']:.3f}, "
                  f"${per_1k:.3f} per 1k requests")  # fmt: skip
        difference = result["comparison"]["trained"]
        if difference["score"] is not None:
            for what, scale, unit in (("score", 1, "quality"), ("cost_per_request_usd", 1000, "$ per 1k")):
                d = difference[what]
                low, mid, high = (d[k] * scale for k in ("low", "difference", "high"))
                print(f"trained - default, {unit}: {mid:+.3f} [{low:+.3f}, {high:+.3f}] (95% CI, Welch)")


if __name__ == "__main__":
    main()
