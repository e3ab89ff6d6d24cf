"""Titan Text Embeddings V2 through InvokeModel and langchain-aws BedrockEmbeddings."""

from __future__ import annotations

import json
import math

import pytest
from botocore.exceptions import ClientError
from langchain_aws import BedrockEmbeddings

from langchain_bedrock_routing.emulator import BedrockEmulator

TITAN = "amazon.titan-embed-text-v2:0"


def _cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True)) / math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))


@pytest.mark.parametrize("dimensions", [256, 512, 1024])
def test_bedrock_embeddings_dimensions_and_meaning(emulator: BedrockEmulator, dimensions: int):
    embeddings = BedrockEmbeddings(model_id=TITAN, region_name="us-east-1", dimensions=dimensions)
    query = embeddings.embed_query("How do I reset my password?")
    near, far = embeddings.embed_documents(["how can I reset my password", "Quarterly revenue grew in Europe"])
    assert len(query) == len(near) == len(far) == dimensions
    assert _cosine(query, near) > 0.5 > _cosine(query, far)
    assert [r.operation for r in emulator.requests] == ["InvokeModel"] * 3
    assert all(r.billed and r.input_tokens > 0 for r in emulator.requests)


def test_invoke_model_is_deterministic_and_honours_normalize(emulator: BedrockEmulator, runtime):
    def embed(**fields) -> dict:
        body = runtime.invoke_model(modelId=TITAN, body=json.dumps({"inputText": "hello world", **fields}))["body"]
        return json.loads(body.read())

    unit, raw = embed(normalize=True, embeddingTypes=["float"]), embed(normalize=False)
    assert unit["embedding"] == embed(normalize=True)["embedding"]
    assert unit["embeddingsByType"]["float"] == unit["embedding"]
    assert math.isclose(math.fsum(x * x for x in unit["embedding"]), 1.0)
    assert math.fsum(x * x for x in raw["embedding"]) > 1.0
    assert unit["inputTextTokenCount"] == 2


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"inputText": "hi", "dimensions": 300}, "dimensions"),
        ({"text": "hi"}, "inputText"),
        ({"inputText": "hi", "normalize": "yes"}, "normalize"),
    ],
)
def test_invoke_model_rejects_bad_bodies_naming_the_field(emulator: BedrockEmulator, runtime, body, needle):
    with pytest.raises(ClientError) as info:
        runtime.invoke_model(modelId=TITAN, body=json.dumps(body))
    assert info.value.response["Error"]["Code"] == "ValidationException"
    assert needle in info.value.response["Error"]["Message"]
    assert emulator.requests[-1].billed is False
