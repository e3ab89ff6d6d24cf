"""Every ```python block of README.md and docs/**/*.md runs as written, each in a fresh process, offline.

The rules the pages state (docs/index.md, "Running the examples"): a block that starts its own
``BedrockEmulator`` gets no AWS settings at all; any other block runs with the settings a reader exports
for the emulator (``BedrockEmulator.environ()``: endpoint, region, dummy keys) pointed at one the test
started. A block that reads ``REDIS_URL`` gets a real, empty redis-server there. Nothing is inherited
from the caller's environment: no ``AWS_*``, ``REDIS_*`` or LangSmith variable, no ``~/.aws`` files, no
instance metadata. A block preceded by ``<!-- snippet: skip (reason) -->`` is not run; those are listed
in ``SKIPPED`` so that none is added unnoticed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from langchain_bedrock_routing.emulator import BedrockEmulator
from langchain_bedrock_routing.testing import RedisServer

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
SKIP_MARK = re.compile(r"^<!--\s*snippet:\s*skip\s*\((?P<reason>[^)]+)\)\s*-->$")
DROPPED_PREFIXES = ("AWS_", "REDIS_", "LANGSMITH_", "LANGCHAIN_")
SNIPPET_TIMEOUT_S = 180

# (page, first code line) of each block deliberately not run, with the reason the page gives.
SKIPPED: set[tuple[str, str, str]] = set()


@dataclass(frozen=True)
class Snippet:
    """One ```python block: where it is, its code, and the skip reason written before it (if any)."""

    page: str
    line: int
    code: str
    skip: str | None

    @property
    def test_id(self) -> str:
        return f"{self.page}:{self.line}"


def _blocks(path: Path, root: Path = ROOT) -> Iterator[Snippet]:
    lines = path.read_text(encoding="utf-8").splitlines()
    page = path.relative_to(root).as_posix()
    index = 0
    while index < len(lines):
        if lines[index].strip() != "```python":
            index += 1
            continue
        start = index
        end = next(i for i in range(start + 1, len(lines)) if lines[i].strip() == "```")
        before = next((lines[i].strip() for i in range(start - 1, -1, -1) if lines[i].strip()), "")
        mark = SKIP_MARK.match(before)
        yield Snippet(page, start + 1, "\n".join(lines[start + 1 : end]) + "\n", mark["reason"] if mark else None)
        index = end + 1


SNIPPETS = [snippet for path in PAGES for snippet in _blocks(path)]
RUNNABLE = [snippet for snippet in SNIPPETS if snippet.skip is None]


def test_pages_have_snippets_and_skips_are_listed() -> None:
    assert len(RUNNABLE) >= 15, [s.test_id for s in RUNNABLE]
    found = {(s.page, s.code.splitlines()[0], s.skip or "") for s in SNIPPETS if s.skip is not None}
    assert found == SKIPPED


@pytest.fixture(scope="module")
def emulator() -> Iterator[BedrockEmulator]:
    with BedrockEmulator(latency_scale=0) as emu:
        yield emu


def _environment(snippet: Snippet, emulator: BedrockEmulator, redis_server: RedisServer, home: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(DROPPED_PREFIXES)}
    env.update(
        PYTHONPATH=str(ROOT),
        HOME=str(home),
        COLUMNS="120",
        AWS_CONFIG_FILE=str(home / "no-aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / "no-aws-credentials"),
        AWS_EC2_METADATA_DISABLED="true",
    )
    if "BedrockEmulator(" not in snippet.code:
        env.update(emulator.environ())
    if "REDIS_URL" in snippet.code:
        env["REDIS_URL"] = redis_server.url
    return env


@pytest.mark.parametrize("snippet", RUNNABLE, ids=[s.test_id for s in RUNNABLE])
def test_snippet_runs_as_written(
    snippet: Snippet, emulator: BedrockEmulator, redis_server: RedisServer, tmp_path: Path
) -> None:
    env = _environment(snippet, emulator, redis_server, tmp_path)
    result = subprocess.run(
        [sys.executable, "-c", snippet.code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=SNIPPET_TIMEOUT_S,
        check=False,
    )
    assert result.returncode == 0, f"{snippet.test_id} failed:\n{snippet.code}\n{result.stdout}\n{result.stderr}"


def test_skip_marker_is_read_only_right_before_a_block(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "Text.\n\n<!-- snippet: skip (needs AWS) -->\n\n```python\nprint(1)\n```\n\n```python\nprint(2)\n```\n",
        encoding="utf-8",
    )
    found = [(s.line, s.code, s.skip) for s in _blocks(page, tmp_path)]
    assert found == [(5, "print(1)\n", "needs AWS"), (9, "print(2)\n", None)]
