"""Every embedding family's native InvokeModel body and response shape: Titan v1 / multimodal, Cohere v3 / v4, Nova."""

from __future__ import annotations

import base64
import json
import math
from typing import Any

import pytest
from botocore.exceptions import ClientError
from langchain_aws import BedrockEmbeddings

from langchain_bedrock_routing.emulator import BedrockEmulator

JPEG = base64.b64encode(b"\xff\xd8\xff\xe0 not really a jpeg \xff\xd9").decode()


def _invoke(runtime: Any, model_id: str, body: dict[str, Any]) -> dict[str, Any]:
    return json.loads(runtime.invoke_model(modelId=model_id, body=json.dumps(body))["body"].read())


@pytest.mark.parametrize(
    ("model_id", "dims"),
    [
        ("amazon.titan-embed-text-v1", 1536),
        ("cohere.embed-english-v3", 1024),
        ("arn:aws:bedrock:us-east-1::foundation-model/cohere.embed-english-v3", 1024),
        ("us.cohere.embed-v4:0", 1536),
        ("amazon.nova-2-multimodal-embeddings-v1:0", 3072),
    ],
)
def test_langchain_embeddings_get_each_family_default_size(emulator: BedrockEmulator, model_id: str, dims: int):
    provider = {"provider": "cohere"} if model_id.startswith("arn:") else {}
    embeddings = BedrockEmbeddings(model_id=model_id, region_name="us-east-1", **provider)
    query, *docs = embeddings.embed_query("reset my password"), *embeddings.embed_documents(["a", "b c"])
    assert [len(v) for v in (query, *docs)] == [dims] * 3
    assert all(r.billed for r in emulator.requests)


def test_cohere_v3_shapes_follow_embedding_types(emulator: BedrockEmulator, runtime: Any):
    plain = _invoke(runtime, "cohere.embed-english-v3", {"texts": ["hi", "yo"], "input_type": "search_query"})
    typed = _invoke(
        runtime,
        "cohere.embed-english-v3",
        {"texts": ["hi"], "input_type": "search_query", "embedding_types": ["float"]},
    )
    assert plain["response_type"] == "embeddings_floats"
    assert len(plain["embeddings"]) == 2
    assert plain["texts"] == ["hi", "yo"]
    assert plain["id"]
    assert typed["response_type"] == "embeddings_by_type"
    assert typed["embeddings"]["float"][0] == plain["embeddings"][0]


def test_image_embeddings_titan_multimodal_cohere_v4_and_nova(emulator: BedrockEmulator, runtime: Any):
    titan = _invoke(
        runtime, "amazon.titan-embed-image-v1", {"inputImage": JPEG, "embeddingConfig": {"outputEmbeddingLength": 256}}
    )
    cohere = _invoke(
        runtime,
        "us.cohere.embed-v4:0",
        {"images": [f"data:image/jpeg;base64,{JPEG}"], "input_type": "search_document", "output_dimension": 256},
    )
    params = {"embeddingPurpose": "GENERIC_INDEX", "embeddingDimension": 256}
    nova = _invoke(
        runtime,
        "amazon.nova-2-multimodal-embeddings-v1:0",
        {
            "taskType": "SINGLE_EMBEDDING",
            "singleEmbeddingParams": {**params, "image": {"format": "jpeg", "source": {"bytes": JPEG}}},
        },
    )
    assert len(titan["embedding"]) == len(cohere["embeddings"]["float"][0]) == 256
    assert nova["embeddings"][0]["embeddingType"] == "IMAGE"
    assert len(nova["embeddings"][0]["embedding"]) == 256
    assert math.isclose(math.fsum(x * x for x in titan["embedding"]), 1.0)


@pytest.mark.parametrize(
    ("model_id", "body", "needle"),
    [
        ("amazon.titan-embed-text-v1", {"inputText": "hi", "dimensions": 256}, "extraneous key [dimensions]"),
        ("amazon.titan-embed-text-v2:0", {"inputText": ""}, "not found or empty"),  # as Bedrock answers ""
        ("cohere.embed-english-v3", {"texts": ["hi"]}, "input_type"),
        (
            "cohere.embed-english-v3",
            {"texts": ["hi"], "input_type": "search_query", "output_dimension": 256},
            "extraneous",
        ),
        (
            "us.cohere.embed-v4:0",
            {"texts": ["hi"], "input_type": "search_query", "output_dimension": 300},
            "output_dimension",
        ),
        ("amazon.nova-2-multimodal-embeddings-v1:0", {"taskType": "SINGLE_EMBEDDING"}, "singleEmbeddingParams"),
        ("amazon.titan-embed-image-v1", {"embeddingConfig": {}}, "inputText, inputImage"),
    ],
)
def test_malformed_bodies_are_validation_errors(
    emulator: BedrockEmulator, runtime: Any, model_id: str, body: dict[str, Any], needle: str
):
    with pytest.raises(ClientError) as info:
        runtime.invoke_model(modelId=model_id, body=json.dumps(body))
    assert info.value.response["Error"]["Code"] == "ValidationException"
    assert needle in info.value.response["Error"]["Message"]


def _one_hot(text: str, dimensions: int) -> list[float]:
    """A text embedder for the emulator: a unit vector at the text's length (mod dimensions)."""
    vector = [0.0] * dimensions
    vector[len(text) % dimensions] = 1.0
    return vector


@pytest.mark.parametrize(
    ("model_id", "dims"),
    [
        ("amazon.titan-embed-text-v2:0", 1024),
        ("cohere.embed-english-v3", 1024),
        ("amazon.nova-2-multimodal-embeddings-v1:0", 3072),
    ],
)
def test_an_emulator_embedder_makes_every_text_family_s_vectors(model_id: str, dims: int):
    with BedrockEmulator(embedder=_one_hot) as emulator:
        embeddings = BedrockEmbeddings(model_id=model_id, **emulator.client_kwargs())
        assert embeddings.embed_query("reset my password") == _one_hot("reset my password", dims)


def test_an_embedder_of_the_wrong_size_fails_the_request_loudly():
    with BedrockEmulator(embedder=lambda text, dims: [1.0] * (dims - 1)) as emulator:
        embeddings = BedrockEmbeddings(model_id="amazon.titan-embed-text-v2:0", **emulator.client_kwargs())
        with pytest.raises(ClientError, match="internal error: ValueError"):
            embeddings.embed_query("reset my password")
