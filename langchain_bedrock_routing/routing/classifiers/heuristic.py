"""The default classifier: a weighted sum of cheap text features, no network, well under 1 ms.

Each feature is a count or a token total, log-damped (``log1p``) so the first occurrences count
most, times its weight from :class:`HeuristicWeights`. The sum ``z`` becomes the score
``1 / (1 + exp(-(z - offset) / scale))``, so the score is in (0, 1), grows with every feature and
keeps every difference in ``z`` (a router sweeping its threshold can tell any two requests apart).
The last human turn is scored in its conversation: earlier turns add ``context`` and ``depth``.
The shipped weights are data (``heuristic_weights.json``, with their provenance), fitted by
``python -m evals.fit_heuristic`` on per-model outcomes across domains.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from importlib import resources
from typing import Any

from langchain_core.messages import BaseMessage
from langchain_core.runnables import RunnableConfig
from pydantic import BaseModel, ConfigDict, Field

from langchain_bedrock_routing.routing.classifiers.base import ScoringClassifier, last_human_index, message_parts
from langchain_bedrock_routing.routing.decision import RouteDecision

WEIGHTS_FILE = "heuristic_weights.json"
WEIGHTS_FORMAT = "heuristic-weights/1"
ASK_WORDS = frozenset(
    """prove proof derive design architect architecture optimize optimise debug analyze analyse analysis evaluate
    assess justify critique compare contrast tradeoff tradeoffs trade-offs rigorous rigorously""".split()  # noqa: SIM905
)
"""Verbs and nouns of demanding asks: proofs, design, analysis, critique, comparison."""
REASONING_MARKERS = ASK_WORDS | frozenset(
    """why how explain explanation reason reasoning infer inference implies imply implication argue argument
    plan strategy consider suppose assume therefore hence because although however despite whether unless if
    would should could might likely best least most except not""".split()  # noqa: SIM905 (a word list reads better as text)
)
"""Words that ask for reasoning, analysis, comparison, hypotheticals, negation or judgement (asks included)."""
TASK_WORDS = frozenset(
    """explain describe summarize summarise outline draft rewrite translate calculate solve estimate suggest
    recommend""".split()  # noqa: SIM905
)
"""Verbs that request an action: two in one turn ("explain ... and summarize ...") are two asks. Words that are
as often nouns or code ("list", "plan", "fix", "write", "find") are left out."""
CODE_WORDS = frozenset(
    """function functions implement implementation algorithm program script code sql regex python java javascript
    typescript rust golang api class method compile compiler bug query database""".split()  # noqa: SIM905
)
"""Words that name programming work (the ``code`` feature counts code itself)."""
PERSONAL_WORDS = frozenset("i i'm i've my me we we're our us you your".split())  # noqa: SIM905
"""First and second person: the user describing their own situation to the assistant."""
_WORD_FEATURES: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(REASONING_MARKERS - ASK_WORDS, ("reasoning",)),
    **dict.fromkeys(ASK_WORDS, ("reasoning", "asks")),
    **dict.fromkeys(TASK_WORDS - CODE_WORDS, ("tasks",)),
    **dict.fromkeys(CODE_WORDS - TASK_WORDS, ("code_words",)),
    **dict.fromkeys(CODE_WORDS & TASK_WORDS, ("code_words", "tasks")),
    **dict.fromkeys(PERSONAL_WORDS, ("personal",)),
}
_PUNCTUATION = "\"'.,;:!?()[]{}<>"
_MATH_PATTERNS = (
    re.compile(r"\d\s*[-+*/^=<>]\s*[\d(a-z]"),  # an operator between numbers: 3 * 4, x^2, 2(x+1)
    re.compile(r"\\[a-z]{2,}"),  # LaTeX commands: \frac, \sqrt
)
_MATH_SYMBOLS = tuple("=^√∑∫≤≥±π∞")
_CODE_PATTERNS = (
    re.compile(r"\n[ \t]*(?:def|class|import|from \S+ import|#include|public|private|fn|func|let|const|var)\b"),
)
_CODE_TOKENS = ("```", ";\n", "{\n", "}\n", "=>", "::", "++", "&&", "||")  # fences, line-ending statements, operators
_LIST_ITEMS = re.compile(
    r"\n[ \t]*(?:\d{1,2}[.)]|[ivxIVX]{1,4}[.)]|\(?[a-zA-Z]\)|[-*•])[ \t]"
)  # numbered/bulleted lines
_PART_WORDS = ("part", "step", "statement", "scenario", "question", "task", "item")
_NAMED_PARTS = re.compile(rf"(?:{'|'.join(_PART_WORDS)}) ?\d")  # "statement 2", "part 3" (in lowercased text)
_ACRONYMS = re.compile(r"[A-Z][A-Z0-9]+(?![a-z])")  # GDPR, HTTP, SQL, CO2 (no \b: it triples the cost)
_SENTENCE_ENDS = re.compile(r"[.!?](?=\s|$)")
CHARS_PER_TOKEN = 4
"""The heuristic's token estimate is ``characters / 4`` (cheaper than the catalog's estimator)."""


def shipped_weights() -> dict[str, Any]:
    """The weights file shipped with the package: ``format``, ``weights`` and ``provenance``."""
    text = resources.files(__package__ or __name__).joinpath(WEIGHTS_FILE).read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    if data.get("format") != WEIGHTS_FORMAT:
        raise ValueError(f"{WEIGHTS_FILE} has format {data.get('format')!r}, expected {WEIGHTS_FORMAT!r}")
    return data


_SHIPPED: dict[str, float] = shipped_weights()["weights"]


class HeuristicWeights(BaseModel):
    """Weights of :class:`HeuristicComplexityClassifier` (units: score points before squashing).

    Every default is the shipped value from ``heuristic_weights.json``; pass a field to override it.
    """

    model_config = ConfigDict(frozen=True)

    length: float = _SHIPPED["length"]
    """Times ``log1p(tokens) / log1p(saturation_tokens)`` of the last human turn (tokens: characters / 4)."""
    saturation_tokens: int = Field(default=int(_SHIPPED["saturation_tokens"]), gt=0)
    """Token count at which the length feature reaches 1 (it keeps growing slowly beyond)."""
    reasoning: float = _SHIPPED["reasoning"]
    """Times ``log1p(count)`` of reasoning markers (:data:`REASONING_MARKERS`)."""
    asks: float = _SHIPPED["asks"]
    """Times ``log1p(count)`` of demanding asks (:data:`ASK_WORDS`): prove, design, analyse, compare ..."""
    tasks: float = _SHIPPED["tasks"]
    """Times ``log1p(count)`` of action verbs (:data:`TASK_WORDS`): explain, summarize, write, solve ..."""
    multi_part: float = _SHIPPED["multi_part"]
    """Times ``log1p(count)`` of enumerated parts: numbered or bulleted lines, "Statement 2", "Part 3" ..."""
    math: float = _SHIPPED["math"]
    """Times ``log1p(count)`` of math: operators between numbers, math symbols, LaTeX commands."""
    code: float = _SHIPPED["code"]
    """Times ``log1p(count)`` of code: fences, definitions, braces/semicolons at line end, operators."""
    code_words: float = _SHIPPED["code_words"]
    """Times ``log1p(count)`` of programming words (:data:`CODE_WORDS`)."""
    acronyms: float = _SHIPPED["acronyms"]
    """Times ``log1p(count)`` of upper-case terms of two or more characters (GDPR, SQL, CO2)."""
    questions: float = _SHIPPED["questions"]
    """Times ``log1p(count)`` of question marks."""
    sentences: float = _SHIPPED["sentences"]
    """Times ``log1p(count)`` of sentence ends (``.``, ``!``, ``?`` before a space or the end)."""
    personal: float = _SHIPPED["personal"]
    """Times ``log1p(count)`` of first- and second-person words (:data:`PERSONAL_WORDS`)."""
    context: float = _SHIPPED["context"]
    """Times the length feature of the earlier (non-system) turns of the conversation."""
    depth: float = _SHIPPED["depth"]
    """Times ``log1p(earlier human turns)``."""
    image: float = _SHIPPED["image"]
    """Times ``log1p(image blocks)`` in the last human turn."""
    document: float = _SHIPPED["document"]
    """Times ``log1p(document/file blocks)`` in the last human turn."""
    offset: float = _SHIPPED["offset"]
    """``z`` that scores 0.5; with ``scale`` it places the tier cut points on ``z``."""
    scale: float = Field(default=_SHIPPED["scale"], gt=0.0)
    """Score is ``1 / (1 + exp(-(z - offset) / scale))``: a larger scale pulls every score towards 0.5."""


class HeuristicComplexityClassifier(ScoringClassifier):
    """Scores the last human turn from length, reasoning markers, code, math, multi-part asks, attachments and the
    conversation around it. Pure CPU, deterministic; tune with ``weights`` and ``thresholds``."""

    weights: HeuristicWeights = Field(default_factory=HeuristicWeights)
    max_scan_chars: int = Field(default=4000, gt=0)
    """Markers, parts, math and code are counted in the first 3/4 and last 1/4 of this many characters of a
    longer turn (length still counts it all), so the cost per request stays bounded for huge prompts."""

    def features(self, messages: Sequence[BaseMessage]) -> dict[str, float]:
        """Each feature's weighted contribution to ``z`` (before squashing) for a non-empty conversation."""
        w = self.weights
        last = last_human_index(messages)
        turn = message_parts(messages[last])
        earlier = [m for m in messages[:last] if m.type != "system"]
        scanned = self._scanned(turn.text)
        text = f"\n{scanned}\n"
        lower = text.lower()
        words = _word_counts(lower)
        return {
            "length": w.length * self._length(len(turn.text)),
            "reasoning": w.reasoning * math.log1p(words["reasoning"]),
            "asks": w.asks * math.log1p(words["asks"]),
            "tasks": w.tasks * math.log1p(words["tasks"]),
            "multi_part": w.multi_part * math.log1p(_parts(text, lower)),
            "math": w.math * math.log1p(_occurrences(text, _MATH_PATTERNS, _MATH_SYMBOLS)),
            "code": w.code * math.log1p(_occurrences(text, _CODE_PATTERNS, _CODE_TOKENS)),
            "code_words": w.code_words * math.log1p(words["code_words"]),
            "acronyms": w.acronyms * math.log1p(len(_ACRONYMS.findall(scanned))),
            "questions": w.questions * math.log1p(scanned.count("?")),
            "sentences": w.sentences * math.log1p(len(_SENTENCE_ENDS.findall(scanned))),
            "personal": w.personal * math.log1p(words["personal"]),
            "context": w.context * self._length(sum(len(message_parts(m).text) for m in earlier)),
            "depth": w.depth * math.log1p(sum(1 for m in earlier if m.type == "human")),
            "image": w.image * math.log1p(turn.images),
            "document": w.document * math.log1p(turn.documents),
        }

    def classify_messages(self, messages: list[BaseMessage], config: RunnableConfig | None = None) -> RouteDecision:
        """Score the conversation's last human turn; the reason lists the largest contributions."""
        contributions = self.features(messages)
        z = sum(contributions.values())
        score = 1.0 / (1.0 + math.exp(-min(50.0, max(-50.0, (z - self.weights.offset) / self.weights.scale))))
        top = sorted(((v, k) for k, v in contributions.items() if v > 0.0), reverse=True)[:3]
        detail = ", ".join(f"{name} +{value:.2f}" for value, name in top) or "no complexity features"
        return self.decide(score, f"heuristic score {score:.2f} ({detail})", "heuristic")

    def _scanned(self, text: str) -> str:
        if len(text) <= self.max_scan_chars:
            return text
        head = self.max_scan_chars * 3 // 4
        return f"{text[:head]}\n{text[len(text) - (self.max_scan_chars - head) :]}"

    def _length(self, characters: int) -> float:
        return math.log1p(characters / CHARS_PER_TOKEN) / math.log1p(self.weights.saturation_tokens)


def _word_counts(lower: str) -> dict[str, int]:
    """How many words of ``lower`` fall in each word feature (reasoning, asks, tasks, code_words, personal)."""
    counts = {"reasoning": 0, "asks": 0, "tasks": 0, "code_words": 0, "personal": 0}
    for word in lower.split():
        for feature in _WORD_FEATURES.get(word.strip(_PUNCTUATION), ()):
            counts[feature] += 1
    return counts


def _occurrences(text: str, patterns: tuple[re.Pattern[str], ...], needles: tuple[str, ...]) -> int:
    """Matches of ``patterns`` plus occurrences of the literal ``needles`` (``str.count`` is much faster)."""
    return sum(len(p.findall(text)) for p in patterns) + sum(text.count(n) for n in needles)


def _parts(text: str, lower: str) -> int:
    """Numbered or bulleted lines plus named parts ("Statement 2"); the regex runs only if a part word occurs."""
    named = len(_NAMED_PARTS.findall(lower)) if any(word in lower for word in _PART_WORDS) else 0
    return len(_LIST_ITEMS.findall(text)) + named
