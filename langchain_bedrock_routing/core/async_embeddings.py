"""Bedrock embeddings (Titan and the other single-text models) with native async ``aembed_query``/``aembed_documents``.

langchain-aws's ``BedrockEmbeddings`` runs its async methods in the event loop's executor. This subclass sends the
same ``InvokeModel`` request on the loop (see :func:`~.async_bedrock.replayed`): langchain-aws builds the body and
parses the reply, so vectors are identical. Cohere models, which embed documents in batches, keep langchain-aws's
own async path for ``aembed_documents``.
"""

from __future__ import annotations

import asyncio

from langchain_aws import BedrockEmbeddings
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
        """One concurrent request per text (Cohere: langchain-aws's batched path)."""
        if self._inferred_provider == "cohere":
            vectors: list[list[float]] = await super().aembed_documents(texts)
            return vectors
        return list(await asyncio.gather(*(self.aembed_query(text) for text in texts)))

    async def aclose(self) -> None:
        """Close the running event loop's HTTP connections."""
        await self._bedrock.aclose()
