"""The shadow judge's prompt and verdict: one format, written here and read back by the offline emulator.

The judge gets a system prompt and one user turn::

    [routing-judge v1]
    <question>
    ...the request's last user turn...
    </question>
    <reference>
    ...the strongest tier's answer...
    </reference>
    <candidate>
    ...the cheaper tier's answer...
    </candidate>
    Reply with one line: "Grade: N" ...

and replies ``Grade: N`` with N from 1 (wrong or useless) to 5 (as good as the reference). The outcome score is
``(N - 1) / 4``, so grade 3 and up is good enough (score >= 0.5, the training default).
"""

from __future__ import annotations

import re

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

DEFAULT_JUDGE_MODEL = "amazon.nova-lite-v1:0"
"""Nova Lite: grading against a reference answer is a comparison a small model does well, and judge prompts are
input-heavy (a question and two answers), where Nova Lite costs $0.06 per million tokens (Claude Haiku 4.5: $1)."""
MARKER = "[routing-judge v1]"
GRADES = (1, 5)
SYSTEM = (
    "You grade answers for a model router. Compare the candidate answer with the reference answer to the question. "
    "Grade 5 if the candidate is as good as the reference, 4 if it is slightly worse but still correct and useful, "
    "3 if it is acceptable, 2 if it is mostly wrong, 1 if it is wrong or useless. Do not answer the question."
)
_INSTRUCTION = 'Reply with one line: "Grade: N", N from 1 (wrong or useless) to 5 (as good as the reference).'
_SECTIONS = ("question", "reference", "candidate")
_PROMPT = re.compile(
    re.escape(MARKER) + r"\n<question>\n(?P<question>.*?)\n</question>\n<reference>\n(?P<reference>.*?)\n"
    r"</reference>\n<candidate>\n(?P<candidate>.*)\n</candidate>\n" + re.escape(_INSTRUCTION) + r"\Z",
    re.S,
)
_GRADE = re.compile(r"^[\W_]*grade[\W_]*:[\W_]*([1-5])\b", re.I | re.M)
"""``Grade: N`` at the start of a line, markdown emphasis allowed (``**Grade:** 4``); not ``Grade 5 if ...``."""


def judge_prompt(question: str, reference: str, candidate: str) -> str:
    """The judge's user turn for one comparison."""
    texts = (question, reference, candidate)
    sections = [f"<{name}>\n{text}\n</{name}>" for name, text in zip(_SECTIONS, texts, strict=True)]
    return "\n".join([MARKER, *sections, _INSTRUCTION])


def judge_messages(question: str, reference: str, candidate: str) -> list[BaseMessage]:
    """The judge's conversation: :data:`SYSTEM` and :func:`judge_prompt`."""
    return [SystemMessage(content=SYSTEM), HumanMessage(content=judge_prompt(question, reference, candidate))]


def parse_judge_prompt(text: str) -> tuple[str, str, str] | None:
    """``(question, reference, candidate)`` of a :func:`judge_prompt`, else ``None``."""
    match = _PROMPT.match(text)
    return None if match is None else (match["question"], match["reference"], match["candidate"])


def verdict(grade: int) -> str:
    """The judge's reply for ``grade``."""
    return f"Grade: {grade}"


def parse_grade(reply: str) -> int | None:
    """The grade (1-5) of a judge's ``Grade: N`` line, ``None`` when the reply has none."""
    match = _GRADE.search(reply)
    return None if match is None else int(match.group(1))


def grade_score(grade: int) -> float:
    """A grade as an outcome score in [0, 1]."""
    low, high = GRADES
    return (grade - low) / (high - low)


def score_grade(score: float) -> int:
    """The grade whose score is nearest ``score`` (the inverse of :func:`grade_score` on its grid)."""
    low, high = GRADES
    return low + round(max(0.0, min(1.0, score)) * (high - low))
