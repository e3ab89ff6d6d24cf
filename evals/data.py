"""The routing-eval replay data (``../shared/data/routing-eval/mmlu.jsonl``) and its deterministic split.

Each row is an MMLU prompt with whether the weak model (Mixtral-8x7B) and the strong model
(GPT-4) answered it correctly (see the data's NOTICE.md). The split hashes each prompt, so it is
the same on every machine and run: ``HELD_OUT_PERCENT`` of rows are held out for evaluation and
never used to train or tune anything.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

HELD_OUT_PERCENT = 30
DEFAULT_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "routing-eval" / "mmlu.jsonl"


@dataclass(frozen=True)
class Row:
    """One replayed request."""

    prompt: str
    subject: str
    weak_correct: bool
    strong_correct: bool

    @property
    def held_out(self) -> bool:
        """True for the evaluation split (a stable hash of the prompt)."""
        digest = hashlib.blake2b(self.prompt.encode("utf-8"), digest_size=8).digest()
        return int.from_bytes(digest, "little") % 100 < HELD_OUT_PERCENT


def load_rows(path: str | Path = DEFAULT_DATA) -> list[Row]:
    """Every row of a routing-eval JSONL file; raises ``FileNotFoundError`` naming the path."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"routing-eval data not found at {path} (see ../shared/data/routing-eval/NOTICE.md)")
    with path.open(encoding="utf-8") as handle:
        return [
            Row(raw["prompt"], raw["subject"], bool(raw["weak_correct"]), bool(raw["strong_correct"]))
            for raw in map(json.loads, handle)
        ]


def split(rows: list[Row]) -> tuple[list[Row], list[Row]]:
    """(train, held_out) by the prompt hash."""
    return [r for r in rows if not r.held_out], [r for r in rows if r.held_out]
