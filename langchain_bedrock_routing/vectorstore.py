"""A LangChain ``VectorStore`` on Redis 8 vector sets (VADD/VSIM): needs no search module (RediSearch).

One vector set per index, under the key ``index_name``. Each element is a document id; its JSON
attributes hold the document's metadata at the top level and its text under ``"_text"``, so a VSIM
``FILTER`` expression can test metadata fields (``'.source == "pricing.md" and .year >= 2024'``;
only top-level fields, strings without escapes, booleans stored as 1/0). Scores are the vector-set
similarity ``(1 + cosine) / 2`` in [0, 1]: 1 identical, 0.5 orthogonal, 0 opposite. Search is the
server's approximate HNSW search; with a filter the server tests at most ``filter_ef`` candidates
(default ``k * 100``), so a very selective filter on a large index can return fewer than ``k``: raise
``filter_ef`` (search keyword) then (it is not an exhaustive scan: HNSW can leave an element unreachable).
Async methods run the sync ones in a worker thread.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.vectorstores import VectorStore

from langchain_bedrock_routing.core.redis_conn import RedisConnection, SyncClient
from langchain_bedrock_routing.core.vectorsets import QUANTIZATIONS, Quantization, SetOwner, VectorSets

TEXT_ATTRIBUTE = "_text"
"""The attribute holding a document's text; metadata may not use this key."""
DEFAULT_TIMEOUT_S = 5.0
"""Default socket connect and read timeout of the store's own client, in seconds."""
MetadataFilter = str | Mapping[str, Any]
"""A VSIM FILTER expression, or ``{field: value}`` equality tests (a list value means ``in``) joined by ``and``."""

_BATCH = 256
_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_OWNER = SetOwner(
    "RedisVectorSetStore",
    "LangChain's InMemoryVectorStore, or langchain-redis's RedisVectorStore on a Redis with the search module",
    "another index_name, or clear() the store",
)


