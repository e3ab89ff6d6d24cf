"""A small generated weak/strong outcomes set (the emulator's generated world): difficulty follows the topic, not the
wording or length."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from langchain_bedrock_routing.emulator import generated_world


@pytest.fixture
def pairs_file(tmp_path: Path) -> Path:
    """The generated set written in the evals/data weak/strong shape."""
    path = tmp_path / "pairs.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in generated_world(400)), "utf-8")
    return path


@pytest.fixture
def synthetic() -> list[dict[str, object]]:
    """The generated rows (evals/data shape)."""
    return generated_world(400)
