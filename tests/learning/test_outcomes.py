"""The outcomes format: valid lines load, bad lines are named with their problem, weak/strong rows convert."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from langchain_bedrock_routing.learning import (
    Outcome,
    OutcomesFormatError,
    convert_pairs,
    from_pairs,
    load_outcomes,
    parse_outcome,
)
from langchain_bedrock_routing.learning.outcomes import dump_outcome

DATA = Path(__file__).resolve().parents[2] / "evals" / "data"


def _write(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "outcomes.jsonl"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def test_prompt_messages_and_thumbs_load(tmp_path):
    path = _write(
        tmp_path,
        [
            '{"prompt": "What is 2+2?", "outcomes": {"simple": 1, "complex": 1}}',
            "",
            '{"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Prove it."}],'
            ' "outcomes": {"global.anthropic.claude-haiku-5-5": false}, "id": "r2", "metadata": {"source": "thumbs"}}',
            '{"prompt": "Rate this", "outcomes": {"medium": 0.7}}',
        ],
    )
    first, second, third = load_outcomes(path)
    assert first.messages == (("user", "What is 2+2?"),)
    assert first.outcomes == {"simple": 1.0, "complex": 1.0}
    assert second.text == "Prove it."
    assert second.outcomes == {"global.anthropic.claude-haiku-5-5": 0.0}
    assert (second.id, second.metadata) == ("r2", {"source": "thumbs"})
    assert [m.type for m in second.to_messages()] == ["system", "human"]
    assert third.outcomes == {"medium": 0.7}


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("not json", "not valid JSON"),
        ("[1, 2]", "expected a JSON object, got list"),
        ('{"outcomes": {"simple": 1}}', 'exactly one of "prompt"'),
        ('{"prompt": "a", "messages": [], "outcomes": {"simple": 1}}', 'exactly one of "prompt"'),
        ('{"prompt": "  ", "outcomes": {"simple": 1}}', '"prompt" must be a non-empty string'),
        ('{"prompt": "a"}', '"outcomes" must be a non-empty object'),
        ('{"prompt": "a", "outcomes": {}}', '"outcomes" must be a non-empty object'),
        ('{"prompt": "a", "outcomes": {"simple": 1.5}}', "outcome 'simple' is 1.5: scores are numbers in [0, 1]"),
        ('{"prompt": "a", "outcomes": {"simple": "yes"}}', "outcome 'simple' is 'yes'"),
        ('{"prompt": "a", "outcome": {"simple": 1}}', "unknown key(s) 'outcome'; valid keys:"),
        ('{"messages": [{"role": "bot", "content": "x"}], "outcomes": {"simple": 1}}', "role 'bot'; valid roles"),
        ('{"messages": [{"role": "system", "content": "x"}], "outcomes": {"simple": 1}}', 'at least one "user"'),
        ('{"messages": [{"role": "user"}], "outcomes": {"simple": 1}}', 'exactly "role" and "content"'),
        ('{"prompt": "a", "outcomes": {"simple": 1}, "id": 3}', '"id" must be a string'),
    ],
)
def test_bad_lines_are_named(tmp_path, line, problem):
    path = _write(tmp_path, ['{"prompt": "fine", "outcomes": {"simple": 1}}', line])
    with pytest.raises(OutcomesFormatError) as info:
        load_outcomes(path)
    assert info.value.line == 2
    assert str(info.value).startswith(f"{path}:2: ")
    assert problem in str(info.value)


def test_empty_and_missing_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="outcomes file not found"):
        load_outcomes(tmp_path / "nope.jsonl")
    with pytest.raises(OutcomesFormatError, match="holds no outcome records"):
        load_outcomes(_write(tmp_path, [""]))


def test_dump_round_trips():
    record = parse_outcome(
        {
            "messages": [
                {"role": "user", "content": "a"},
                {"role": "assistant", "content": "b"},
                {"role": "user", "content": "c"},
            ],
            "outcomes": {"simple": 0.25},
            "metadata": {"k": 1},
        }
    )
    assert parse_outcome(json.loads(dump_outcome(record))) == record
    one = Outcome.from_prompt("hello", {"complex": 1.0})
    assert json.loads(dump_outcome(one)) == {"prompt": "hello", "outcomes": {"complex": 1.0}}


def test_convert_evals_pairs(tmp_path):
    out = tmp_path / "humaneval_outcomes.jsonl"
    written = convert_pairs(DATA / "humaneval.jsonl", out)
    source = [json.loads(line) for line in (DATA / "humaneval.jsonl").read_text("utf-8").splitlines()]
    records = load_outcomes(out)
    assert written == len(records) == len(source) == 164
    assert records[0].text == source[0]["prompt"]
    assert records[0].outcomes == {"simple": source[0]["weak_correct"], "complex": source[0]["strong_correct"]}
    assert records[0].metadata == {"domain": "code", "subject": source[0]["subject"]}


def test_pairs_with_other_tiers_and_bad_rows():
    (record,) = from_pairs([{"prompt": "p", "weak_correct": 0, "strong_correct": 1}], weak="medium", strong="complex")
    assert record.outcomes == {"medium": 0.0, "complex": 1.0}
    with pytest.raises(OutcomesFormatError, match=r"<pairs>:2: a weak/strong row needs strong_correct"):
        from_pairs([{"prompt": "p", "weak_correct": 0, "strong_correct": 1}, {"prompt": "q", "weak_correct": 1}])
    with pytest.raises(OutcomesFormatError, match=r"<pairs>:1: outcome 'complex' is 2"):
        from_pairs([{"prompt": "p", "weak_correct": 0, "strong_correct": 2}])
