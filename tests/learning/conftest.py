"""A small generated weak/strong outcomes set whose difficulty follows the topic, not the wording or length."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

HARD = (
    "the Riemann zeta function", "Byzantine fault tolerance", "quantum error correction", "tax treaty withholding",
    "protein folding kinetics", "monad transformers", "stochastic calculus", "CRISPR off-target effects",
)  # fmt: skip
EASY = (
    "pancake recipes", "watering houseplants", "the colour of the sky", "birthday card wording",
    "packing for a beach trip", "naming a pet cat", "tidying a desk", "choosing warm socks",
)  # fmt: skip
TEMPLATES = (
    "What about {t}?",
    "Tell me about {t}.",
    "Could you write a detailed, careful, step-by-step explanation of {t}, with examples and caveats?",
    "I have a question regarding {t}: what should I know first, and what do people get wrong?",
    "Explain {t} to me like I am new to it.",
)


def synthetic_rows(count: int = 400, seed: int = 7) -> list[dict[str, object]]:
    """Rows in the evals/data shape: the weak model is right on easy topics 85% of the time, on hard ones 20%;
    the strong one 90% everywhere. Templates are shared, so length and wording carry no signal."""
    rng = random.Random(seed)
    rows = []
    for index in range(count):
        hard = rng.random() < 0.5
        topic = rng.choice(HARD if hard else EASY)
        prompt = rng.choice(TEMPLATES).format(t=topic) + f" (ticket {index})"
        weak = float(rng.random() < (0.2 if hard else 0.85))
        rows.append({"prompt": prompt, "weak_correct": weak, "strong_correct": float(rng.random() < 0.9)})
    return rows


@pytest.fixture
def pairs_file(tmp_path: Path) -> Path:
    """The generated set written in the evals/data weak/strong shape."""
    path = tmp_path / "pairs.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in synthetic_rows()), "utf-8")
    return path


@pytest.fixture
def synthetic() -> list[dict[str, object]]:
    """The generated rows (evals/data shape)."""
    return synthetic_rows()
