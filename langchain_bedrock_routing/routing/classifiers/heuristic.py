"""The default classifier: a weighted sum of cheap text features, no network, well under 1 ms.

Each feature is a count or a token total, log-damped (``log1p``) so the first occurrences count
most, times its weight from :class:`HeuristicWeights`. The sum ``z`` becomes the score
``1 - exp(-z / weights.scale)``, so the score is in [0, 1) and grows with every feature.
The last human turn is scored in its conversation: earlier turns add ``context`` and ``depth``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from langchain_core.messages import BaseMessage
from langchain_core.runnables import RunnableConfig
from pydantic import BaseModel, ConfigDict, Field

from langchain_bedrock_routing.routing.classifiers.base import ScoringClassifier, last_human_index, message_parts
from langchain_bedrock_routing.routing.decision import RouteDecision

REASONING_MARKERS = frozenset(
    """why how explain explanation analyze analyse analysis compare contrast evaluate assess justify prove proof
    derive reason reasoning infer inference implies imply implication argue argument critique tradeoff
    tradeoffs design architect optimize optimise debug plan strategy consider suppose assume therefore hence
    because although however despite whether unless if would should could might likely best least most except
    not""".split()  # noqa: SIM905 (a word list reads better as text)
)
"""Words that ask for reasoning, analysis, comparison, hypotheticals, negation or judgement."""
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
CHARS_PER_TOKEN = 4
"""The heuristic's token estimate is ``characters / 4`` (cheaper than the catalog's estimator)."""


class HeuristicWeights(BaseModel):
    """Tunable weights of :class:`HeuristicComplexityClassifier` (units: score points before squashing)."""

    model_config = ConfigDict(frozen=True)

    length: float = 1.0
    """Times ``log1p(tokens) / log1p(saturation_tokens)`` of the last human turn (tokens: characters / 4)."""
    saturation_tokens: int = Field(default=2000, gt=0)
    """Token count at which the length feature reaches 1 (it keeps growing slowly beyond)."""
    reasoning: float = 0.2
    """Times ``log1p(count)`` of reasoning/analysis markers (:data:`REASONING_MARKERS`)."""
    multi_part: float = 0.3
    """Times ``log1p(count)`` of enumerated parts: numbered or bulleted lines, "Statement 2", "Part 3" ..."""
    math: float = 0.05
    """Times ``log1p(count)`` of math: operators between numbers, math symbols, LaTeX commands."""
    code: float = 0.1
    """Times ``log1p(count)`` of code: fences, definitions, braces/semicolons at line end, SQL."""
    context: float = 0.15
    """Times the length feature of the earlier (non-system) turns of the conversation."""
    depth: float = 0.05
    """Times ``log1p(earlier human turns)``."""
    image: float = 0.3
    """Times ``log1p(image blocks)`` in the last human turn."""
    document: float = 0.4
    """Times ``log1p(document/file blocks)`` in the last human turn."""
    scale: float = Field(default=1.0, gt=0.0)
    """Score is ``1 - exp(-z / scale)``: a larger scale lowers every score."""


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
        text = f"\n{self._scanned(turn.text)}\n"
        lower = text.lower()
        markers = sum(1 for word in lower.split() if word.strip(_PUNCTUATION) in REASONING_MARKERS)
        return {
            "length": w.length * self._length(len(turn.text)),
            "reasoning": w.reasoning * math.log1p(markers),
            "multi_part": w.multi_part * math.log1p(_parts(text, lower)),
            "math": w.math * math.log1p(_occurrences(text, _MATH_PATTERNS, _MATH_SYMBOLS)),
            "code": w.code * math.log1p(_occurrences(text, _CODE_PATTERNS, _CODE_TOKENS)),
            "context": w.context * self._length(sum(len(message_parts(m).text) for m in earlier)),
            "depth": w.depth * math.log1p(sum(1 for m in earlier if m.type == "human")),
            "image": w.image * math.log1p(turn.images),
            "document": w.document * math.log1p(turn.documents),
        }

    def classify_messages(self, messages: list[BaseMessage], config: RunnableConfig | None = None) -> RouteDecision:
        """Score the conversation's last human turn; the reason lists the largest contributions."""
        contributions = self.features(messages)
        z = sum(contributions.values())
        score = 1.0 - math.exp(-z / self.weights.scale)
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


def _occurrences(text: str, patterns: tuple[re.Pattern[str], ...], needles: tuple[str, ...]) -> int:
    """Matches of ``patterns`` plus occurrences of the literal ``needles`` (``str.count`` is much faster)."""
    return sum(len(p.findall(text)) for p in patterns) + sum(text.count(n) for n in needles)


def _parts(text: str, lower: str) -> int:
    """Numbered or bulleted lines plus named parts ("Statement 2"); the regex runs only if a part word occurs."""
    named = len(_NAMED_PARTS.findall(lower)) if any(word in lower for word in _PART_WORDS) else 0
    return len(_LIST_ITEMS.findall(text)) + named
