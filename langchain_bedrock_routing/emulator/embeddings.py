"""InvokeModel bodies of Bedrock's embedding families: Titan Text v1/v2, Titan Multimodal, Cohere Embed v3/v4, Nova.

Each family reads its own native request body and answers with its own response shape (as documented in the
Bedrock model-parameters reference); text vectors come from the emulator's ``embedder`` (default
:func:`hashed_embedding`), images are hashed by their bytes.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from langchain_bedrock_routing.catalog import EmbeddingModelSpec, estimate_tokens
from langchain_bedrock_routing.embeddings import hashed_embedding
from langchain_bedrock_routing.emulator.errors import BedrockError, validation

Body = dict[str, Any]
TextEmbedder = Callable[[str, int], Sequence[float]]
"""(text, dimensions) -> that many floats, unit length: how the emulator embeds text, see ``BedrockEmulator``."""
Embedded = tuple[Body, int]
"""A response body and the input tokens it is billed for."""
_COHERE_INPUT_TYPES = ("search_document", "search_query", "classification", "clustering", "image")
_NOVA_PURPOSES = ("GENERIC_INDEX", "GENERIC_RETRIEVAL", "TEXT_RETRIEVAL", "IMAGE_RETRIEVAL", "VIDEO_RETRIEVAL",
                  "DOCUMENT_RETRIEVAL", "AUDIO_RETRIEVAL", "CLASSIFICATION", "CLUSTERING")  # fmt: skip


def malformed(detail: str) -> BedrockError:
    """Bedrock's ValidationException for a body that does not fit the model's schema."""
    return validation(f"Malformed input request: {detail}, please reformat your input.")


def _only(body: Body, allowed: set[str]) -> None:
    for key in body:
        if key not in allowed:
            raise malformed(f"#: extraneous key [{key}] is not permitted")


def _dims(value: Any, spec: EmbeddingModelSpec, where: str) -> int:
    dims = spec.default_dimensions if value is None else value
    if isinstance(dims, bool) or dims not in spec.dimensions:
        raise malformed(f"#/{where}: {dims!r} is not a valid enum value (one of {list(spec.dimensions)})")
    return int(dims)


def _text_vector(embedder: TextEmbedder | None, text: str, dims: int, normalize: bool = True) -> list[float]:
    """``text``'s vector: hashed (unnormalized on request), or the embedder's as it gives it."""
    if embedder is None:
        return hashed_embedding(text, dims, normalize=normalize)
    vector = [float(x) for x in embedder(text, dims)]
    if len(vector) != dims:
        raise ValueError(f"the emulator's embedder returned {len(vector)} floats for {dims} dimensions")
    return vector


def _image_vector(data: str, dims: int, normalize: bool = True) -> list[float]:
    digest = hashlib.sha256(data.encode("utf-8")).hexdigest()
    return hashed_embedding(f"image {digest[:16]} {digest[16:32]}", dims, normalize=normalize)


def _titan_text(spec: EmbeddingModelSpec, body: Body, embedder: TextEmbedder | None) -> Embedded:
    v1 = spec.dimensions == (1536,)
    text = body.get("inputText")
    if not isinstance(text, str) or not text:
        raise malformed("#: required key [inputText] not found or empty")
    _only(body, {"inputText"} if v1 else {"inputText", "dimensions", "normalize", "embeddingTypes"})
    dims = _dims(body.get("dimensions"), spec, "dimensions")
    normalize = body.get("normalize", not v1)
    if not isinstance(normalize, bool):
        raise malformed("#/normalize: expected type: Boolean")
    tokens = estimate_tokens(text)
    if tokens > spec.max_input_tokens:
        raise validation(f"Input is too long for requested model: {tokens} tokens > {spec.max_input_tokens}.")
    vector = _text_vector(embedder, text, dims, normalize)
    response: Body = {"embedding": vector, "inputTextTokenCount": tokens}
    if isinstance(body.get("embeddingTypes"), list) and "float" in body["embeddingTypes"]:
        response["embeddingsByType"] = {"float": vector}
    return response, tokens


def _titan_image(spec: EmbeddingModelSpec, body: Body, embedder: TextEmbedder | None) -> Embedded:
    _only(body, {"inputText", "inputImage", "embeddingConfig"})
    text, image = body.get("inputText"), body.get("inputImage")
    if not isinstance(text, str) and not isinstance(image, str):
        raise malformed("#: at least one of [inputText, inputImage] is required")
    config = body.get("embeddingConfig") or {}
    dims = _dims(config.get("outputEmbeddingLength") if isinstance(config, dict) else None, spec,
                 "embeddingConfig/outputEmbeddingLength")  # fmt: skip
    seed = (text or "") + (" " + hashlib.sha256(image.encode()).hexdigest() if isinstance(image, str) else "")
    tokens = estimate_tokens(text) if isinstance(text, str) else 0
    return {"embedding": hashed_embedding(seed, dims), "inputTextTokenCount": tokens}, tokens


def _cohere(spec: EmbeddingModelSpec, body: Body, embedder: TextEmbedder | None) -> Embedded:
    v4 = 1536 in spec.dimensions
    allowed = {"texts", "images", "input_type", "truncate", "embedding_types"}
    _only(body, allowed | ({"inputs", "output_dimension", "max_tokens"} if v4 else set()))
    if body.get("input_type") not in _COHERE_INPUT_TYPES:
        raise malformed(f"#/input_type: {body.get('input_type')!r} is not one of {list(_COHERE_INPUT_TYPES)}")
    texts, images = body.get("texts") or [], body.get("images") or []
    if not isinstance(texts, list) or not isinstance(images, list) or not (texts or images):
        raise malformed("#: one of [texts, images] must be a non-empty array")
    if len(texts) > 96 or len(images) > (96 if v4 else 1):
        raise malformed("#/texts: expected maximum item count: 96")
    dims = _dims(body.get("output_dimension"), spec, "output_dimension") if v4 else spec.default_dimensions
    vectors = [_text_vector(embedder, str(t), dims) for t in texts] + [_image_vector(str(i), dims) for i in images]
    types = body.get("embedding_types")
    by_type = v4 or isinstance(types, list)
    response: Body = {
        "id": str(uuid.uuid4()),
        "embeddings": {str(t): vectors for t in (types or ["float"])} if by_type else vectors,
        "response_type": "embeddings_by_type" if by_type else "embeddings_floats",
        "texts": [str(t) for t in texts],
    }
    if images:
        response["images"] = [{"width": 1, "height": 1, "format": "jpeg", "bit_depth": 24} for _ in images]
    return response, sum(estimate_tokens(str(t)) for t in texts)


def _nova(spec: EmbeddingModelSpec, body: Body, embedder: TextEmbedder | None) -> Embedded:
    _only(body, {"schemaVersion", "taskType", "singleEmbeddingParams"})
    if body.get("taskType") != "SINGLE_EMBEDDING":
        raise malformed(f"#/taskType: {body.get('taskType')!r} is not one of ['SINGLE_EMBEDDING']")
    params = body.get("singleEmbeddingParams")
    if not isinstance(params, dict):
        raise malformed("#: required key [singleEmbeddingParams] not found")
    if params.get("embeddingPurpose") not in _NOVA_PURPOSES:
        raise malformed(f"#/singleEmbeddingParams/embeddingPurpose: {params.get('embeddingPurpose')!r} is invalid")
    dims = _dims(params.get("embeddingDimension"), spec, "singleEmbeddingParams/embeddingDimension")
    kinds = [k for k in ("text", "image", "audio", "video", "document") if isinstance(params.get(k), dict)]
    if len(kinds) != 1:
        raise malformed("#/singleEmbeddingParams: exactly one of [text, image, audio, video, document] is required")
    item = params[kinds[0]]
    if kinds[0] == "text":
        text = item.get("value")
        if not isinstance(text, str) or not text:
            raise malformed("#/singleEmbeddingParams/text: required key [value] not found")
        vector, tokens = _text_vector(embedder, text, dims), estimate_tokens(text)
    else:
        vector, tokens = _image_vector(str(item.get("source")), dims), 0
    return {"embeddings": [{"embeddingType": kinds[0].upper(), "embedding": vector}]}, tokens


_FAMILIES: dict[str, Callable[[EmbeddingModelSpec, Body, TextEmbedder | None], Embedded]] = {
    "amazon.titan-embed-text": _titan_text,
    "amazon.titan-embed-image": _titan_image,
    "cohere.embed": _cohere,
    "amazon.nova-2-multimodal-embeddings": _nova,
}


def embed(spec: EmbeddingModelSpec, body: Body, embedder: TextEmbedder | None = None) -> Embedded:
    """The model family's response to ``body`` and its input tokens (text embedded by ``embedder``, default hashed);
    ``ValidationException`` if malformed."""
    for prefix, handler in _FAMILIES.items():
        if spec.model_id.startswith(prefix):
            return handler(spec, body, embedder)
    raise validation(f"The emulator has no request schema for embedding model {spec.model_id}.")
