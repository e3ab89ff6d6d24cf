"""Where the examples send Bedrock calls: an in-process BedrockEmulator by default, Amazon Bedrock with --live.

Public API only (``BedrockEmulator.client_kwargs()``), so an example copied with this file runs anywhere.
An emulator you started yourself (``$AWS_ENDPOINT_URL_BEDROCK_RUNTIME`` set) is used instead of a new one.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from langchain_bedrock_routing.emulator import BedrockEmulator

DEFAULT_REGION = "us-east-1"
ENDPOINT_ENV = "AWS_ENDPOINT_URL_BEDROCK_RUNTIME"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``--live``, ``--region``, ``--profile``: where the example sends its calls."""
    parser.add_argument("--live", action="store_true", help="call Amazon Bedrock with your AWS credentials")
    parser.add_argument("--region", default=DEFAULT_REGION, help=f"AWS region for --live (default {DEFAULT_REGION})")
    parser.add_argument("--profile", help="AWS profile for --live (default: the usual AWS credential chain)")


@contextmanager
def bedrock(args: argparse.Namespace, outcomes: Path | None = None) -> Iterator[tuple[str, dict[str, Any]]]:
    """A label saying where calls go, and the keyword arguments that point models (and embeddings) there.

    ``outcomes``: offline, an in-process emulator answering that outcomes file's prompts as well as it says each
    model did (an emulator started elsewhere would not know them).
    """
    if args.live:
        yield f"Amazon Bedrock in {args.region}", {"region_name": args.region, "credentials_profile_name": args.profile}
        return
    external = os.environ.get(ENDPOINT_ENV)
    if external and outcomes is None:  # an emulator checks no signature: any key will do
        dummy = {"aws_access_key_id": "emulator", "aws_secret_access_key": "emulator"}
        yield f"Bedrock emulator at {external}", {"endpoint_url": external, "region_name": DEFAULT_REGION, **dummy}
        return
    with BedrockEmulator(outcomes=outcomes) as emulator:
        world = f" answering from {outcomes.name}" if outcomes is not None else ""
        yield f"in-process Bedrock emulator at {emulator.endpoint_url}{world}", emulator.client_kwargs()
