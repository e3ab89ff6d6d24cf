"""Message content blocks as ``ChatBedrockConverse`` accepts them, read before any call.

A block is a LangChain/OpenAI typed dict (``{"type": "text", "text": ...}``, ``image_url``, ``image``,
``file`` ...) or a Bedrock-native single-key dict (``{"text": ...}``, ``{"image": {...}}``,
``{"document": {...}}``), which langchain-aws passes to Converse as given.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from langchain_core.messages import BaseMessage

from langchain_bedrock_routing.errors import InvalidRequestError

IMAGE_KINDS = frozenset({"image", "image_url"})
DOCUMENT_KINDS = frozenset({"document", "file"})
_URL_KINDS = {"image_url": "image", "video_url": "video"}
_DATA_KINDS = frozenset({"image", "file", "audio", "video"})


def block_kind(block: dict[str, Any]) -> str:
    """The kind of a block: its ``type``, else the single key of a Bedrock-native block (``"text"``, ``"image"``)."""
    return str(block.get("type") or next(iter(block), ""))


def content_text(content: str | list[Any]) -> str:
    """The text of a message's content: str items, typed and Bedrock-native text blocks, joined by newlines."""
    if isinstance(content, str):
        return content
    texts = [b if isinstance(b, str) else b.get("text") for b in content if isinstance(b, str) or _is_text(b)]
    return "\n".join(t for t in texts if isinstance(t, str))


def block_kinds(content: str | list[Any]) -> set[str]:
    """Kinds of the dict blocks in a content list, nested ``content`` lists (tool results) included."""
    if isinstance(content, str):
        return set()
    kinds: set[str] = set()
    for block in content:
        if isinstance(block, dict):
            kinds.add(block_kind(block))
            nested = block.get("content")
            if isinstance(nested, list):
                kinds |= block_kinds(nested)
    return kinds


def refuse_remote_urls(messages: Iterable[BaseMessage]) -> None:
    """Raise :class:`InvalidRequestError` for an image, video or file given by a URL other than a base64
    ``data:`` URL: Bedrock Converse takes bytes or an S3 location only, so such a request can never succeed."""
    for index, message in enumerate(messages):
        for block in _dict_blocks(message.content):
            url = _remote_url(block)
            if url is not None:
                raise InvalidRequestError(
                    f"message {index} has a {block_kind(block)} block with URL {url[:80]!r}: Bedrock Converse takes "
                    "only inline bytes or an S3 location. Download it and pass base64 (a 'data:<mime>;base64,...' "
                    "URL or {'type': 'image', 'base64': ..., 'mime_type': ...}), or a Bedrock-native block "
                    "{'image': {'format': 'png', 'source': {'s3Location': {'uri': 's3://...'}}}}"
                )


def _is_text(block: Any) -> bool:
    return isinstance(block, dict) and block_kind(block) == "text" and isinstance(block.get("text"), str)


def _dict_blocks(content: str | list[Any]) -> Iterable[dict[str, Any]]:
    if isinstance(content, str):
        return
    for block in content:
        if isinstance(block, dict):
            yield block
            nested = block.get("content")
            if isinstance(nested, list):
                yield from _dict_blocks(nested)


def _remote_url(block: dict[str, Any]) -> str | None:
    """The URL of a block that points at remote data (not a ``data:`` URL), else ``None``."""
    kind = block.get("type")
    if kind in _URL_KINDS:
        field = block.get(kind) or block.get(kind.replace("_url", "Url"))
        url = field.get("url") if isinstance(field, dict) else field
    elif kind in _DATA_KINDS and (block.get("source_type") == "url" or "url" in block):
        url = block.get("url") or block.get("data")
    else:
        return None
    return url if isinstance(url, str) and not url.startswith("data:") else None
