"""Checkable trap prompts for the semantic cache: twins that differ in one word or in word order only.

``swapped_order``: "Convert 12 inches to centimeters." vs "Convert 12 centimeters to inches.";
``code_word``: "The code word is truck. <30 clauses> What is the code word?" vs the same with "ship".
The emulator's answer names the first content words of the prompt in order, so each answer can be
checked: its ``expect`` pattern requires the prompt's own word (or order), which the twin's answer lacks.
"""

from __future__ import annotations

import random
import re

from reliability.workload import Kind, Mode, SoakRequest

UNITS: tuple[tuple[str, str], ...] = (
    ("inches", "centimeters"),
    ("miles", "kilometers"),
    ("pounds", "kilograms"),
    ("liters", "gallons"),
    ("feet", "meters"),
    ("ounces", "grams"),
)
CODE_WORDS: tuple[tuple[str, str], ...] = (
    ("truck", "ship"),
    ("falcon", "marble"),
    ("violet", "copper"),
    ("harbor", "meadow"),
    ("lantern", "glacier"),
    ("pepper", "canyon"),
)
_CLAUSES: tuple[str, ...] = (
    "the meeting moved to the blue room",
    "lunch arrives after the review",
    "the printer on the third floor is slow",
    "badges must be worn in the lab",
    "the garden needs water on weekends",
    "new chairs were ordered for the library",
)
FILLER_CLAUSES = 30
"""Clauses between the code word and the question (the differing word is far from the end)."""


def _code_word_prompt(word: str, rng: random.Random) -> str:
    clauses = [rng.choice(_CLAUSES) for _ in range(FILLER_CLAUSES)]
    return f"The code word is {word}. Note that {', and '.join(clauses)}. What is the code word?"


def trap_requests(count: int, *, seed: int, start: int, tenants: tuple[str | None, ...]) -> list[SoakRequest]:
    """``count`` twin pairs (alternating kinds), each asked as A, A again, twin B, B again, in that order."""
    rng = random.Random(seed)
    out: list[SoakRequest] = []
    for pair in range(count):
        tenant = rng.choice(tenants)
        if pair % 2 == 0:
            kind: Kind = "swapped_order"
            number, (a, b) = rng.randrange(2, 1000), rng.choice(UNITS)
            twins = [
                (f"Convert {number} {x} to {y}.", rf"\b{number} {x}\b.*\b{y}\b", f"{number}:{x}>{y}")
                for x, y in ((a, b), (b, a))
            ]
        else:
            kind = "code_word"
            filler_seed = rng.randrange(1 << 30)
            twins = [
                (_code_word_prompt(w, random.Random(filler_seed)), rf"\b{re.escape(w)}\b", f"code:{filler_seed}:{w}")
                for w in rng.choice(CODE_WORDS)
            ]
        for text, expect, meaning in twins:
            for ask in ("new", "repeat"):
                mode: Mode = "invoke" if ask == "new" else rng.choice(("invoke", "stream"))
                out.append(
                    SoakRequest(
                        index=start + len(out),
                        kind=kind,
                        mode=mode,
                        text=text,
                        tenant=tenant,
                        priority=None,
                        complexity="simple",
                        meaning=meaning,
                        phase="traps",
                        expect=expect,
                    )
                )
    return out
