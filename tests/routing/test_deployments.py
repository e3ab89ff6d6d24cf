"""Deployments as tier members: validation, one client per connection, naming in metadata and stats, cache key."""

from __future__ import annotations

import pytest
from langchain_core.caches import InMemoryCache

from langchain_bedrock_routing.callbacks import BedrockStatsCallbackHandler
from langchain_bedrock_routing.routing.chat_model import RoutedChatBedrock

from .conftest import billed_in, deployment, fixed

MICRO = "amazon.nova-micro-v1:0"


def router(tiers, **kwargs) -> RoutedChatBedrock:
    return RoutedChatBedrock(tiers=tiers, classifier=fixed("simple"), **kwargs)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"model": MICRO, "rpms": 10}, "unknown key 'rpms'.*did you mean rpm.*valid keys: api_key, aws_access_key_id"),
        ({"region_name": "us-east-1"}, "needs 'model'"),
        ({"model": MICRO, "rpm": 0}, "rpm of deployment .* must be an int >= 1"),
        ({"model": MICRO, "tpm": True}, "tpm of deployment .* must be an int >= 1"),
        ({"model": MICRO, "weight": -1}, "weight of deployment .* must be a finite number > 0"),
        ({"model": MICRO, "region_name": "us-est-1"}, "unknown AWS region 'us-est-1'"),
        ({"model": "amazon.nova-nano-v9:0"}, "unknown model id 'amazon.nova-nano-v9:0'"),
        ({"model": MICRO, "endpoint_url": 5}, "endpoint_url of deployment .* must be a string"),
        ({"model": MICRO, "base_url": "http://a", "endpoint_url": "http://b"}, "gives endpoint_url twice"),
    ],
)
def test_a_bad_deployment_is_refused_naming_the_problem(entry, message):
    with pytest.raises(ValueError, match=message):
        router({"simple": [entry]})


def test_two_deployments_of_one_name_are_refused():
    two_accounts = [
        {"model": MICRO, "region_name": "us-east-1", "credentials_profile_name": "team-a"},
        {"model": MICRO, "region_name": "us-east-1", "credentials_profile_name": "team-b"},
    ]
    with pytest.raises(ValueError, match=r"two deployments are named 'amazon\.nova-micro-v1:0@us-east-1'.*'name'"):
        router({"simple": two_accounts})
    named = router({"simple": [{**two_accounts[0], "name": "a"}, {**two_accounts[1], "name": "b"}]})
    assert [t.key for t in named._targets["simple"]] == ["a", "b"]


def test_secrets_of_a_deployment_stay_out_of_repr_and_errors():
    llm = router({"simple": [{"model": MICRO, "aws_secret_access_key": "s3cr3t-value", "aws_access_key_id": "AKIA1"}]})
    assert "s3cr3t-value" not in repr(llm)
    with pytest.raises(ValueError, match="rpm of deployment") as info:
        router({"simple": [{"model": MICRO, "aws_secret_access_key": "s3cr3t-value", "rpm": -1}]})
    assert "s3cr3t-value" not in str(info.value)


def test_each_deployment_is_called_on_its_own_endpoint_and_named(regions):
    llm = router({"simple": [deployment(regions, "us-west-2")]}, **regions["us-east-1"].client_kwargs())
    routing = llm.invoke("hello").response_metadata["routing"]
    assert routing["deployment"] == f"{MICRO}@us-west-2"
    assert routing["model_id"] == MICRO
    assert routing["attempts"] == [
        {"model_id": MICRO, "tier": "simple", "error": None, "deployment": f"{MICRO}@us-west-2"}
    ]
    assert (billed_in(regions["us-west-2"]), billed_in(regions["us-east-1"])) == (1, 0)


def test_a_deployment_without_a_region_takes_the_routers(regions):
    east = regions["us-east-1"]
    llm = router({"simple": [{"model": MICRO, "rpm": 100}]}, **east.client_kwargs())
    assert llm.invoke("hello").response_metadata["routing"]["deployment"] == f"{MICRO}@us-east-1"
    assert billed_in(east) == 1


