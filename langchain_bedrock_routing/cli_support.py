"""What every command line of the package shares: ``--version`` and help texts in plain words.

Help texts come from module docstrings written for the documentation; :func:`plain` drops their
reStructuredText markup so ``--help`` shows ``bedrock-routing demo``, not ````bedrock-routing demo````.
"""

from __future__ import annotations

import argparse
import difflib
import re
from importlib import metadata

DISTRIBUTION = "langchain-bedrock-routing"
_ROLE = re.compile(r":[a-z]+:`~?([^`]+)`")


def version() -> str:
    """The installed package's version (``unknown`` when it runs from a source tree that is not installed)."""
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "unknown"


def add_version(parser: argparse.ArgumentParser) -> None:
    """``--version``: print ``PROG VERSION`` and exit 0."""
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()} ({DISTRIBUTION})")


def plain(doc: str | None) -> str:
    """The first paragraph of ``doc`` on one line, without reStructuredText roles or double backticks."""
    paragraph = (doc or "").strip().split("\n\n")[0]
    return " ".join(_ROLE.sub(r"\1", paragraph).replace("``", "").split())


class SetupError(ValueError):
    """A command cannot start (no credentials, unknown region, no answer to a question); nothing was called or paid."""


def check_credentials(profile: str | None) -> str:
    """Where boto3 finds credentials (``env``, ``shared-credentials-file`` ...); else :class:`SetupError`."""
    import boto3
    from botocore.exceptions import BotoCoreError

    try:
        credentials = boto3.Session(profile_name=profile).get_credentials()
    except BotoCoreError as exc:
        raise SetupError(f"cannot load AWS credentials: {exc}") from exc
    if credentials is None:
        raise SetupError(
            "no AWS credentials found: configure them (aws configure, AWS_PROFILE, or AWS_ACCESS_KEY_ID / "
            "AWS_SECRET_ACCESS_KEY) or pass --profile NAME"
        )
    return str(credentials.method)


def check_region(region: str) -> None:
    """:class:`SetupError` unless ``region`` is an AWS region botocore knows (closest names suggested)."""
    import botocore.session

    partitions = botocore.session.get_session().get_data("endpoints")["partitions"]
    known = sorted(name for partition in partitions for name in partition["regions"])
    if region in known:
        return
    close = difflib.get_close_matches(region, known, n=3)
    choices = f"did you mean {' or '.join(close)}?" if close else f"choose one of {', '.join(known)}"
    raise SetupError(f"unknown AWS region {region!r}: {choices} (upgrade boto3 if the region is new)")
