"""``bedrock-routing train outcomes.jsonl --out router.json``: fit, calibrate and test a router on outcomes."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings

from langchain_bedrock_routing.catalog import TIERS, Tier
from langchain_bedrock_routing.learning.calibrate import CalibrationTarget, TargetKind
from langchain_bedrock_routing.learning.outcomes import Outcome, OutcomesFormatError, from_pairs, load_outcomes
from langchain_bedrock_routing.learning.report import summary
from langchain_bedrock_routing.learning.tiers import GOOD_ENOUGH
from langchain_bedrock_routing.learning.train import TrainingReport, train_router

TITAN = "amazon.titan-embed-text-v2:0"
EMBEDDINGS = ("hashing", "titan")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``train`` subcommand's options."""
    parser.add_argument("outcomes", type=Path, help="outcomes JSONL (docs/learning.md describes the format)")
    parser.add_argument("--out", type=Path, default=Path("router.json"), help="router file (default router.json)")
    parser.add_argument("--embeddings", choices=EMBEDDINGS, default="hashing", help="hashing (offline) or titan")
    parser.add_argument("--pairs", action="store_true", help="input rows are {prompt, weak_correct, strong_correct}")
    parser.add_argument("--tier", action="append", default=[], metavar="KEY=TIER", help="map an outcome key to a tier")
    parser.add_argument("--good-enough", type=float, default=GOOD_ENOUGH, help="score that counts as a good answer")
    parser.add_argument("--preset", default="claude", help="preset whose tier models price the curve (default claude)")
    targets = parser.add_mutually_exclusive_group()
    targets.add_argument("--strong-share", type=float, help="at most this share (0-1) of complex-tier calls")
    targets.add_argument("--max-cost", type=float, help="at most this many USD per 1,000 requests")
    targets.add_argument("--min-quality", type=float, help="at least this mean outcome score (0-1)")
    targets.add_argument("--recover", type=float, help="at least this share of the quality gap (default 0.8)")
    parser.add_argument("--curve", type=Path, help="cost/quality curve PNG (default: the --out path with .png)")
    parser.add_argument("--region", default=None, help="AWS region for --embeddings titan")
    parser.add_argument("--endpoint-url", default=None, help="Bedrock Runtime endpoint for titan (an emulator)")


def run(args: argparse.Namespace) -> int:
    """Train and write the router; returns the exit code (2 for bad input, printed as one line)."""
    try:
        tiers, target = _mapping(args.tier), _target(args)
        records = _records(args.outcomes, args.pairs)
        report = train_router(
            records,
            embeddings=_embeddings(args),
            tiers=tiers,
            target=target,
            good_enough=args.good_enough,
            preset=args.preset,
            source=args.outcomes.name,
        )
    except (OSError, ValueError) as exc:
        print(f"error: {exc}")
        return 2
    report.classifier.save(args.out)
    print(summary(report))
    print(f"\nwrote {args.out} ({args.out.stat().st_size:,} bytes); load it with")
    print(f'    RoutedChatBedrock(classifier="trained:{args.out}")')
    _curve(report, args.curve or args.out.with_suffix(".png"))
    return 0


def _records(path: Path, pairs: bool) -> list[Outcome]:
    if not pairs:
        return load_outcomes(path)
    if not path.is_file():
        raise FileNotFoundError(f"outcomes file not found: {path}")
    rows: list[Any] = []
    for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise OutcomesFormatError(f"not valid JSON ({exc.msg})", line=number, source=str(path)) from None
    return from_pairs(rows, source=str(path))


def _mapping(pairs: list[str]) -> dict[str, Tier]:
    mapping: dict[str, Tier] = {}
    for pair in pairs:
        key, _, name = pair.rpartition("=")
        tier = next((t for t in TIERS if t == name), None)
        if not key or tier is None:
            raise ValueError(f"--tier takes KEY=TIER with TIER one of {', '.join(TIERS)}, got {pair!r}")
        mapping[key] = tier
    return mapping


def _target(args: argparse.Namespace) -> CalibrationTarget:
    given: tuple[tuple[TargetKind, float | None], ...] = (
        ("strong-share", args.strong_share),
        ("cost", args.max_cost),
        ("quality", args.min_quality),
        ("recover", args.recover),
    )
    for kind, value in given:
        if value is not None:
            return CalibrationTarget(kind, value)
    return CalibrationTarget()


def _embeddings(args: argparse.Namespace) -> Embeddings | None:
    if args.embeddings == "hashing":
        return None
    from langchain_aws import BedrockEmbeddings

    embeddings: Embeddings = BedrockEmbeddings(model_id=TITAN, region_name=args.region, endpoint_url=args.endpoint_url)
    return embeddings


def _curve(report: TrainingReport, path: Path) -> None:
    try:
        from langchain_bedrock_routing.learning.plot import save_curve
    except ModuleNotFoundError as exc:
        print(f"no curve PNG: it needs {exc.name!r} (pip install 'langchain-bedrock-routing[report]')")
        return
    save_curve(report, path)
    print(f"wrote the cost/quality curve to {path}")
