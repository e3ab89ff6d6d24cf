"""An outcomes world: the emulator answers the prompts of an outcomes file as well as the file says each model did.

``BedrockEmulator(outcomes="outcomes.jsonl")`` loads the file (the outcomes format, or weak/strong rows of the
evals/data shape, read as ``simple``/``complex``). A Converse request whose last user turn is a recorded prompt
gets the recorded score of the model asked: its key in the record's outcomes, else its catalog tier's score (a
tier without one counts as the nearest cheaper tier that has one, as in training). Then:

- a multiple-choice prompt (lines ``A. ...``, ``B. ...``) is answered ``The answer is X.``: the record's right
  letter (picked by a hash of the prompt; the file names none) for a score of at least 0.5, else a wrong one;
- any other prompt gets ``(offline answer of quality S)`` and the emulator's usual short answer (the note first,
  so a ``maxTokens`` cut keeps it);
- a shadow judge's prompt (:mod:`langchain_bedrock_routing.learning.judge`) about a recorded prompt is graded
  from the candidate answer: right letter 5, wrong letter 1, ``quality S`` the grade nearest ``S``.

Prompts the file does not hold are answered as usual, so is a judge prompt about one.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections.abc import Iterable
from pathlib import Path

from langchain_bedrock_routing.catalog import TIERS, UnknownModelError, base_model_id, get_catalog
from langchain_bedrock_routing.emulator.request import ConverseRequest
from langchain_bedrock_routing.emulator.responder import Reply, finish_text, last_user_text
from langchain_bedrock_routing.learning.judge import parse_judge_prompt, score_grade, verdict
from langchain_bedrock_routing.learning.outcomes import Outcome, from_pairs, iter_outcomes
from langchain_bedrock_routing.learning.tiers import GOOD_ENOUGH, tier_quality, tier_scores

_OPTION = re.compile(r"^([A-J])[.)]\s", re.M)
_LETTER = re.compile(r"The answer is ([A-J])\.")
_QUALITY = re.compile(r"\(offline answer of quality (\d(?:\.\d+)?)\)")


class OutcomesWorld:
    """Recorded outcomes by prompt (the last user turn, stripped); see the module docstring for the answers."""

    def __init__(self, records: Iterable[Outcome]) -> None:
        self._records: dict[str, Outcome] = {}
        for record in records:
            tier_scores(record)  # every key must be a tier or a catalog model id: refused here, not mid-request
            self._records[record.text.strip()] = record

    @classmethod
    def load(cls, path: str | Path) -> OutcomesWorld:
        """Read an outcomes file, or a weak/strong file (``weak_correct`` in its first line); raises
        ``FileNotFoundError``, ``OutcomesFormatError`` (naming the line) or ``ValueError`` for an unmapped key."""
        path = Path(path)
        lines = path.read_text(encoding="utf-8").splitlines()
        first: object = next((json.loads(line) for line in lines if line.strip()), {})
        if isinstance(first, dict) and "weak_correct" in first:
            return cls(from_pairs([json.loads(line) for line in lines if line.strip()], source=str(path)))
        return cls(iter_outcomes(lines, source=str(path)))

    def __len__(self) -> int:
        return len(self._records)

    def score(self, prompt: str, model_id: str) -> float | None:
        """The recorded score of ``model_id`` on ``prompt``; ``None`` for a prompt the world does not hold."""
        record = self._records.get(prompt.strip())
        if record is None:
            return None
        for key, value in record.outcomes.items():
            if key == model_id or base_model_id(key) == base_model_id(model_id):
                return value
        try:
            tier = get_catalog().get(model_id).tier
        except UnknownModelError:
            tier = TIERS[0]
        return tier_quality(record)[TIERS.index(tier)]

    def reply(self, request: ConverseRequest, model_id: str, usual: Reply) -> Reply:
        """``usual`` (the emulator's reply), or the world's answer when ``usual`` is plain text (no tool call,
        no reasoning) and the world knows the request's last user turn."""
        if len(usual.content) != 1 or not isinstance(usual.content[0].get("text"), str):
            return usual
        text = self.answer(last_user_text(request), model_id, usual.content[0]["text"])
        return usual if text is None else finish_text(text, request)

    def answer(self, prompt: str, model_id: str, usual: str) -> str | None:
        """The world's answer of ``model_id`` to ``prompt`` (``usual``: the emulator's own answer), a judge's
        grade for a judge prompt about a recorded prompt, else ``None``."""
        judged = parse_judge_prompt(prompt)
        if judged is not None:
            return self._grade(judged[0], judged[2])
        score = self.score(prompt, model_id)
        if score is None:
            return None
        letters = _OPTION.findall(prompt)
        if len(letters) >= 2:
            return f"The answer is {_letter(prompt, letters, score >= GOOD_ENOUGH, model_id)}."
        return f"(offline answer of quality {score:.2f}) {usual}"

    def _grade(self, question: str, candidate: str) -> str | None:
        record = self._records.get(question.strip())
        if record is None:
            return None
        letters = _OPTION.findall(question)
        chosen = _LETTER.search(candidate)
        if len(letters) >= 2 and chosen is not None:
            return verdict(5 if chosen.group(1) == _letter(question, letters, True, "") else 1)
        quality = _QUALITY.search(candidate)
        return None if quality is None else verdict(score_grade(float(quality.group(1))))


def _letter(prompt: str, letters: list[str], right: bool, model_id: str) -> str:
    """The prompt's right letter (a hash of the prompt), or a wrong one (a hash of the prompt and the model)."""
    right_letter = letters[_hash(prompt) % len(letters)]
    if right:
        return right_letter
    wrong = [x for x in letters if x != right_letter]
    return wrong[_hash(prompt, model_id) % len(wrong)]


def _hash(*parts: str) -> int:
    return int.from_bytes(hashlib.blake2b("\x00".join(parts).encode("utf-8"), digest_size=8).digest(), "big")


GENERATED_HARD_TOPICS = (
    "the Riemann zeta function", "Byzantine fault tolerance", "quantum error correction", "tax treaty withholding",
    "protein folding kinetics", "monad transformers", "stochastic calculus", "CRISPR off-target effects",
)  # fmt: skip
GENERATED_EASY_TOPICS = (
    "pancake recipes", "watering houseplants", "the colour of the sky", "birthday card wording",
    "packing for a beach trip", "naming a pet cat", "tidying a desk", "choosing warm socks",
)  # fmt: skip
GENERATED_TEMPLATES = (
    "What about {t}?",
    "Tell me about {t}.",
    "Could you write a detailed, careful, step-by-step explanation of {t}, with examples and caveats?",
    "I have a question regarding {t}: what should I know first, and what do people get wrong?",
    "Explain {t} to me like I am new to it.",
)


def generated_world(count: int, seed: int = 7) -> list[dict[str, object]]:
    """``count`` weak/strong rows (evals/data shape) whose difficulty follows the topic, not the wording or length:
    the weak model is right on easy topics 85% of the time, on hard ones 20%; the strong one 90% everywhere."""
    rng = random.Random(seed)
    rows: list[dict[str, object]] = []
    for index in range(count):
        hard = rng.random() < 0.5
        template = rng.choice(GENERATED_TEMPLATES)
        topic = rng.choice(GENERATED_HARD_TOPICS if hard else GENERATED_EASY_TOPICS)
        weak = float(rng.random() < (0.2 if hard else 0.85))
        rows.append(
            {
                "prompt": template.format(t=topic) + f" (ticket {index})",
                "weak_correct": weak,
                "strong_correct": float(rng.random() < 0.9),
            }
        )
    return rows
