"""``ChatBedrockConverse`` whose ``stream``/``astream`` use the response cache the way ``invoke`` does."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from langchain_aws import ChatBedrockConverse
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatGenerationChunk

from langchain_bedrock_routing.core import stream_cache


class CachingChatBedrockConverse(ChatBedrockConverse):
    """Drop-in ``ChatBedrockConverse``: a streamed call looks up the active cache (``set_llm_cache`` or
    ``cache=``) with the same key as ``invoke``, replays a hit as chunks and stores a completed stream.

    LangChain's ``BaseChatModel.stream`` never consults the cache; this subclass does it in ``_stream``
    (``astream`` runs ``_stream`` in an executor, as ``ChatBedrockConverse`` itself does).
    """

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        source = super()._stream
        yield from stream_cache.through_cache(
            self, messages, stop, kwargs, lambda: source(messages, stop=stop, run_manager=run_manager, **kwargs)
        )
