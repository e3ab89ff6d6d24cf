"""Learn routing from feedback: record outcomes of routed answers, train a router on them, route with it.

What it shows: an OutcomeRecorder attached to RoutedChatBedrock turns feedback on each answer into an
outcomes file; `train_router` fits a router on it (thresholds for a target share of complex-tier calls);
RoutedChatBedrock(classifier="trained:router.json") then routes new questions with it. Feedback only says
how the tier that answered did, so the recording phase explores: its classifier picks a tier at random. The
feedback is scripted (a user unhappy when a question about proofs, treaties or protocols was not answered
by the complex tier), so the run is repeatable offline.

Run offline (an in-process Bedrock emulator, no simulated latency): .venv/bin/python examples/learn_routing.py
Against Amazon Bedrock: .venv/bin/python examples/learn_routing.py --live --region us-east-1 (about 280 short calls)
"""

from __future__ import annotations

import argparse
import random
import tempfile
from collections import Counter
from pathlib import Path

from _bedrock import add_arguments, bedrock
from langchain_core.runnables import RunnableLambda

from langchain_bedrock_routing import RoutedChatBedrock
from langchain_bedrock_routing.catalog import TIERS
from langchain_bedrock_routing.learning import CalibrationTarget, OutcomeRecorder, load_outcomes, train_router
from langchain_bedrock_routing.routing import RouteDecision

HARD = ("a consistency proof for a replicated log", "a tax treaty withholding question", "a consensus protocol bug")
EASY = ("a pancake recipe", "a birthday card message", "a packing list for a beach weekend")
ASKS = ("Help me with {t}.", "Can you walk me through {t}?", "I need a careful answer about {t}, step by step.")


def questions(count: int, seed: int) -> list[tuple[str, bool]]:
    """(question, is it hard) pairs; hard and easy questions share their wording."""
    rng = random.Random(seed)
    picks = [(rng.random() < 0.5, rng.choice(ASKS)) for _ in range(count)]
    return [
        (ask.format(t=rng.choice(HARD if hard else EASY)) + f" (#{i})", hard) for i, (hard, ask) in enumerate(picks)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="learn-routing-"))
    rng = random.Random(0)
    with bedrock(args) as (where, aws):
        print(f"Bedrock: {where}")
        recorder = OutcomeRecorder(work / "outcomes.jsonl")
        explore = RunnableLambda(
            lambda _: RouteDecision(tier=rng.choice(TIERS), score=0.5, reason="explore", classifier="explore")
        )
        llm = RoutedChatBedrock(**aws, max_tokens=60, callbacks=[recorder], classifier=explore)
        for question, hard in questions(200, seed=1):
            answer = llm.invoke(question)
            unhappy = hard and answer.response_metadata["routing"]["tier"] != "complex"
            recorder.record_outcome(answer, not unhappy)
        print(f"recorded {recorder.recorded} outcomes in {work / 'outcomes.jsonl'}")

        report = train_router(load_outcomes(work / "outcomes.jsonl"), target=CalibrationTarget("strong-share", 0.5))
        report.classifier.save(work / "router.json")
        print(f"held-out records routed to the tier their feedback says they need: {report.test.agreement:.0%}")
        t = report.chosen.thresholds
        print(f"thresholds for {report.target}: medium {t.medium:.2f}, complex {t.complex:.2f}")

        trained = RoutedChatBedrock(**aws, max_tokens=60, classifier=f"trained:{work / 'router.json'}")
        for name, router in (("default", RoutedChatBedrock(**aws, max_tokens=60)), ("trained", trained)):
            tiers: Counter[tuple[bool, str]] = Counter()
            for question, hard in questions(40, seed=2):
                tiers[hard, router.invoke(question).response_metadata["routing"]["tier"]] += 1
            for hard in (True, False):
                split = ", ".join(f"{tier} {n}" for (h, tier), n in sorted(tiers.items()) if h == hard)
                print(f"{name:>8} router, {'hard' if hard else 'easy'} questions: {split}")


if __name__ == "__main__":
    main()
