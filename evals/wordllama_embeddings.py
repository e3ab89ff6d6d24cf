"""A real small sentence-embedding model, offline: WordLlama ``l2_supercat`` (256 dimensions, MIT), for evals and tests.

The weights and the tokenizer ship inside the ``wordllama`` wheel (``pip install 'langchain-bedrock-routing[eval]'``);
they are read from the installed package files and nothing is ever downloaded (WordLlama's own loader looks for the
tokenizer in the wrong folder and then fetches it from a hub, so it is not used). The library never imports this
module; evals, benchmarks and tests pass it to the caches or to ``BedrockEmulator(embedder=...)``.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

WEIGHTS = "weights/l2_supercat_256.safetensors"
TOKENIZER = "tokenizers/l2_supercat_tokenizer_config.json"
DIMENSIONS = 256
_BATCH = 64


@cache
def _model() -> tuple[Any, np.ndarray]:
    """The tokenizer and the (vocabulary x 256) token-embedding matrix, read once from the installed wheel."""
    try:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("WordLlamaEmbeddings needs: pip install 'langchain-bedrock-routing[eval]'") from exc
    package = resources.files("wordllama")
    tokenizer = Tokenizer.from_file(str(package.joinpath(TOKENIZER)))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    table = np.ascontiguousarray(load_file(str(package.joinpath(WEIGHTS)))["embedding.weight"], dtype=np.float32)
    return tokenizer, table


def available() -> bool:
    """True when the ``wordllama`` package (with its bundled weights) is installed."""
    try:
        files = resources.files("wordllama")
    except ModuleNotFoundError:
        return False
    return files.joinpath(WEIGHTS).is_file() and files.joinpath(TOKENIZER).is_file()


def embed_texts(texts: list[str]) -> np.ndarray:
    """Unit-length embeddings (len(texts) x 256): the mean of the texts' token vectors, as WordLlama computes them."""
    tokenizer, table = _model()
    out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
    for start in range(0, len(texts), _BATCH):
        for row, encoding in enumerate(tokenizer.encode_batch(texts[start : start + _BATCH], add_special_tokens=False)):
            ids = np.clip(np.asarray(encoding.ids, dtype=np.int64), 0, table.shape[0] - 1)
            if ids.size:
                vector = table[ids].mean(axis=0)
                norm = float(np.linalg.norm(vector))
                out[start + row] = vector / norm if norm > 0 else vector
    return out


class WordLlamaEmbeddings(Embeddings):
    """LangChain embeddings from the bundled WordLlama model: 256 floats per text, unit length (zeros for no tokens)."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """One unit vector per text."""
        return [[float(x) for x in row] for row in embed_texts(list(texts))]

    def embed_query(self, text: str) -> list[float]:
        """The unit vector of one text."""
        return self.embed_documents([text])[0]


def titan_embedder(text: str, dimensions: int) -> list[float]:
    """An emulator embedder: the WordLlama vector, zero-padded or cut to ``dimensions`` and renormalised."""
    vector = embed_texts([text])[0]
    sized = np.zeros(dimensions, dtype=np.float32)
    sized[: min(dimensions, DIMENSIONS)] = vector[:dimensions]
    norm = float(np.linalg.norm(sized))
    return [float(x) for x in (sized / norm if norm > 0 else sized)]
