"""Bedrock embeddings (Titan, Cohere and the other ``InvokeModel`` families) with native async ``aembed_query`` /
``aembed_documents``.

langchain-aws's ``BedrockEmbeddings`` runs its async methods in the event loop's executor. This subclass sends the
same ``InvokeModel`` requests on the loop (see :func:`~.async_bedrock.replayed`): langchain-aws builds the bodies and
parses the replies, so vectors are identical. Cohere models embed documents in batches (langchain-aws's own split:
96 texts a request), one concurrent request per batch.
"""

from __future__ import annotations

import asyncio
import os

from langchain_aws import BedrockEmbeddings
from langchain_aws.embeddings.bedrock import _batch_cohere_embedding_texts
from pydantic import PrivateAttr

from langchain_bedrock_routing.core.async_bedrock import AsyncBedrock, replayed


class AsyncBedrockEmbeddings(BedrockEmbeddings):
    """``BedrockEmbeddings`` whose async calls need no executor thread; close with :meth:`aclose`."""

    _bedrock: AsyncBedrock = PrivateAttr(default_factory=AsyncBedrock)

    async def aembed_query(self, text: str) -> list[float]:
        """The vector ``embed_query(text)`` returns, fetched on the event loop."""
        vector: list[float] = await replayed(
            self._bedrock, self.client, lambda client: self.model_copy(update={"client": client}).embed_query(text)
        )
        return vector

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        """The vectors ``embed_documents(texts)`` returns: one concurrent request per text (Cohere: per batch)."""
        if self._inferred_provider == "cohere":
            batches = _batch_cohere_embedding_texts([t.replace(os.linesep, " ") for t in texts], self._is_cohere_v4)
            embedded = await asyncio.gather(*(self._aembed_batch(batch) for batch in batches))
            return [vector for vectors in embedded for vector in vectors]
        return list(await asyncio.gather(*(self.aembed_query(text) for text in texts)))

    async def _aembed_batch(self, texts: list[str]) -> list[list[float]]:
        """One Cohere request: ``embed_documents`` of texts that fit in one batch."""
        vectors: list[list[float]] = await replayed(
            self._bedrock, self.client, lambda client: self.model_copy(update={"client": client}).embed_documents(texts)
        )
        return vectors

    async def aclose(self) -> None:
        """Close the running event loop's HTTP connections."""
        await self._bedrock.aclose()
