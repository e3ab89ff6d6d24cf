"""``bedrock-routing``: ``demo`` runs the workshop; ``warm`` fills a cache; ``train`` fits a router on outcomes;
``emulator`` serves the emulator.

Each subcommand lives in its own module; this file only parses the command line and maps errors to exit codes
(0 done, 1 declined by the user, 2 bad input or setup).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from langchain_bedrock_routing.backend import DEFAULT_REGION
from langchain_bedrock_routing.cli_support import add_version, plain
from langchain_bedrock_routing.demo.context import DEFAULT_CHART
from langchain_bedrock_routing.learning import train_cli
from langchain_bedrock_routing.routing import presets
from langchain_bedrock_routing.warming import cli as warming_cli


def _demo_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo = sub.add_parser(
        "demo",
        help="run the workshop: caching, routing, performance comparison, final statistics, chart",
        description="Offline by default: an in-process Bedrock emulator with its latency model, in-process "
        "caches (Redis when REDIS_URL is set). --live runs against Amazon Bedrock after showing an estimated cost.",
    )
    demo.add_argument("--quick", action="store_true", help="fewer requests and no simulated latency (for CI)")
    demo.add_argument("--live", action="store_true", help="use Amazon Bedrock with your AWS credentials")
    demo.add_argument("--region", default=DEFAULT_REGION, help=f"AWS region for --live (default {DEFAULT_REGION})")
    demo.add_argument("--profile", help="AWS profile for --live")
    demo.add_argument("--yes", action="store_true", help="with --live: do not ask before spending")
    demo.add_argument("--preset", default="claude", choices=sorted(presets()), help="tier models (default claude)")
    demo.add_argument("--latency-scale", type=float, help="emulator latency multiplier (default 1, 0 with --quick)")
    demo.add_argument("--max-tokens", type=int, default=400, help="reply cap per call (default 400)")
    demo.add_argument("--chart", type=Path, default=DEFAULT_CHART, help=f"PNG path (default {DEFAULT_CHART})")
    demo.add_argument("--summary-json", type=Path, help="also write the measured figures as JSON here")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bedrock-routing", description=plain(__doc__))
    add_version(parser)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _demo_parser(sub)
    warm = sub.add_parser(
        "warm",
        help="fill a response cache from a JSONL file of prompts (each run once)",
        description=plain(warming_cli.__doc__),
    )
    warming_cli.add_arguments(warm)
    train = sub.add_parser("train", help="fit and calibrate a router on an outcomes JSONL file (docs/learning.md)")
    train_cli.add_arguments(train)
    sub.add_parser(
        "emulator",
        add_help=False,
        help="serve the offline Bedrock Runtime emulator (options: bedrock-routing emulator --help)",
    )
    return parser


def _demo(args: argparse.Namespace) -> int:
    from rich.markup import escape

    from langchain_bedrock_routing.callbacks.report import wide_console

    console = wide_console()
    try:
        from langchain_bedrock_routing.demo.app import run_demo
    except ModuleNotFoundError as exc:  # the chart needs matplotlib, an optional extra
        hint = escape("pip install 'langchain-bedrock-routing[report]'")
        console.print(f"[red]error:[/] the demo needs {exc.name!r}: {hint}")
        return 2
    from langchain_bedrock_routing.demo.context import DemoSettings
    from langchain_bedrock_routing.demo.live import confirm_live

    try:
        settings = DemoSettings(
            quick=args.quick,
            live=args.live,
            region=args.region,
            profile=args.profile,
            preset=args.preset,
            latency_scale=args.latency_scale,
            chart_path=args.chart,
            summary_json=args.summary_json,
            assume_yes=args.yes,
            max_tokens=args.max_tokens,
        )
        if settings.live and not confirm_live(settings, console):
            console.print("Cancelled: nothing was sent to Amazon Bedrock.")
            return 1
    except EOFError:
        closed = "--live asks before spending, but stdin is closed: pass --yes to not ask"
        console.print(f"\n[red]error:[/] {closed}", soft_wrap=True)
        return 2
    except ValueError as exc:
        console.print(f"[red]error:[/] {escape(str(exc))}", soft_wrap=True)
        return 2
    run_demo(settings, console)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``bedrock-routing`` console script; returns the exit code."""
    args, rest = _parser().parse_known_args(argv)
    if args.command == "emulator":
        from langchain_bedrock_routing.emulator.__main__ import main as emulator_main

        return emulator_main(rest)
    if rest:
        _parser().error(f"unrecognized arguments: {' '.join(rest)}")
    if args.command == "warm":
        return warming_cli.run(args)
    if args.command == "train":
        return train_cli.run(args)
    return _demo(args)


if __name__ == "__main__":
    sys.exit(main())
