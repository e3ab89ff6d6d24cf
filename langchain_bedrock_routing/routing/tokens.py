"""Token counts for ``get_num_tokens*``: Bedrock CountTokens where the model serves it, else the catalog estimate.

Bedrock's CountTokens (free, no inference) answers for Anthropic Claude models; for other models, or when
Bedrock refuses the count (some cross-region-only Claude models, permissions, a network error: logged at
WARNING), the count is the catalog's offline estimate (:mod:`~langchain_bedrock_routing.catalog.tokens`,
within about 15% on English prose, erring high). Nothing here needs ``transformers``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from langchain_aws.chat_models.bedrock_converse import _format_tools, _messages_to_bedrock
from langchain_core.messages import BaseMessage

from langchain_bedrock_routing.catalog import estimate_messages_tokens, estimate_tokens
from langchain_bedrock_routing.routing.blocks import refuse_remote_urls
from langchain_bedrock_routing.routing.request import message_text
from langchain_bedrock_routing.routing.targets import Target

logger = logging.getLogger(__name__)


def counts_tokens(target: Target) -> bool:
    """True when Bedrock serves CountTokens for the target's model (Anthropic Claude, not a prompt router)."""
    return not target.is_router and target.spec.family.startswith("claude")


def count_tokens(client: Any, target: Target, messages: Sequence[BaseMessage], tools: Sequence[Any] | None) -> int:
    """Input tokens of ``messages`` (and bound ``tools``) for ``target``: CountTokens through ``client`` (a boto3
    ``bedrock-runtime`` client) when the model serves it, else :func:`estimate_input_tokens`."""
    if not messages:
        return 0
    refuse_remote_urls(messages)
    if counts_tokens(target):
        try:
            return _bedrock_count(client, target, messages, tools)
        except (BotoCoreError, ClientError) as error:
            logger.warning("CountTokens failed for %s (%s); using the catalog estimate", target.model_id, error)
    return estimate_input_tokens(messages, tools)


def estimate_input_tokens(messages: Sequence[BaseMessage], tools: Sequence[Any] | None) -> int:
    """The catalog's offline estimate of a request's input tokens: messages with framing, plus tool schemas."""
    tool_tokens = estimate_tokens(json.dumps(list(tools), default=str)) if tools else 0
    return estimate_messages_tokens(message_text(m) for m in messages) + tool_tokens


def _bedrock_count(client: Any, target: Target, messages: Sequence[BaseMessage], tools: Sequence[Any] | None) -> int:
    bedrock_messages, system = _messages_to_bedrock(
        list(messages), model_id=target.spec.model_id, provider=target.provider
    )
    converse: dict[str, Any] = {"messages": bedrock_messages}
    if system:
        converse["system"] = system
    if tools:
        converse["toolConfig"] = {"tools": _format_tools(tools)}
    response = client.count_tokens(modelId=target.model_id, input={"converse": converse})
    return int(response["inputTokens"])
