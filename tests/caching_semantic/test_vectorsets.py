"""The vector-set wrapper against a real Redis 8 (and a real Redis 7, which has none)."""

from __future__ import annotations

import math

import pytest
import redis
import redis.asyncio

from langchain_bedrock_routing.core.vectorsets import VectorSets
from langchain_bedrock_routing.errors import VectorDimensionError, VectorSetsUnavailableError
from langchain_bedrock_routing.testing import RedisServer


def test_scores_are_one_plus_cosine_over_two(redis_client: redis.Redis):
    sets = VectorSets(redis_client)
    angle = math.radians(60)  # cosine 0.5
    for name, vector in {
        "same": [1.0, 0.0, 0.0],
        "sixty": [math.cos(angle), math.sin(angle), 0.0],
        "orthogonal": [0.0, 1.0, 0.0],
        "opposite": [-1.0, 0.0, 0.0],
    }.items():
        assert sets.add("vs", name, vector, "noquant") is True
    scores = dict(sets.similar("vs", [1.0, 0.0, 0.0], count=10))
    assert scores == pytest.approx({"same": 1.0, "sixty": 0.75, "orthogonal": 0.5, "opposite": 0.0}, abs=1e-6)
    assert [name for name, _ in sets.similar("vs", [1.0, 0.0, 0.0], count=2)] == ["same", "sixty"]


def test_card_dim_info_remove_and_missing_keys(redis_client: redis.Redis):
    sets = VectorSets(redis_client)
    assert sets.similar("missing", [1.0, 0.0], count=3) == []
    assert sets.card("missing") == 0
    assert sets.dim("missing") is None
    sets.add("vs", "a", [0.1, 0.2, 0.3, 0.4], "q8")
    sets.add("vs", "b", [0.4, 0.3, 0.2, 0.1], "q8")
    assert sets.card("vs") == 2
    assert sets.dim("vs") == 4
    info = sets.info("vs")
    assert info is not None
    assert info["quant-type"] == "int8"
    assert sets.remove("vs", "a") is True
    assert sets.remove("vs", "a") is False
    assert sets.card("vs") == 1


def test_wrong_dimension_names_both_dimensions(redis_client: redis.Redis):
    sets = VectorSets(redis_client)
    sets.add("vs", "a", [1.0, 0.0, 0.0])
    with pytest.raises(VectorDimensionError, match=r"give 4-dimensional .* holds 3-dimensional"):
        sets.add("vs", "b", [1.0, 0.0, 0.0, 0.0])
    with pytest.raises(VectorDimensionError, match=r"give 2-dimensional .* holds 3-dimensional"):
        sets.similar("vs", [1.0, 0.0])


def test_other_quantization_on_an_existing_set_is_named(redis_client: redis.Redis):
    sets = VectorSets(redis_client)
    sets.add("vs", "a", [1.0, 0.0], "bin")
    with pytest.raises(ValueError, match="another quantization"):
        sets.add("vs", "b", [0.0, 1.0], "noquant")


def test_redis_7_has_no_vector_sets_and_the_error_says_what_to_use(redis7_server: RedisServer):
    sets = VectorSets(redis7_server.client())
    with pytest.raises(VectorSetsUnavailableError, match=r"Redis >= 8\.0.*RedisCache \(exact match\)"):
        sets.similar("vs", [1.0, 0.0])
