"""Extended-thinking output: a ``reasoningContent`` block (reasoning text plus an opaque signature)."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from langchain_bedrock_routing.emulator.text import key_phrase


def reasoning_block(prompt: str, answer: str, seed: int) -> dict[str, Any]:
    """The ``reasoningContent`` Claude returns before its answer: steps about ``prompt`` and a signature
    (base64, deterministic in prompt, answer and seed) that a follow-up request sends back unchanged."""
    topic = key_phrase(prompt) or "the request"
    text = (
        f"The user asks about {topic}. Let me work through this step by step. "
        "First, I restate what is being asked and note the facts given. "
        "Next, I check each fact against what the question needs and rule out what does not fit. "
        f"Finally, I put the pieces together: {answer[:160]}"
    )
    digest = hashlib.sha512(f"{seed}\x00{prompt}\x00{answer}".encode()).digest()
    signature = base64.b64encode(b"\x12\x0a" + digest * 3).decode("ascii")
    return {"reasoningContent": {"reasoningText": {"text": text, "signature": signature}}}
