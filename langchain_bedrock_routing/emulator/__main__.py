"""CLI: ``python -m langchain_bedrock_routing.emulator [--host H] [--port P] [--latency-scale F] ...``."""

from __future__ import annotations

import argparse
import errno
import logging
import sys
from collections.abc import Sequence

from langchain_bedrock_routing.cli_support import add_version
from langchain_bedrock_routing.emulator.app import FRONTS, BedrockEmulator
from langchain_bedrock_routing.emulator.faults import STREAM_ERRORS


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m langchain_bedrock_routing.emulator",
        description="Offline Amazon Bedrock Runtime emulator. Point boto3 at it with "
        "AWS_ENDPOINT_URL_BEDROCK_RUNTIME=http://HOST:PORT.",
    )
    add_version(parser)
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="TCP port, 0 = any free port (default 8765)")
    parser.add_argument(
        "--latency-scale", type=float, default=1.0, help="multiplier of modeled latency slept (0 = none)"
    )
    parser.add_argument(
        "--fixed-latency-ms", type=float, metavar="MS", help="every Converse/InvokeModel reply takes MS instead"
    )
    parser.add_argument(
        "--front",
        choices=FRONTS,
        default="threads",
        help="HTTP server: a thread per connection, or one asyncio event loop for many concurrent slow calls",
    )
    parser.add_argument("--throttle-rate", type=float, default=0.0, help="probability of ThrottlingException (0..1)")
    parser.add_argument("--error-rate", type=float, default=0.0, help="probability of ServiceUnavailableException")
    parser.add_argument(
        "--rpm-quota", type=int, metavar="N", help="throttle each model beyond N requests per minute (a Bedrock quota)"
    )
    parser.add_argument("--fail-model", action="append", default=[], metavar="ID", help="model that always fails")
    parser.add_argument(
        "--stream-error",
        metavar="EXCEPTION",
        help=f"cut ConverseStream replies with this exception event: {', '.join(STREAM_ERRORS)}",
    )
    parser.add_argument(
        "--stream-error-after", type=int, default=0, metavar="N", help="content deltas sent before the cut (default 0)"
    )
    parser.add_argument(
        "--stream-error-rate", type=float, default=1.0, help="probability a stream is cut (0..1, default 1)"
    )
    parser.add_argument(
        "--stream-error-model", action="append", default=[], metavar="ID", help="cut only this model's streams"
    )
    parser.add_argument(
        "--outcomes",
        metavar="FILE",
        help="outcomes (or weak/strong) JSONL file: its prompts are answered as well as it says each model did",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of replies and injected faults")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    return parser


def _bind_error(host: str, port: int, exc: OSError) -> str:
    """One line naming why the server cannot listen on ``host:port`` and what to pass instead."""
    if exc.errno == errno.EADDRINUSE:
        return f"port {port} on {host} is already in use (another emulator?): pass --port N, or --port 0 for a free one"
    return f"cannot listen on {host}:{port}: {exc.strerror or exc}; pass another --host or --port"


def main(argv: Sequence[str] | None = None) -> int:
    """Serve until interrupted; prints the endpoint URL on the first line of stdout, then the shell exports."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING)
    try:
        emulator = BedrockEmulator(
            host=args.host,
            port=args.port,
            latency_scale=args.latency_scale,
            fixed_latency_ms=args.fixed_latency_ms,
            throttle_rate=args.throttle_rate,
            error_rate=args.error_rate,
            fail_models=args.fail_model,
            seed=args.seed,
            stream_error=args.stream_error,
            stream_error_after=args.stream_error_after,
            stream_error_rate=args.stream_error_rate,
            stream_error_models=args.stream_error_model,
            rpm_quota=args.rpm_quota,
            outcomes=args.outcomes,
            front=args.front,
        )
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        emulator.start()
    except OSError as exc:
        print(f"error: {_bind_error(args.host, args.port, exc)}", file=sys.stderr)
        return 2
    print(f"Bedrock emulator listening on {emulator.endpoint_url}", flush=True)
    exports = " ".join(f"{name}={value}" for name, value in emulator.environ().items())
    print(f"Point AWS clients at it: export {exports}", flush=True)
    try:
        emulator.wait()
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
