"""A classifier learned from labelled examples: logistic regression over text embeddings, in numpy.

``fit(texts, targets)`` trains on tier names, booleans (True = needs the strong model) or scores in
[0, 1]; ``save``/``load`` keep the weights in a small JSON file. The raw logit is mapped to a score
by its percentile among the training examples' logits, so a score of 0.8 means "harder than 80% of
what it was trained on". :meth:`EmbeddingComplexityClassifier.default` loads the weights shipped
with the package (trained offline by ``evals/train_embedding.py``), over ``HashingEmbeddings``:
no network at run time.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from langchain_core.embeddings import Embeddings
from langchain_core.messages import BaseMessage
from langchain_core.runnables import RunnableConfig
from numpy.typing import NDArray
from pydantic import Field

from langchain_bedrock_routing.catalog import TIERS
from langchain_bedrock_routing.core.closing import aclose_parts
from langchain_bedrock_routing.embeddings import HashingEmbeddings
from langchain_bedrock_routing.routing.classifiers.base import (
    ScoringClassifier,
    last_human_index,
    message_parts,
)
from langchain_bedrock_routing.routing.decision import RouteDecision

FORMAT = "embedding-complexity-classifier/1"
DEFAULT_WEIGHTS = "embedding_weights.json"
_TIER_TARGETS = {tier: index / (len(TIERS) - 1) for index, tier in enumerate(TIERS)}
_CALIBRATION_POINTS = 101


def _targets(labels: Sequence[str | bool | float]) -> NDArray[np.float64]:
    values: list[float] = []
    for label in labels:
        if isinstance(label, str):
            if label not in _TIER_TARGETS:
                raise ValueError(
                    f"unknown label {label!r}; valid tier labels: {', '.join(TIERS)} (or scores in [0, 1])"
                )
            values.append(_TIER_TARGETS[label])
        elif isinstance(label, bool | int | float) and 0.0 <= float(label) <= 1.0:
            values.append(float(label))
        else:
            raise ValueError(f"label {label!r} is neither a tier name ({', '.join(TIERS)}) nor a score in [0, 1]")
    return np.asarray(values, dtype=np.float64)


def _last_human_text(messages: list[BaseMessage]) -> str:
    return message_parts(messages[last_human_index(messages)]).text


def _sigmoid(z: NDArray[np.float64]) -> NDArray[np.float64]:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -30.0, 30.0)))


class EmbeddingComplexityClassifier(ScoringClassifier):
    """Scores the last human turn with a logistic model over ``embeddings``; call :meth:`fit` or :meth:`load` first."""

    _decision_name: ClassVar[str] = "embedding"
    """``classifier`` of the decisions (and first word of their reason)."""
    embeddings: Embeddings = Field(default_factory=lambda: HashingEmbeddings(1024))
    weights: list[float] | None = None
    """One weight per embedding dimension (``None`` until fitted or loaded)."""
    bias: float = 0.0
    calibration: list[float] | None = None
    """Sorted training logits at 101 evenly spaced percentiles: the logit-to-score map."""
    metadata: dict[str, Any] = Field(default_factory=dict)
    """Free-form provenance saved with the weights (data, split, date)."""

    @property
    def calls_models(self) -> bool:
        """True unless the embeddings are the offline ``HashingEmbeddings`` (Bedrock embeddings are billed calls)."""
        return not isinstance(self.embeddings, HashingEmbeddings)

    @classmethod
    def default(cls, **kwargs: Any) -> EmbeddingComplexityClassifier:
        """The classifier with the weights shipped in the package (``HashingEmbeddings``, 1024 dims)."""
        text = resources.files(__package__ or __name__).joinpath(DEFAULT_WEIGHTS).read_text("utf-8")
        return cls._from_data(json.loads(text), None, **kwargs)

    @classmethod
    def load(
        cls, path: str | Path, embeddings: Embeddings | None = None, **kwargs: Any
    ) -> EmbeddingComplexityClassifier:
        """Weights saved by :meth:`save`; pass ``embeddings`` unless they were ``HashingEmbeddings``."""
        return cls._from_data(json.loads(Path(path).read_text("utf-8")), embeddings, **kwargs)

    def save(self, path: str | Path) -> None:
        """Write weights, calibration, thresholds and provenance as JSON."""
        self._require_fitted()
        dims = getattr(self.embeddings, "dimensions", None)
        data = {
            "format": FORMAT,
            "embeddings": {"class": type(self.embeddings).__name__, "dimensions": dims},
            "thresholds": self.thresholds.model_dump(),
            "metadata": self.metadata,
            "bias": self.bias,
            "calibration": [round(x, 6) for x in self.calibration or []],
            "weights": [round(w, 6) for w in self.weights or []],
        }
        Path(path).write_text(json.dumps(data, separators=(",", ":")) + "\n", "utf-8")

    def fit(
        self,
        texts: Sequence[str],
        labels: Sequence[str | bool | float],
        *,
        epochs: int = 400,
        learning_rate: float = 2.0,
        l2: float = 1e-4,
    ) -> EmbeddingComplexityClassifier:
        """Train on ``texts`` with tier names, booleans or [0, 1] scores (cross-entropy, full-batch momentum GD).

        Returns ``self``. Raises ``ValueError`` on empty or mismatched inputs and on unknown labels.
        """
        if not texts or len(texts) != len(labels):
            raise ValueError(
                f"need as many labels as texts, at least one; got {len(texts)} texts, {len(labels)} labels"
            )
        y = _targets(labels)
        x = np.asarray(self.embeddings.embed_documents(list(texts)), dtype=np.float64)
        prior = float(np.clip(y.mean(), 1e-6, 1.0 - 1e-6))
        w, b = np.zeros(x.shape[1]), float(np.log(prior / (1.0 - prior)))
        velocity_w, velocity_b = np.zeros_like(w), 0.0
        for _ in range(epochs):
            error = _sigmoid(x @ w + b) - y
            velocity_w = 0.9 * velocity_w - learning_rate * (x.T @ error / len(y) + l2 * w)
            velocity_b = 0.9 * velocity_b - learning_rate * float(error.mean())
            w, b = w + velocity_w, b + velocity_b
        logits = x @ w + b
        self.weights, self.bias = [float(v) for v in w], float(b)
        self.calibration = [float(v) for v in np.quantile(logits, np.linspace(0.0, 1.0, _CALIBRATION_POINTS))]
        return self

    def score_texts(self, texts: Sequence[str]) -> NDArray[np.float64]:
        """Scores in [0, 1] of many texts at once (one ``embed_documents`` call)."""
        return self._scores(self.embeddings.embed_documents(list(texts)))

    async def ascore_texts(self, texts: Sequence[str]) -> NDArray[np.float64]:
        """Async :meth:`score_texts` (``aembed_documents``)."""
        return self._scores(await self.embeddings.aembed_documents(list(texts)))

    def _scores(self, vectors: list[list[float]]) -> NDArray[np.float64]:
        weights, calibration = self._require_fitted()
        x = np.asarray(vectors, dtype=np.float64)
        if x.shape[1] != weights.size:
            raise ValueError(f"embeddings have {x.shape[1]} dimensions but the weights expect {weights.size}")
        scores: NDArray[np.float64] = np.interp(
            x @ weights + self.bias, calibration, np.linspace(0.0, 1.0, calibration.size)
        )
        return scores

    def classify_messages(self, messages: list[BaseMessage], config: RunnableConfig | None = None) -> RouteDecision:
        """Score the last human turn by its embedding."""
        return self._decision(self.score_texts([_last_human_text(messages)]))

    async def aclassify_messages(
        self, messages: list[BaseMessage], config: RunnableConfig | None = None
    ) -> RouteDecision:
        """Async :meth:`classify_messages`, through the embeddings' ``aembed_documents``."""
        return self._decision(await self.ascore_texts([_last_human_text(messages)]))

    async def aclose(self) -> None:
        """Close the embeddings' connections of the running event loop (``AsyncBedrockEmbeddings``)."""
        await aclose_parts(self.embeddings)

    def _decision(self, scores: NDArray[np.float64]) -> RouteDecision:
        score, name = float(scores[0]), self._decision_name
        return self.decide(score, f"{name} score {score:.2f} (harder than {score:.0%} of training examples)", name)

    def _require_fitted(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        if self.weights is None or self.calibration is None:
            raise ValueError("EmbeddingComplexityClassifier is not trained: call fit(), load() or default() first")
        return np.asarray(self.weights), np.asarray(self.calibration)

    @classmethod
    def _from_data(
        cls, data: dict[str, Any], embeddings: Embeddings | None, **kwargs: Any
    ) -> EmbeddingComplexityClassifier:
        if data.get("format") != FORMAT:
            raise ValueError(f"not an embedding classifier file (format {data.get('format')!r}, expected {FORMAT!r})")
        spec = data["embeddings"]
        if embeddings is None:
            if spec["class"] != HashingEmbeddings.__name__:
                raise ValueError(f"weights were trained with {spec['class']}: pass that embeddings object to load()")
            embeddings = HashingEmbeddings(int(spec["dimensions"]))
        kwargs.setdefault("thresholds", data["thresholds"])
        return cls(
            embeddings=embeddings,
            weights=data["weights"],
            bias=data["bias"],
            calibration=data["calibration"],
            metadata=data.get("metadata", {}),
            **kwargs,
        )
