"""Run the vendored langchain-aws integration tests (see PROVENANCE.md) against the in-process emulator.

VCR is off (every call reaches the emulator), credentials are fake, and the files the tests download are served
from local bytes by :mod:`evals.langchain_aws_parity.assets`. Only the tests named in :data:`SUBSET` run here
(the vendored chat-model file holds only those, see PROVENANCE.md); ``python -m evals.langchain_aws_parity`` runs
every test of the sdist and measures the full figure.
"""

from __future__ import annotations

import pytest

import evals.langchain_aws_parity.assets  # noqa: F401  (patches httpx.get before the test modules import)
from langchain_bedrock_routing.emulator import BedrockEmulator

SUBSET = frozenset(
    {
        "TestBedrockStandard",
        "test_multiple_system_messages_anthropic",
        "test_structured_output_snake_case",
        "test_tool_calling_snake_case",
        "test_tool_calling_camel_case",
        "test_structured_output_streaming",
        "test_tool_use_with_cache_point",
        "test_cache_control_anthropic",
        "test_cache_control_nova_multi_turn_with_tools",
        "test_structured_output_thinking_force_tool_use",
        "test_agent_loop_streaming",
        "test_streaming_tool_use_round_trip",
        "test_thinking",
        "test_citations",
        "test_citations_v1",
        "test_pdf_citations",
        "test_bedrock_text_file_inputs",
        "test_structured_output_json_schema_dict",
        "test_structured_output_json_schema_streaming",
        "test_bedrock_embeddings.py",
        "test_bedrock_multimodal.py",
    }
)
"""Test classes, functions (all their parameters) and whole files of the vendored copies that ``make test`` runs;
the vendored copies hold nothing else (PROVENANCE.md)."""


def _selected(item: pytest.Item) -> bool:
    cls = item.cls.__name__ if item.cls is not None else None
    return bool({item.path.name, cls, item.originalname} & SUBSET)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect the vendored tests outside :data:`SUBSET` (tests elsewhere in the suite are untouched)."""
    here = __file__.rsplit("/", 1)[0]
    dropped = [i for i in items if str(i.path).startswith(here) and not _selected(i)]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [i for i in items if i not in dropped]


def pytest_configure(config: pytest.Config) -> None:
    """Register the upstream ``scheduled`` marker."""
    config.addinivalue_line("markers", "scheduled: upstream langchain-aws marker for its scheduled CI runs")


@pytest.fixture
def disable_recording() -> bool:
    """pytest-recording's switch: VCR off, every call reaches the emulator."""
    return True


@pytest.fixture(autouse=True)
def _on_emulator(emulator: BedrockEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point boto3 at the emulator with fake credentials in us-east-1."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "upstream",
        "AWS_SECRET_ACCESS_KEY": "upstream",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