def test_deployments_of_one_connection_share_a_client_and_others_do_not(regions):
    west = deployment(regions, "us-west-2")
    llm = router(
        {"simple": [west, {**west, "model": "amazon.nova-lite-v1:0"}, deployment(regions, "eu-west-1")]},
        **regions["us-east-1"].client_kwargs(),
    )
    targets = llm._targets["simple"]
    clients = [llm._pool.get(target).client for target in targets]
    assert clients[0] is clients[1]
    assert clients[0] is not clients[2]
    assert llm._pool.get(targets[0]) is llm._pool.get(targets[0])  # built once, reused
    assert clients[2].meta.region_name == "eu-west-1"


def test_same_model_deployments_share_the_cache_key(regions):
    cache = InMemoryCache()
    one_region = router({"simple": [deployment(regions, "us-east-1")]}, cache=cache)
    two_regions = router(
        {"simple": [deployment(regions, "us-east-1"), deployment(regions, "us-west-2", rpm=5)]}, cache=cache
    )
    plain = router({"simple": [MICRO]}, cache=cache, **regions["eu-west-1"].client_kwargs())
    assert one_region._get_llm_string() == two_regions._get_llm_string() == plain._get_llm_string()
    first = two_regions.invoke("What is the capital of France?")
    again = plain.invoke("What is the capital of France?")
    assert again.content == first.content
    assert sum(billed_in(e) for e in regions.values()) == 1


def test_the_stats_handler_counts_fresh_answers_by_deployment(regions):
    stats = BedrockStatsCallbackHandler()
    llm = router(
        {"simple": [deployment(regions, "us-east-1", rpm=2), deployment(regions, "us-west-2", rpm=2)]},
        callbacks=[stats],
    )
    for question in ("one?", "two?", "three?", "four?"):
        llm.invoke(question)
    deployments = stats.to_dict()["deployments"]
    assert {name: d["requests"] for name, d in deployments.items()} == {
        f"{MICRO}@us-east-1": 2,
        f"{MICRO}@us-west-2": 2,
    }
    assert all(d["api_calls"] == 2 and d["tokens"]["input"] > 0 for d in deployments.values())


def test_a_pinned_model_runs_on_its_configured_deployments(regions):
    llm = router(
        {"simple": [MICRO], "medium": [deployment(regions, "us-west-2", "amazon.nova-lite-v1:0")]},
        **regions["us-east-1"].client_kwargs(),
    )
    routing = llm.invoke("hello", model="amazon.nova-lite-v1:0").response_metadata["routing"]
    assert routing["deployment"] == "amazon.nova-lite-v1:0@us-west-2"
    assert (billed_in(regions["us-west-2"]), billed_in(regions["us-east-1"])) == (1, 0)


def test_a_stream_names_its_deployment_and_counts_its_real_tokens(regions):
    llm = router({"simple": [deployment(regions, "us-west-2", tpm=100_000)]}, max_tokens=300)
    chunks = list(llm.stream("Tell me a short story."))
    routing = chunks[-1].response_metadata["routing"]
    assert routing["deployment"] == f"{MICRO}@us-west-2"
    usage = sum(chunks[1:], chunks[0]).usage_metadata
    assert usage is not None
    assert llm._balancer.limits.usage(f"{MICRO}@us-west-2").tokens == usage["total_tokens"]  # the estimate, corrected


async def test_async_calls_go_through_deployments(regions):
    llm = router({"simple": [deployment(regions, "eu-west-1")]})
    reply = await llm.ainvoke("hello")
    assert reply.response_metadata["routing"]["deployment"] == f"{MICRO}@eu-west-1"
    assert billed_in(regions["eu-west-1"]) == 1


async def test_an_async_stream_over_deployments_counts_its_real_tokens(regions):
    llm = router({"simple": [deployment(regions, "us-west-2", tpm=100_000)]}, max_tokens=300)
    chunks = [chunk async for chunk in llm.astream("Tell me a short story.")]
    assert chunks[-1].response_metadata["routing"]["deployment"] == f"{MICRO}@us-west-2"
    usage = sum(chunks[1:], chunks[0]).usage_metadata
    assert usage is not None
    assert llm._balancer.limits.usage(f"{MICRO}@us-west-2").tokens == usage["total_tokens"]
    assert billed_in(regions["us-west-2"]) == 1
