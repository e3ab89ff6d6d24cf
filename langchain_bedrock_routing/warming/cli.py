"""``bedrock-routing warm PROMPTS.jsonl``: fill a response cache from a JSONL file of prompts.

The entries serve later calls of a model configured the same way: ``--model ID`` is
``ChatBedrockConverse(model=ID, region_name=REGION)``, ``--preset NAME`` (default ``claude``) is
``RoutedChatBedrock(preset=NAME, priority=...)``, each with ``--max-tokens``/``--temperature`` when given
(for any other configuration call :func:`warm_cache` with your own model). The cache is Redis at
``--redis-url`` or ``$REDIS_URL``; an in-process cache (gone when the command ends) only with ``--in-process``.
Region and credentials are checked before any prompt runs (``--emulator`` needs neither).
Exit codes: 0 every prompt done, 1 some prompt failed, 2 bad input or setup (nothing was paid).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from langchain_bedrock_routing.caching.base import CacheBase
from langchain_bedrock_routing.caching.factory import REDIS_URL_ENV, make_cache
from langchain_bedrock_routing.caching.policy import CachePolicy
from langchain_bedrock_routing.callbacks.report import wide_console
from langchain_bedrock_routing.cli_support import add_version, check_credentials, check_region, plain
from langchain_bedrock_routing.warming.prompts import WarmPrompt, load_prompts
from langchain_bedrock_routing.warming.report import WarmReport, WarmResult
from langchain_bedrock_routing.warming.run import warm_cache

DEFAULT_PRESET = "claude"
HASHING_EMBEDDINGS = "hashing"
_STATUS_STYLE = {
    "stored": "green",
    "already_cached": "cyan",
    "not_stored": "yellow",
    "duplicate": "dim",
    "failed": "red",
}


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {text}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``warm`` subcommand's arguments."""
    from langchain_bedrock_routing.backend import DEFAULT_REGION
    from langchain_bedrock_routing.routing import PRIORITIES, presets

    parser.add_argument("prompts", type=Path, metavar="PROMPTS.jsonl", help='one {"prompt": ...} or {"messages": ...}')
    model = parser.add_mutually_exclusive_group()
    model.add_argument("--model", metavar="ID", help="warm for ChatBedrockConverse(model=ID)")
    model.add_argument(
        "--preset", choices=sorted(presets()), help=f"warm for RoutedChatBedrock (default {DEFAULT_PRESET})"
    )
    parser.add_argument("--priority", choices=PRIORITIES, help="RoutedChatBedrock priority (default balanced)")
    parser.add_argument("--max-tokens", type=_positive_int, help="the model's max_tokens, as your app sets it")
    parser.add_argument("--temperature", type=float, help="the model's temperature, as your app sets it")
    parser.add_argument("--region", default=os.environ.get("AWS_REGION") or DEFAULT_REGION, help="AWS region")
    parser.add_argument("--profile", help="AWS profile (default: the usual AWS credential chain)")
    parser.add_argument("--redis-url", help=f"Redis to fill (default ${REDIS_URL_ENV})")
    parser.add_argument("--semantic", action="store_true", help="fill a semantic cache instead of the exact one")
    parser.add_argument(
        "--embeddings",
        default=HASHING_EMBEDDINGS,
        help="with --semantic: 'hashing' (offline HashingEmbeddings, default) or a Bedrock embeddings model id",
    )
    parser.add_argument("--ttl", type=float, help="entry lifetime in seconds (default: no expiry)")
    parser.add_argument("--namespace", default="lbr", help="Redis key namespace (default lbr)")
    parser.add_argument("--tenant", help="cache tenant for prompts that name none")
    parser.add_argument("--skip-pii", action="store_true", help="do not store prompts or answers containing PII")
    parser.add_argument("--concurrency", type=_positive_int, default=4, help="prompts in flight (default 4)")
    parser.add_argument("--emulator", action="store_true", help="call an in-process Bedrock emulator (offline)")
    parser.add_argument(
        "--in-process", action="store_true", help="without Redis: fill a cache that ends with this command (a trial)"
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON on stdout")


@contextmanager
def _bedrock_client(args: argparse.Namespace) -> Iterator[Any]:
    """A ``bedrock-runtime`` client: an in-process emulator's with ``--emulator``, else Bedrock's (or
    ``$AWS_ENDPOINT_URL_BEDROCK_RUNTIME``'s) with the user's credentials."""
    from langchain_bedrock_routing.backend import ENDPOINT_ENV, live_endpoint, runtime_client
    from langchain_bedrock_routing.emulator import BedrockEmulator

    if not args.emulator:
        check_region(args.region)
        check_credentials(args.profile)
        endpoint = os.environ.get(ENDPOINT_ENV) or live_endpoint(args.region)
        yield runtime_client(endpoint, args.region, live=True, profile=args.profile)
        return
    with BedrockEmulator(latency_scale=0.0) as emulator:
        yield runtime_client(emulator.endpoint_url, args.region)


def build_model(args: argparse.Namespace, client: Any) -> BaseChatModel:
    """The chat model the entries are for; only the generation settings given are set (they are in the key)."""
    settings: dict[str, Any] = {"client": client, "region_name": args.region}
    if args.max_tokens is not None:
        settings["max_tokens"] = args.max_tokens
    if args.temperature is not None:
        settings["temperature"] = args.temperature
    if args.model:
        if args.priority:
            raise ValueError("--priority applies to --preset (RoutedChatBedrock), not to --model")
        from langchain_aws import ChatBedrockConverse

        return ChatBedrockConverse(model=args.model, **settings)
    from langchain_bedrock_routing.routing import RoutedChatBedrock

    return RoutedChatBedrock(preset=args.preset or DEFAULT_PRESET, priority=args.priority or "balanced", **settings)


def _embeddings(args: argparse.Namespace, client: Any) -> Embeddings:
    if args.embeddings == HASHING_EMBEDDINGS:
        from langchain_bedrock_routing.embeddings import HashingEmbeddings

        return HashingEmbeddings()
    from langchain_aws import BedrockEmbeddings

    return BedrockEmbeddings(model_id=args.embeddings, client=client, region_name=args.region)


def build_cache(args: argparse.Namespace, client: Any) -> CacheBase:
    """The cache to fill; ``ValueError`` when it would not outlive this process or Redis is unreachable."""
    url = args.redis_url or os.environ.get(REDIS_URL_ENV) or None
    if url is None and not args.in_process:
        raise ValueError(
            f"nothing to fill: pass --redis-url or set ${REDIS_URL_ENV} (an in-process cache ends with this command; "
            "--in-process fills one anyway, as a trial)"
        )
    options: dict[str, Any] = {"ttl": args.ttl, "policy": CachePolicy(skip_pii=args.skip_pii)}
    if args.semantic:
        options["embeddings"] = _embeddings(args, client)
    cache = make_cache(
        "semantic" if args.semantic else "exact", redis_url=url, redis_options={"namespace": args.namespace}, **options
    )
    connection = getattr(cache, "connection", None)
    if connection is not None:
        try:
            connection.client.ping()
        except Exception as exc:
            raise ValueError(f"cannot reach Redis at {url}: {exc}") from exc
    return cache


def _progress_bar(console: Console) -> Progress:
    return Progress(
        TextColumn("warming"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def _cost(value: object) -> str:
    return "unknown" if value is None else f"${value:.6f}"


def summary_table(report: WarmReport) -> Table:
    """Totals: prompts per status, paid calls, tokens, cost, time, cache."""
    table = Table(title="Cache warming", show_header=False)
    for status, count in report.counts.items():
        table.add_row(f"[{_STATUS_STYLE[status]}]{status.replace('_', ' ')}[/]", str(count))
    tokens = report.tokens
    table.add_row("Paid calls", str(report.paid_calls))
    table.add_row("Tokens in / out", f"{tokens.input + tokens.cache_read + tokens.cache_write:,} / {tokens.output:,}")
    table.add_row("Cost", _cost(report.cost_usd))
    table.add_row("Time", f"{report.elapsed_s:.2f} s")
    table.add_row("Cache", report.cache)
    if report.store_failures:
        table.add_row("[red]Stores lost (cache errors)[/]", str(report.store_failures))
    return table


def _exceptions_table(results: Sequence[WarmResult]) -> Table:
    table = Table(title="Not stored")
    for column in ("line", "status", "reason", "prompt"):
        table.add_column(column)
    for r in results:
        line = "" if r.line is None else str(r.line)
        table.add_row(line, f"[{_STATUS_STYLE[r.status]}]{r.status}[/]", escape(r.reason or ""), escape(r.preview))
    return table


def _warm_with_progress(
    args: argparse.Namespace, model: BaseChatModel, cache: CacheBase, prompts: list[WarmPrompt], console: Console
) -> WarmReport:
    with _progress_bar(console) as bar:
        task = bar.add_task("", total=len(prompts))

        def advance(result: WarmResult) -> None:
            bar.update(task, advance=1, description=result.status.replace("_", " "))

        return warm_cache(
            model, prompts, cache=cache, concurrency=args.concurrency, tenant=args.tenant, progress=advance
        )


def run(args: argparse.Namespace) -> int:
    """Run ``warm`` with parsed ``args``; returns the exit code (0 done, 1 some prompt failed, 2 bad input)."""
    console = wide_console(stderr=args.json)
    try:
        prompts: list[WarmPrompt] = load_prompts(args.prompts)
        with _bedrock_client(args) as client:
            model = build_model(args, client)
            cache = build_cache(args, client)
            try:
                report = _warm_with_progress(args, model, cache, prompts, console)
            finally:
                close = getattr(cache, "close", None)
                if close is not None:
                    close()
    except (ValueError, FileNotFoundError) as exc:
        console.print(f"[red]error:[/] {escape(str(exc))}", soft_wrap=True)
        return 2
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        console.print(summary_table(report))
        noted = [r for r in report.results if r.status in ("not_stored", "failed")]
        if noted:
            console.print(_exceptions_table(noted))
    return 1 if report.counts["failed"] else 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m langchain_bedrock_routing.warming.cli``: the ``warm`` subcommand on its own."""
    parser = argparse.ArgumentParser(prog="bedrock-routing warm", description=plain(__doc__))
    add_version(parser)
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
