"""The examples run from a fresh venv made by ``pip install '.[examples]'``, with no AWS variables set.

One venv per session (``python -m venv``, then pip installs this checkout with its ``examples`` extra: packages
come from the registry and pip's cache). Each example then runs with the venv's interpreter from a directory
outside the checkout, so only what that install brought in is importable, and starts its own in-process emulator
because no AWS variable points anywhere. ``test_example_imports.py`` is the fast static pre-check of the same
promise; this is the real install.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
EXAMPLES = ROOT / "examples"
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

EXPECTED: dict[str, list[str]] = {
    "lcel_pipeline.py": [r"A: 12 \* 7 = 84\.", r"streamed \d+ chunks", "Routing tiers"],
    "agent_with_tools.py": [
        r"tool_calls=\['order_status'\]",
        r"tool_calls=\['plan_price'\]",
        "the team plan costs 9 euros per month",
    ],
    "langsmith_tracing.py": ["local LangSmith stand-in", "routing tier=simple model=amazon.nova-micro-v1:0"],
    "rag_document_qa.py": [r"Vector store: InMemoryVectorStore, \d+ chunks of 3 documents", r"exact hit", "API calls"],
    "learn_routing.py": [r"trained on \d+ outcomes", r"held-out trained: APGR \d\.\d+", r"A/B arm default: \d+ users"],
    "multi_tenant_cache.py": [r"tenant=acme\s+miss", r"tenant=globex\s+hit", "entries in Redis under lbr-example"],
}
"""Lines each example must print (regular expressions); every example file must have an entry."""


@pytest.fixture(scope="module")
def venv_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The interpreter of a new venv holding ``pip install '<checkout>[examples]'``."""
    venv = tmp_path_factory.mktemp("examples-venv")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    done = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", f"{ROOT}[examples]"],
        capture_output=True,
        text=True,
        timeout=800,
        env=_clean_environ(),
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return python


def _clean_environ(**extra: str) -> dict[str, str]:
    """This process's environment without AWS, Redis, LangSmith or PYTHONPATH settings, plus ``extra``."""
    drop = ("AWS_", "REDIS_", "LANGSMITH_", "LANGCHAIN_")
    kept = {k: v for k, v in os.environ.items() if not k.startswith(drop) and k != "PYTHONPATH"}
    return {**kept, "COLUMNS": "200", **extra}


def test_every_example_has_expectations():
    assert {p.name for p in EXAMPLES.glob("[!_]*.py")} == set(EXPECTED)


def test_the_venv_imports_the_installed_package_not_the_checkout(venv_python: Path, tmp_path: Path):
    imports = "import langchain_bedrock_routing as lbr, langchain_classic, langchain_text_splitters"
    code = f"{imports}; print(lbr.__file__)"
    done = subprocess.run(
        [str(venv_python), "-c", code], capture_output=True, text=True, cwd=tmp_path, env=_clean_environ()
    )
    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.strip()).is_relative_to(venv_python.parents[1])


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_runs_from_the_examples_venv(
    venv_python: Path, tmp_path: Path, request: pytest.FixtureRequest, name: str
):
    extra = {"REDIS_URL": request.getfixturevalue("redis_url")} if name == "multi_tenant_cache.py" else {}
    done = subprocess.run(
        [str(venv_python), str(EXAMPLES / name)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env=_clean_environ(**extra),
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert re.search(r"^Bedrock: in-process Bedrock emulator at http://127\.0\.0\.1:\d+", done.stdout, re.M), (
        done.stdout[:500]
    )
    for expected in EXPECTED[name]:
        assert re.search(expected, done.stdout), f"{name}: {expected!r} not in output:\n{done.stdout[-2000:]}"
    assert "Traceback" not in done.stderr
