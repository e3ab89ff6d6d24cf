"""Where a routed async call's client CPU goes: the process's CPU and the cyclic GC's share over a burst, and the
CPU of the parts a call is made of, each measured alone (sequentially, warm, on the same client)."""

from __future__ import annotations

import asyncio
import gc
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from botocore.awsrequest import AWSResponse, HeadersDict
from langchain_aws.chat_models.bedrock_converse import _parse_response
from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from langchain_bedrock_routing.core.async_bedrock import _parse, _Raw, capture

REPLY = {
    "output": {"message": {"role": "assistant", "content": [{"text": "3 + 7 = 10."}]}},
    "stopReason": "end_turn",
    "usage": {"inputTokens": 14, "outputTokens": 7, "totalTokens": 21},
    "metrics": {"latencyMs": 500},
}
"""A Converse reply like the emulator's to the burst's prompts."""


class _Idle(BaseChatModel):
    """A chat model answering at once on the event loop (natively async): what remains is LangChain's own work."""

    @property
    def _llm_type(self) -> str:
        return "idle"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=AIMessage("3 + 7 = 10."))])

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return self._generate(messages, stop)


@dataclass
class Spend:
    """CPU seconds of this process and of its cyclic garbage collector (all generations) within a block."""

    cpu_s: float = 0.0
    gc_s: float = 0.0


@contextmanager
def spent() -> Iterator[Spend]:
    """``with spent() as spend:`` fills ``spend`` with the block's process CPU and the GC's CPU in it."""
    spend, began = Spend(), [0.0]

    def track(phase: str, _info: dict[str, Any]) -> None:
        if phase == "start":
            began[0] = time.process_time()
        else:
            spend.gc_s += time.process_time() - began[0]

    gc.callbacks.append(track)
    start = time.process_time()
    try:
        yield spend
    finally:
        spend.cpu_s = time.process_time() - start
        gc.callbacks.remove(track)


def _per_call_us(fn: Callable[[], object], n: int = 1000) -> float:
    for _ in range(n // 10):
        fn()
    start = time.process_time()
    for _ in range(n):
        fn()
    return (time.process_time() - start) / n * 1e6


def parts_us(delegate: Any, prompt: str) -> dict[str, float]:
    """CPU µs per call of each part, alone: langchain-aws + botocore building the request, botocore signing it,
    botocore + langchain-aws parsing a reply, and LangChain's own ``ainvoke`` around a model that does nothing."""
    client, messages = delegate.client, [HumanMessage(prompt)]
    call = capture(client, lambda: delegate._generate(messages))
    body = json.dumps(REPLY).encode()

    def parse() -> object:
        headers = HeadersDict({"Content-Type": "application/json", "Content-Length": str(len(body))})
        response = AWSResponse("http://emulator", 200, headers, _Raw(body))
        response._content = body
        return _parse_response(_parse(call, response, body))

    idle = _Idle()
    loop = asyncio.new_event_loop()
    try:
        langchain = _per_call_us(lambda: loop.run_until_complete(idle.ainvoke(prompt)))
        idle_loop = _per_call_us(lambda: loop.run_until_complete(asyncio.sleep(0)))
    finally:
        loop.close()
    return {
        "request built (langchain-aws + botocore, up to before-call)": _per_call_us(
            lambda: capture(client, lambda: delegate._generate(messages))
        ),
        "request signed (botocore SigV4 + prepare)": _per_call_us(
            lambda: client._endpoint.create_request(call.request_dict, call.operation_model)
        ),
        "reply parsed (botocore + langchain-aws)": _per_call_us(parse),
        "LangChain ainvoke of a native async model doing nothing": langchain - idle_loop,
    }
