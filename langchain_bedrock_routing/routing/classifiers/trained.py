"""A router trained on your own outcomes (``bedrock-routing train``), loaded from its JSON artefact.

The artefact is versioned JSON (no pickle): the embeddings it was trained over, the logistic
model and its score calibration (``EmbeddingComplexityClassifier``), the tier thresholds chosen by
calibration, and provenance (data, split, rule, held-out figures). Load it with
``RoutedChatBedrock(classifier="trained:router.json")`` or :meth:`TrainedClassifier.load`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from langchain_core.embeddings import Embeddings
from pydantic import ValidationError

from langchain_bedrock_routing.embeddings import HashingEmbeddings
from langchain_bedrock_routing.routing.classifiers.embedding import EmbeddingComplexityClassifier

FORMAT = "bedrock-routing/trained-router/1"
EMBEDDING_KINDS = ("hashing", "bedrock")


def embeddings_spec(embeddings: Embeddings) -> dict[str, Any]:
    """How the artefact names its embeddings: ``hashing`` with dimensions, or a ``bedrock`` model id."""
    if isinstance(embeddings, HashingEmbeddings):
        return {"kind": "hashing", "dimensions": embeddings.dimensions}
    model_id = getattr(embeddings, "model_id", None)
    if not isinstance(model_id, str):
        raise ValueError(
            f"cannot save a router over {type(embeddings).__name__}: use HashingEmbeddings or langchain-aws "
            "BedrockEmbeddings (Titan)"
        )
    return {"kind": "bedrock", "model_id": model_id}


def embeddings_from_spec(
    spec: dict[str, Any], client_factory: Callable[[Any], Any] | None = None, **aws: Any
) -> Embeddings:
    """The embeddings an artefact was trained over; ``aws`` (region_name, endpoint_url ...) for Bedrock ones, or
    ``client_factory`` (called with ``None``: no botocore overrides) building their ``bedrock-runtime`` client."""
    kind = spec.get("kind")
    if kind == "hashing":
        return HashingEmbeddings(int(spec["dimensions"]))
    if kind == "bedrock":
        from langchain_bedrock_routing.core.async_embeddings import AsyncBedrockEmbeddings

        if client_factory is not None:
            aws["client"] = client_factory(None)
        return AsyncBedrockEmbeddings(model_id=str(spec["model_id"]), **aws)
    raise ValueError(f"unknown embeddings kind {kind!r} in the router file; valid kinds: {', '.join(EMBEDDING_KINDS)}")


class TrainedClassifier(EmbeddingComplexityClassifier):
    """An :class:`EmbeddingComplexityClassifier` fitted on outcomes, with calibrated thresholds and provenance.

    ``metadata`` holds what training recorded (``training``: data, split, tier rule; ``calibration``:
    target, thresholds, held-out APGR and cost/quality). Decisions name the classifier ``"trained"``.
    """

    _decision_name: ClassVar[str] = "trained"

    @classmethod
    def load(cls, path: str | Path, embeddings: Embeddings | None = None, **kwargs: Any) -> TrainedClassifier:
        """A router saved by :meth:`save`. Bedrock embeddings are rebuilt from their model id with ``aws``
        settings in ``kwargs`` (``region_name``, ``endpoint_url``, or a ``client_factory`` as ``RoutedChatBedrock``
        passes, so they use its endpoint, region and credentials); pass ``embeddings`` to supply your own."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"trained router file not found: {path} (create it with `bedrock-routing train`)")
        data = json.loads(path.read_text("utf-8"))
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            found = data.get("format") if isinstance(data, dict) else type(data).__name__
            raise ValueError(f"{path} is not a trained router (format {found!r}, expected {FORMAT!r})")
        aws = {k: kwargs.pop(k) for k in ("region_name", "endpoint_url", "client_factory") if k in kwargs}
        try:
            model = data["model"]
            kwargs.setdefault("thresholds", data["thresholds"])
            return cls(
                embeddings=embeddings or embeddings_from_spec(data["embeddings"], **aws),
                weights=model["weights"],
                bias=model["bias"],
                calibration=model["calibration"],
                metadata=data.get("metadata", {}),
                **kwargs,
            )
        except (KeyError, TypeError, ValidationError) as exc:
            raise ValueError(f"{path} is a damaged trained router file ({exc!r}): train it again") from None

    def save(self, path: str | Path) -> None:
        """Write the artefact: format, embeddings, thresholds, model, metadata (a few KB per 100 dimensions)."""
        self._require_fitted()
        data = {
            "format": FORMAT,
            "embeddings": embeddings_spec(self.embeddings),
            "thresholds": self.thresholds.model_dump(),
            "metadata": self.metadata,
            "model": {
                "bias": round(self.bias, 6),
                "calibration": [round(x, 6) for x in self.calibration or []],
                "weights": [round(w, 6) for w in self.weights or []],
            },
        }
        Path(path).write_text(json.dumps(data, separators=(",", ":")) + "\n", "utf-8")
