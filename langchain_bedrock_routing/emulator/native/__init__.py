"""InvokeModel and InvokeModelWithResponseStream with each chat family's native body.

The model id's provider picks the family; within a family the body's shape picks the format where Bedrock
accepts two (Mistral and DeepSeek take a ``prompt`` string or chat ``messages``). Every format translates its
request to Converse, so one responder serves both APIs. Providers without a native format here get a
``ValidationException`` pointing at Converse.
"""

from __future__ import annotations

from langchain_bedrock_routing.emulator.errors import validation
from langchain_bedrock_routing.emulator.native.anthropic import AnthropicMessages
from langchain_bedrock_routing.emulator.native.base import METRICS_KEY, Body, NativeFormat, NativeReply, ServedChat
from langchain_bedrock_routing.emulator.native.chat import MISTRAL_CHAT, OPENAI
from langchain_bedrock_routing.emulator.native.cohere import CohereCommandR
from langchain_bedrock_routing.emulator.native.nova import NovaMessages
from langchain_bedrock_routing.emulator.native.prompt import DEEPSEEK, LLAMA, MISTRAL_TEXT

__all__ = ["METRICS_KEY", "Body", "NativeFormat", "NativeReply", "ServedChat", "native_format"]

_BY_PROVIDER: dict[str, tuple[NativeFormat, NativeFormat | None]] = {
    "anthropic": (AnthropicMessages(), None),
    "amazon": (NovaMessages(), None),
    "cohere": (CohereCommandR(), None),
    "meta": (LLAMA, None),
    "mistral": (MISTRAL_TEXT, MISTRAL_CHAT),
    "deepseek": (DEEPSEEK, OPENAI),
    "openai": (OPENAI, None),
    "qwen": (OPENAI, None),
}
"""Provider -> (format of a ``prompt`` body or the only format, format of a ``messages`` body)."""


def native_format(base_model_id: str, body: Body) -> NativeFormat:
    """The native format of ``body`` for the model ``base_model_id`` (``provider.model``)."""
    provider = base_model_id.split(".", 1)[0]
    formats = _BY_PROVIDER.get(provider)
    if formats is None:
        served = ", ".join(sorted(_BY_PROVIDER))
        raise validation(
            f"The emulator serves InvokeModel chat bodies for the {served} providers; use Converse for {base_model_id}."
        )
    prompt_format, chat_format = formats
    return chat_format if chat_format is not None and "messages" in body else prompt_format
