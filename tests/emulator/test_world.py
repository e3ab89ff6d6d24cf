"""BedrockEmulator(outcomes=...): recorded prompts are answered as well as the file says each model did, over the
wire with plain boto3, and judge prompts get grades that agree with the file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from langchain_bedrock_routing.emulator import BedrockEmulator
from langchain_bedrock_routing.emulator.__main__ import main
from langchain_bedrock_routing.learning import OutcomesFormatError
from langchain_bedrock_routing.learning.judge import judge_prompt, parse_grade

from .conftest import user

CHOICE = "Which planet is largest?\nA. Mars\nB. Jupiter\nC. Venus\nD. Mercury\nAnswer:"
OPEN = "Write a haiku about the sea."
HAIKU, SONNET = "us.anthropic.claude-3-haiku-20240307-v1:0", "anthropic.claude-sonnet-5"
OPUS = "amazon.nova-premier-v1:0"


def _write(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    return path


@pytest.fixture
def client(tmp_path: Path) -> Iterator[object]:
    rows = [
        {"prompt": CHOICE, "outcomes": {"simple": 0, "complex": 1}},
        {"prompt": OPEN, "outcomes": {"simple": 0.4, "global.anthropic.claude-sonnet-5": 0.75, "complex": 1}},
    ]
    with BedrockEmulator(outcomes=_write(tmp_path / "world.jsonl", rows)) as emulator:
        yield boto3.client("bedrock-runtime", **emulator.client_kwargs())


def _say(client: object, model: str, prompt: str) -> str:
    reply = client.converse(modelId=model, messages=user(prompt))  # type: ignore[attr-defined]
    return str(reply["output"]["message"]["content"][0]["text"])


def test_models_answer_as_the_outcomes_say(client):
    weak, strong = _say(client, HAIKU, CHOICE), _say(client, OPUS, CHOICE)
    assert weak.startswith("The answer is ")
    assert strong.startswith("The answer is ")
    assert weak != strong  # the simple tier's recorded 0 is a wrong letter, the complex tier's 1 the right one
    assert _say(client, OPUS, CHOICE) == strong  # deterministic
    assert _say(client, SONNET, CHOICE) != strong  # no medium outcome: it counts as the simple tier's 0
    assert _say(client, HAIKU, OPEN).startswith("(offline answer of quality 0.40)")
    assert _say(client, SONNET, OPEN).startswith("(offline answer of quality 0.75)")  # its own model id's outcome
    assert _say(client, "amazon.nova-pro-v1:0", OPEN).startswith("(offline answer of quality 1.00)")
    assert "offline answer" not in _say(client, HAIKU, "What is the capital of Peru?")  # not in the world


def test_the_judge_grades_as_the_outcomes_say(client):
    right, wrong = _say(client, OPUS, CHOICE), _say(client, HAIKU, CHOICE)
    judge = "amazon.nova-lite-v1:0"
    assert parse_grade(_say(client, judge, judge_prompt(CHOICE, right, wrong))) == 1
    assert parse_grade(_say(client, judge, judge_prompt(CHOICE, right, right))) == 5
    graded = _say(client, judge, judge_prompt(OPEN, _say(client, OPUS, OPEN), _say(client, SONNET, OPEN)))
    assert parse_grade(graded) == 4  # 0.75 -> grade 4 -> score 0.75
    unknown = _say(client, judge, judge_prompt("What is the capital of Peru?", "Lima.", "Cusco."))
    assert parse_grade(unknown) is None


def test_weak_strong_files_load_and_bad_files_are_refused_with_the_line(tmp_path):
    pairs = _write(tmp_path / "pairs.jsonl", [{"prompt": CHOICE, "weak_correct": False, "strong_correct": True}])
    with BedrockEmulator(outcomes=pairs) as emulator:
        client = boto3.client("bedrock-runtime", **emulator.client_kwargs())
        assert _say(client, HAIKU, CHOICE) != _say(client, OPUS, CHOICE)
    with pytest.raises(ValueError, match="gpt-4"):
        BedrockEmulator(outcomes=_write(tmp_path / "bad.jsonl", [{"prompt": "x", "outcomes": {"gpt-4": 1}}]))
    with pytest.raises(OutcomesFormatError, match=r"bad2\.jsonl:1"):
        BedrockEmulator(outcomes=_write(tmp_path / "bad2.jsonl", [{"prompt": "x", "outcomes": {"simple": 2}}]))


def test_the_command_line_refuses_a_missing_outcomes_file(tmp_path, capsys):
    assert main(["--port", "0", "--outcomes", str(tmp_path / "missing.jsonl")]) == 2
    assert "missing.jsonl" in capsys.readouterr().err
