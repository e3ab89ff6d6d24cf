"""The routing-eval replay data: per-model outcomes by domain, their deterministic split, and the tier sets.

Outcome rows (see ``evals/data/NOTICE.md``): a prompt and how well a weak and a strong model
answered it, as scores in [0, 1] (1/0 for MMLU correctness). Five domains: ``knowledge`` and
``math`` from ``../shared/data/routing-eval/mmlu.jsonl`` (Mixtral-8x7B vs GPT-4), ``chat``,
``open-ended`` and ``code`` from ``evals/data/*.jsonl``. The MMLU split hashes each prompt, so it is
the same on every machine and run: ``HELD_OUT_PERCENT`` of rows are held out for evaluation.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

HELD_OUT_PERCENT = 30
DEFAULT_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "routing-eval" / "mmlu.jsonl"
DATA_DIR = Path(__file__).resolve().parent / "data"
DOMAINS = ("knowledge", "math", "chat", "open-ended", "code")
OUTCOME_FILES = {"chat": "arena_bench.jsonl", "open-ended": "alpaca_eval.jsonl", "code": "humaneval.jsonl"}
MMLU_MATH = frozenset({"abstract_algebra", "college_mathematics", "elementary_mathematics", "high_school_statistics"})
MMLU_LEFT_OUT = frozenset({"high_school_mathematics"})
"""Its strong-model column is broken in the source (GPT-4 3% correct, Mixtral 32%): see the NOTICE."""
SPLIT_DOMAINS = frozenset({"knowledge"})
"""Domains with a held-out split (the shipped embedding classifier trained on the rest of MMLU): fits use the
training rows, figures the held-out ones. Other domains are scored whole; a fit that is scored on one never sees it."""


@dataclass(frozen=True)
class Row:
    """One replayed request: outcomes are scores in [0, 1] (``weak_correct`` for the weak model)."""

    prompt: str
    subject: str
    weak_correct: float
    strong_correct: float
    domain: str = "knowledge"

    @property
    def held_out(self) -> bool:
        """True for the evaluation split (a stable hash of the prompt)."""
        digest = hashlib.blake2b(self.prompt.encode("utf-8"), digest_size=8).digest()
        return int.from_bytes(digest, "little") % 100 < HELD_OUT_PERCENT


@dataclass(frozen=True)
class TierExample:
    """A hand-labelled request: ``turns`` are ``(role, text)`` pairs, the last human turn is the request."""

    domain: str
    tier: str
    turns: tuple[tuple[str, str], ...]


def load_rows(path: str | Path = DEFAULT_DATA) -> list[Row]:
    """Every row of a routing-eval JSONL file; raises ``FileNotFoundError`` naming the path."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"routing-eval data not found at {path} (see ../shared/data/routing-eval/NOTICE.md)")
    with path.open(encoding="utf-8") as handle:
        return [
            Row(
                raw["prompt"],
                raw["subject"],
                float(raw["weak_correct"]),
                float(raw["strong_correct"]),
                raw.get("domain") or ("math" if raw["subject"] in MMLU_MATH else "knowledge"),
            )
            for raw in map(json.loads, handle)
        ]


def load_domains(mmlu: str | Path = DEFAULT_DATA, data_dir: str | Path = DATA_DIR) -> dict[str, list[Row]]:
    """Rows of every domain in :data:`DOMAINS` order (MMLU subjects in :data:`MMLU_LEFT_OUT` dropped)."""
    rows = [r for r in load_rows(mmlu) if r.subject not in MMLU_LEFT_OUT]
    for name in OUTCOME_FILES.values():
        rows += load_rows(Path(data_dir) / name)
    return {domain: [r for r in rows if r.domain == domain] for domain in DOMAINS}


def fit_rows(domain: str, rows: list[Row]) -> list[Row]:
    """The rows a fit may use when ``domain`` is not the one held out (the training split where there is one)."""
    return [r for r in rows if not r.held_out] if domain in SPLIT_DOMAINS else rows


def scored_rows(domain: str, rows: list[Row]) -> list[Row]:
    """The rows figures are computed on (the held-out split where there is one, else every row)."""
    return [r for r in rows if r.held_out] if domain in SPLIT_DOMAINS else rows


def load_tiers(half: str, data_dir: str | Path = DATA_DIR) -> list[TierExample]:
    """The hand-labelled tier set ``half`` ("dev" or "test"); see ``evals/data/TIERS.md``."""
    if half not in ("dev", "test"):
        raise ValueError(f"unknown tier half {half!r}: valid halves are 'dev' and 'test'")
    examples = []
    with (Path(data_dir) / f"tiers_{half}.jsonl").open(encoding="utf-8") as handle:
        for raw in map(json.loads, handle):
            turns = [("human", raw["prompt"])] if "prompt" in raw else raw["messages"]
            examples.append(TierExample(raw["domain"], raw["tier"], tuple((role, text) for role, text in turns)))
    return examples


def split(rows: list[Row]) -> tuple[list[Row], list[Row]]:
    """(train, held_out) by the prompt hash."""
    return [r for r in rows if not r.held_out], [r for r in rows if r.held_out]
