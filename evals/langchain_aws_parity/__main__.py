"""Run langchain-aws's Converse chat-model and embeddings integration tests against a started emulator.

    python -m evals.langchain_aws_parity [--sdist DIR] [-k EXPR] [--show N] [--list-failures] [--invoke]

Protocol: the tests of the installed langchain-aws version (its PyPI sdist, see :mod:`.source`), model ids as
written, VCR off (``--disable-recording``: every call reaches the emulator), the files they download served from
local bytes (:mod:`.assets`), credentials fake. One in-process emulator (latency 0) serves the run through
``AWS_ENDPOINT_URL_BEDROCK_RUNTIME``. Printed: passed / ran (skips and xfails excluded) and failures by cause.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from evals.langchain_aws_parity.report import Outcomes, read_junit
from evals.langchain_aws_parity.source import INVOKE_SELECTION, SELECTION, installed_version, sdist_root
from langchain_bedrock_routing.emulator import BedrockEmulator

REPO = Path(__file__).resolve().parents[2]


def run(root: Path, endpoint: str, keyword: str | None, junit: Path, selection: tuple[str, ...]) -> None:
    """Run the ``selection`` of the sdist at ``root`` with pytest, writing ``junit``."""
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": endpoint,
        "AWS_ACCESS_KEY_ID": "parity",
        "AWS_SECRET_ACCESS_KEY": "parity",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "PYTHONPATH": os.pathsep.join([str(REPO), str(root)]),
        "PARITY_XPASS_FILE": str(junit.with_suffix(".xpass")),
    }
    env.pop("AWS_PROFILE", None)
    command = [
        sys.executable, "-m", "pytest", *selection, "-q", "-p", "no:cacheprovider",
        "-p", "evals.langchain_aws_parity.assets", "-p", "evals.langchain_aws_parity.xpass",
        "--disable-recording", "-o", "addopts=", "--timeout=120", f"--junitxml={junit}",
        "-W", "ignore::DeprecationWarning",
    ]  # fmt: skip
    if keyword:
        command += ["-k", keyword]
    subprocess.run(command, cwd=root, env=env, check=False, stdout=subprocess.DEVNULL)


def show(outcomes: Outcomes, limit: int, list_failures: bool, what: str) -> None:
    """Print the summary, the top ``limit`` causes and, optionally, every failing test with its cause."""
    print(f"langchain-aws {installed_version()} {what} integration tests vs the emulator")
    print(outcomes.summary())
    for cause, count in outcomes.causes().most_common(limit):
        print(f"{count:4d}  {cause}")
    print("skipped by reason:")
    for reason, count in outcomes.skip_reasons().most_common(limit):
        print(f"{count:4d}  {reason}")
    if list_failures:
        for name, cause in sorted(outcomes.failed.items()):
            print(f"FAIL {name}\n     {cause}")
        for name in outcomes.xpassed:
            print(f"XPASS {name}")


def main(argv: list[str] | None = None) -> int:
    """Run the parity suite; exit status 0 whatever the figure (it is a measurement, not a gate)."""
    parser = argparse.ArgumentParser(prog="python -m evals.langchain_aws_parity", description=__doc__.split("\n")[0])
    parser.add_argument("--sdist", type=Path, help="an unpacked langchain-aws sdist (default: cached PyPI sdist)")
    parser.add_argument("-k", dest="keyword", help="pytest -k expression selecting a subset")
    parser.add_argument("--show", type=int, default=25, help="failure causes printed (default 25)")
    parser.add_argument("--list-failures", action="store_true", help="print every failing test and its cause")
    parser.add_argument(
        "--invoke",
        action="store_true",
        help="measure ChatBedrock / BedrockLLM over InvokeModel (native bodies) instead",
    )
    args = parser.parse_args(argv)
    root = sdist_root(args.sdist)
    with BedrockEmulator(latency_scale=0.0) as emulator, tempfile.TemporaryDirectory() as tmp:
        junit = Path(tmp) / "junit.xml"
        selection, what = (
            (INVOKE_SELECTION, "InvokeModel chat") if args.invoke else (SELECTION, "Converse + embeddings")
        )
        run(root, emulator.endpoint_url, args.keyword, junit, selection)
        xpass = junit.with_suffix(".xpass")
        show(read_junit(junit, xpass), args.show, args.list_failures, what)
    return 0


if __name__ == "__main__":
    sys.exit(main())
