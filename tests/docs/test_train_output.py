"""The ``bedrock-routing train`` output docs/learning.md and README.md paste is what the documented commands print
today (HumanEval's weak/strong pairs converted to the outcomes format), and the router it writes loads in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from langchain_bedrock_routing.cli import main
from langchain_bedrock_routing.learning import convert_pairs
from langchain_bedrock_routing.routing import RoutedChatBedrock

ROOT = Path(__file__).resolve().parents[2]
COMMAND = "$ bedrock-routing train outcomes.jsonl --out router.json"
RERUN = (
    "re-run the commands of docs/learning.md's 'A file it has never seen: HumanEval' from the repository root and "
    "paste the output there (and its excerpt in README.md)"
)


def _documented_output() -> list[str]:
    """The text block of docs/learning.md that starts with :data:`COMMAND`, without that line."""
    lines = (ROOT / "docs" / "learning.md").read_text("utf-8").splitlines()
    start = lines.index(COMMAND)
    end = lines.index("```", start)
    return lines[start + 1 : end]


def test_the_documented_humaneval_run_is_what_train_prints(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # the paths the docs print are relative to where the command runs
    assert convert_pairs(ROOT / "evals" / "data" / "humaneval.jsonl", "outcomes.jsonl") == 164
    assert main(["train", "outcomes.jsonl", "--out", "router.json"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed == _documented_output(), RERUN
    readme = (ROOT / "README.md").read_text("utf-8").split("## Train a router on your outcomes", 1)[1]
    excerpt = readme.split("```text\n", 1)[1].split("```", 1)[0].splitlines()
    assert excerpt, "README.md's train section shows no output"
    assert all(line in printed for line in excerpt), RERUN
    assert Path("router.png").stat().st_size > 10_000
    llm = RoutedChatBedrock(classifier="trained:router.json", region_name="us-east-1")
    assert llm.classify("def add(a, b):\n    return a + b").classifier == "trained"
