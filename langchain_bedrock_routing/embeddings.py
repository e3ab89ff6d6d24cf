"""Offline text embeddings: hashed word and character n-grams, deterministic, no model download.

The emulator answers Titan ``InvokeModel`` calls with these vectors, and the semantic caches
and embedding classifier can use them directly. Near-duplicate texts share most n-grams and
land close (cosine); unrelated texts share few and land near 0.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from functools import lru_cache

import numpy as np
from langchain_core.embeddings import Embeddings

_WORD = re.compile(r"\w+", re.UNICODE)
_WORD_WEIGHT = 1.0
_BIGRAM_WEIGHT = 0.3
_CHAR_WEIGHT = 0.35
_CHAR_NGRAM = 4
_FUNCTION_WORD_WEIGHT = 0.3
"""Function words ("how", "do", "the" ...) count this much of a content word: rephrasings change
them, the question's subject does not (tuned on tests/data/semantic_devset.jsonl, see evals/)."""
_FUNCTION_WORD_TEXT = """
    a about after again all am an and any are as at be because been before being but by can could did do
    does doing for from had has have having he her here hers him his how i if in into is it its just me
    my myself no nor of on once or our ours out own please s same she should so some such t than that
    the their theirs them then there these they this those through to too until up very was we were what
    when where which while who whom why will with would you your yours d ll m re ve can't don't doesn't
    i'm i'd i've it's what's how's that's there's let tell explain describe give show"""
_FUNCTION_WORDS = frozenset(_FUNCTION_WORD_TEXT.split())


@lru_cache(maxsize=65536)
def _bucket(feature: str, dimensions: int) -> tuple[int, float]:
    """Stable (index, sign) of a feature: the same on every run and machine."""
    digest = int.from_bytes(hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest(), "little")
    return digest % dimensions, 1.0 if (digest >> 63) & 1 else -1.0


def _weight(word: str) -> float:
    return _FUNCTION_WORD_WEIGHT if word in _FUNCTION_WORDS else 1.0


def _features(text: str) -> list[tuple[str, float]]:
    words = [w.lower() for w in _WORD.findall(text)]
    feats = [(f"w:{w}", _WORD_WEIGHT * _weight(w)) for w in words]
    feats += [(f"b:{a} {b}", _BIGRAM_WEIGHT * min(_weight(a), _weight(b))) for a, b in itertools.pairwise(words)]
    for word in words:
        padded, weight = f"<{word}>", _CHAR_WEIGHT * _weight(word)
        feats += [(f"c:{padded[i : i + _CHAR_NGRAM]}", weight) for i in range(max(1, len(padded) - _CHAR_NGRAM + 1))]
    return feats


def hashed_embedding(text: str, dimensions: int = 1024, *, normalize: bool = True) -> list[float]:
    """Embed ``text`` into ``dimensions`` floats; unit length when ``normalize`` (zeros for no words)."""
    if dimensions <= 0:
        raise ValueError(f"dimensions must be positive, got {dimensions}")
    vector = np.zeros(dimensions, dtype=np.float64)
    for feature, weight in _features(text):
        index, sign = _bucket(feature, dimensions)
        vector[index] += sign * weight
    norm = float(np.linalg.norm(vector))
    if normalize and norm > 0.0:
        vector /= norm
    return [float(x) for x in vector]


class HashingEmbeddings(Embeddings):
    """LangChain ``Embeddings`` over :func:`hashed_embedding`: offline, deterministic, free."""

    def __init__(self, dimensions: int = 384) -> None:
        if dimensions <= 0:
            raise ValueError(f"dimensions must be positive, got {dimensions}")
        self.dimensions = dimensions

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """One unit vector of ``self.dimensions`` floats per text."""
        return [hashed_embedding(text, self.dimensions) for text in texts]

    def embed_query(self, text: str) -> list[float]:
        """A unit vector of ``self.dimensions`` floats."""
        return hashed_embedding(text, self.dimensions)