def _literal(field: str, value: Any) -> str:
    """``value`` as a FILTER literal: numbers, booleans (1/0) and strings without both quote kinds."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, str):
        if '"' not in value:
            return f'"{value}"'
        if "'" not in value:
            return f"'{value}'"
        raise ValueError(f"filter value for {field!r} holds both quote characters, which FILTER cannot express")
    raise ValueError(f"filter value for {field!r} must be a str, int, float, bool or a list of them, got {value!r}")


def filter_expression(filter: MetadataFilter | None) -> str | None:
    """The VSIM FILTER expression for ``filter``: a string passes through; a mapping becomes equality tests."""
    if filter is None or isinstance(filter, str):
        return filter or None
    parts = []
    for field, value in filter.items():
        if not isinstance(field, str) or not _FIELD.match(field):
            raise ValueError(f"filter field {field!r} is not a top-level attribute name (letters, digits, _)")
        if isinstance(value, list | tuple):
            parts.append(f".{field} in [{', '.join(_literal(field, v) for v in value)}]")
        else:
            parts.append(f".{field} == {_literal(field, value)}")
    return " and ".join(parts) or None


def _attributes(index: int, text: str, metadata: Mapping[str, Any]) -> str:
    """The JSON attributes of one document (metadata at the top level, text under ``_text``)."""
    if TEXT_ATTRIBUTE in metadata:
        raise ValueError(f"metadata of text {index} uses the reserved key {TEXT_ATTRIBUTE!r}: rename it")
    try:
        return json.dumps({**metadata, TEXT_ATTRIBUTE: text}, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"metadata of text {index} is not JSON-serializable: {exc}") from exc


def _document(element: str, attributes: str | None) -> Document:
    fields = json.loads(attributes) if attributes else {}
    text = fields.pop(TEXT_ATTRIBUTE, "")
    return Document(page_content=text, metadata=fields, id=element)


class RedisVectorSetStore(VectorStore):
    """Documents and their embeddings in one Redis 8 vector set; works without the search module.

    Give ``redis_url`` or a sync ``client`` (standalone or ``RedisCluster``: the index is one key).
    ``quantization``: ``"q8"`` (default, 1 byte per dimension), ``"noquant"`` (float32) or ``"bin"``
    (1 bit). Scores are ``(1 + cosine) / 2`` in [0, 1]. Needs Redis >= 8.0, else the first call
    raises ``VectorSetsUnavailableError``; another embeddings dimension raises ``VectorDimensionError``.
    """

    def __init__(
        self,
        embedding: Embeddings,
        *,
        redis_url: str | None = None,
        client: SyncClient | None = None,
        cluster: bool = False,
        index_name: str = "lbr:docs",
        quantization: Quantization = "q8",
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        if quantization not in QUANTIZATIONS:
            raise ValueError(f"quantization must be one of {', '.join(QUANTIZATIONS)}, got {quantization!r}")
        if not isinstance(index_name, str) or not index_name:
            raise ValueError(f"index_name must be a non-empty string (the vector set's key), got {index_name!r}")
        self.embedding = embedding
        self.index_name = index_name
        self.quantization: Quantization = quantization
        self.connection = RedisConnection(redis_url, client=client, cluster=cluster, timeout_s=timeout_s)

    @property
    def embeddings(self) -> Embeddings:
        """The embeddings model that turns texts and queries into vectors."""
        return self.embedding

    @property
    def _sets(self) -> VectorSets:
        return VectorSets(self.connection.client, _OWNER)

    def add_texts(
        self,
        texts: Iterable[str],
        metadatas: list[dict[str, Any]] | None = None,
        *,
        ids: list[str] | None = None,
        **kwargs: Any,
    ) -> list[str]:
        """Embed and store ``texts`` (an existing id is overwritten); the ids, new ones as random UUID hex."""
        texts = list(texts)
        metadatas = [{} for _ in texts] if metadatas is None else metadatas
        given: Sequence[str | None] = [None] * len(texts) if ids is None else ids
        if not len(metadatas) == len(given) == len(texts):
            raise ValueError(f"got {len(texts)} texts, {len(metadatas)} metadatas and {len(given)} ids: give one each")
        out = [i if i else uuid.uuid4().hex for i in given]
        attributes = [_attributes(n, text, meta) for n, (text, meta) in enumerate(zip(texts, metadatas, strict=True))]
        for start in range(0, len(texts), _BATCH):
            vectors = self.embedding.embed_documents(texts[start : start + _BATCH])
            items = list(zip(out[start : start + _BATCH], vectors, attributes[start : start + _BATCH], strict=True))
            self._sets.add_many(self.index_name, items, self.quantization)
        return out

    def similarity_search_with_score_by_vector(
        self,
        embedding: list[float],
        k: int = 4,
        filter: MetadataFilter | None = None,
        *,
        filter_ef: int | None = None,
        **kwargs: Any,
    ) -> list[tuple[Document, float]]:
        """Up to ``k`` nearest documents passing ``filter``, best first, with scores ``(1 + cosine) / 2``;
        ``filter_ef``: candidates the server may test against the filter (default ``k * 100``)."""
        for name, value in (("k", k), ("filter_ef", 1 if filter_ef is None else filter_ef)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        expression = filter_expression(filter)
        found = self._sets.similar_with_attributes(self.index_name, embedding, k, expression, filter_ef)
        return [(_document(element, attrs), score) for element, score, attrs in found]

    def similarity_search_with_score(
        self, query: str, k: int = 4, filter: MetadataFilter | None = None, **kwargs: Any
    ) -> list[tuple[Document, float]]:
        """Up to ``k`` documents nearest ``query`` passing ``filter``, best first, with scores ``(1 + cosine) / 2``."""
        return self.similarity_search_with_score_by_vector(self.embedding.embed_query(query), k, filter, **kwargs)

    def similarity_search_by_vector(
        self, embedding: list[float], k: int = 4, filter: MetadataFilter | None = None, **kwargs: Any
    ) -> list[Document]:
        """Up to ``k`` documents nearest ``embedding`` passing ``filter``, best first."""
        return [doc for doc, _ in self.similarity_search_with_score_by_vector(embedding, k, filter, **kwargs)]

    def similarity_search(
        self, query: str, k: int = 4, filter: MetadataFilter | None = None, **kwargs: Any
    ) -> list[Document]:
        """Up to ``k`` documents nearest ``query`` passing ``filter``, best first."""
        return [doc for doc, _ in self.similarity_search_with_score(query, k, filter, **kwargs)]

    def _select_relevance_score_fn(self) -> Callable[[float], float]:
        """Vector-set scores are already relevances in [0, 1]."""
        return _identity

    def get_by_ids(self, ids: Sequence[str], /) -> list[Document]:
        """The stored documents among ``ids``, in that order; missing ids are left out."""
        found = self._sets.attributes(self.index_name, list(ids))
        return [_document(element, attrs) for element, attrs in zip(ids, found, strict=True) if attrs is not None]

    def delete(self, ids: list[str] | None = None, **kwargs: Any) -> bool:
        """Remove the documents with these ids (missing ones are ignored); ``clear()`` drops the whole index."""
        if ids is None:
            raise ValueError("delete() needs ids=[...]; call clear() to drop the whole index")
        self._sets.remove_many(self.index_name, ids)
        return True

    def clear(self) -> bool:
        """Delete the whole index (its vector set key); True if it existed."""
        return bool(self.connection.client.delete(self.index_name))

    def close(self) -> None:
        """Close the client the store made from ``redis_url`` (a given ``client`` stays open for its owner)."""
        self.connection.close()

    @classmethod
    def from_texts(
        cls,
        texts: list[str],
        embedding: Embeddings,
        metadatas: list[dict[str, Any]] | None = None,
        *,
        ids: list[str] | None = None,
        **kwargs: Any,
    ) -> RedisVectorSetStore:
        """A store made with ``kwargs`` (``redis_url=`` or ``client=``, ``index_name=`` ...) holding ``texts``."""
        store = cls(embedding, **kwargs)
        store.add_texts(texts, metadatas, ids=ids)
        return store


def _identity(score: float) -> float:
    return score
