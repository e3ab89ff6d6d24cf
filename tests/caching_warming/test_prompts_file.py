"""The JSONL prompts format: what loads, and bad lines named with their line numbers before any model call."""

from __future__ import annotations

from pathlib import Path

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from langchain_bedrock_routing.warming.prompts import PromptFileError, WarmPrompt, load_prompts

from .conftest import WriteJsonl

EXAMPLE = Path(__file__).parents[2] / "examples" / "data" / "warm_prompts.jsonl"


def test_prompt_and_messages_lines_load_with_tenant_metadata_and_line_numbers(write_jsonl: WriteJsonl):
    path = write_jsonl(
        [
            {"prompt": "What is Redis?"},
            "",
            {
                "messages": [
                    {"role": "system", "content": "Be brief."},
                    {"role": "user", "content": "Hi"},
                    {"role": "assistant", "content": "Hello!"},
                    {"role": "user", "content": "What is Redis?"},
                ],
                "tenant": "acme",
                "metadata": {"source": "faq"},
            },
        ]
    )
    first, second = load_prompts(path)
    assert first == WarmPrompt((HumanMessage("What is Redis?"),), line=1)
    assert [type(m) for m in second.messages] == [SystemMessage, HumanMessage, AIMessage, HumanMessage]
    assert (second.tenant, dict(second.metadata), second.line) == ("acme", {"source": "faq"}, 3)


def test_the_example_file_loads():
    prompts = load_prompts(EXAMPLE)
    assert len(prompts) >= 10
    assert {p.tenant for p in prompts} >= {None, "acme", "globex"}


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("{not json", "not valid JSON"),
        ('["a list"]', "expected a JSON object, got list"),
        ('{"prompt": "q", "model": "x"}', "unknown field(s) model (valid: prompt, messages, tenant, metadata)"),
        ('{"prompt": "q", "messages": [{"role": "user", "content": "q"}]}', 'exactly one of "prompt"'),
        ("{}", 'exactly one of "prompt"'),
        ('{"prompt": "  "}', '"prompt" must be a non-empty string'),
        ('{"messages": []}', '"messages" must be a non-empty list'),
        ('{"messages": [{"role": "bot", "content": "q"}]}', "messages[0].role must be one of system, user, assistant"),
        ('{"messages": [{"role": "user", "content": 3}]}', "messages[0].content must be a non-empty string"),
        (
            '{"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}',
            'end with a "user"',
        ),
        ('{"prompt": "q", "tenant": ""}', '"tenant" must be a non-empty string'),
        ('{"prompt": "q", "metadata": [1]}', '"metadata" must be an object'),
        ('{"prompt": "q", "metadata": {"tenant_id": "b"}}', "metadata must not set tenant_id"),
    ],
)
def test_a_bad_line_is_named_with_its_number_and_problem(write_jsonl: WriteJsonl, line: str, problem: str):
    path = write_jsonl([{"prompt": "fine"}, line, {"prompt": "also fine"}])
    with pytest.raises(PromptFileError) as caught:
        load_prompts(path)
    assert [number for number, _ in caught.value.problems] == [2]
    assert problem in caught.value.problems[0][1]
    assert f"{path}:2: " in str(caught.value)


def test_every_bad_line_is_listed_at_once(write_jsonl: WriteJsonl):
    path = write_jsonl(["oops", {"prompt": "fine"}, {"prompt": 1}, "[]"])
    with pytest.raises(ValueError, match="3 bad line") as caught:
        load_prompts(path)
    assert isinstance(caught.value, PromptFileError)
    assert [number for number, _ in caught.value.problems] == [1, 3, 4]


def test_empty_files_and_missing_files_are_clear_errors(write_jsonl: WriteJsonl, tmp_path: Path):
    with pytest.raises(PromptFileError, match="no prompts"):
        load_prompts(write_jsonl(["", "   "]))
    with pytest.raises(FileNotFoundError, match="prompts file not found"):
        load_prompts(tmp_path / "missing.jsonl")
    binary = tmp_path / "binary.jsonl"
    binary.write_bytes(b'{"prompt": "ok"}\n\xff\xfe\n')
    with pytest.raises(PromptFileError, match=r"binary\.jsonl:2: not UTF-8"):
        load_prompts(binary)


def test_warm_prompt_of_text_messages_and_default_tenant():
    assert WarmPrompt.of("hi", "acme") == WarmPrompt((HumanMessage("hi"),), "acme")
    own = WarmPrompt((HumanMessage("hi"),), "globex")
    assert WarmPrompt.of(own, "acme") is own
    assert WarmPrompt.of([HumanMessage("hi")]).messages == (HumanMessage("hi"),)
    with pytest.raises(ValueError, match="end with a user"):
        WarmPrompt.of([SystemMessage("only a system prompt")])
    with pytest.raises(ValueError, match="must not be empty"):
        WarmPrompt.of(" ")
    with pytest.raises(TypeError, match="a str, a list of messages or a WarmPrompt"):
        WarmPrompt.of([{"role": "user"}])  # type: ignore[list-item]
