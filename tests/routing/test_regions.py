"""Deployments over several emulator "regions": load spreads by rpm / tpm, limits are kept before Bedrock throttles
(also across processes through Redis), and a region outage moves every request elsewhere with no failed call."""

from __future__ import annotations

import multiprocessing

import pytest
from langchain_core.runnables import RunnableLambda

from langchain_bedrock_routing.emulator import BedrockEmulator
from langchain_bedrock_routing.routing.chat_model import RoutedChatBedrock
from langchain_bedrock_routing.routing.decision import RouteDecision

from .conftest import billed_in, deployment, fixed

MICRO, LITE = "amazon.nova-micro-v1:0", "amazon.nova-lite-v1:0"


def by_first_word(messages) -> RouteDecision:
    """``simple ...`` / ``medium ...`` prompts go to that tier."""
    tier = str(messages[-1].content).split()[0]
    return RouteDecision(tier=tier, score=0.5, reason="first word", classifier="test")


def test_load_spreads_across_regions_in_proportion_to_rpm(regions):
    east, west = deployment(regions, "us-east-1", rpm=40), deployment(regions, "us-west-2", rpm=20)
    llm = RoutedChatBedrock(tiers={"simple": [east, west]}, classifier=fixed("simple"))
    for i in range(30):
        assert llm.invoke(f"question {i}").response_metadata["routing"]["limited"] == []
    served = billed_in(regions["us-east-1"]), billed_in(regions["us-west-2"])
    assert sum(served) == 30
    assert abs(served[0] - 2 * served[1]) <= 3, served


def test_load_spreads_across_regions_in_proportion_to_tpm(regions):
    east = deployment(regions, "us-east-1", tpm=300_000)
    west = deployment(regions, "us-west-2", tpm=100_000)
    llm = RoutedChatBedrock(tiers={"simple": [east, west]}, classifier=fixed("simple"), max_tokens=64)
    for i in range(40):
        llm.invoke(f"tell me about the number {i}")
    served = billed_in(regions["us-east-1"]), billed_in(regions["us-west-2"])
    assert sum(served) == 40
    assert abs(served[0] - 3 * served[1]) <= 4, served


def test_weights_spread_deployments_without_limits(regions):
    east, west = deployment(regions, "us-east-1", weight=1), deployment(regions, "eu-west-1", weight=3)
    llm = RoutedChatBedrock(tiers={"simple": [east, west]}, classifier=fixed("simple"))
    for i in range(20):
        llm.invoke(f"question {i}")
    assert (billed_in(regions["us-east-1"]), billed_in(regions["eu-west-1"])) == (5, 15)


@pytest.mark.parametrize("declared", [True, False])
def test_a_region_at_its_quota_is_avoided_before_bedrock_throttles(regions, declared):
    west = BedrockEmulator(latency_scale=0.0, rpm_quota=5).start()
    try:
        quota = {"rpm": 5} if declared else {}
        micro_west = {"model": MICRO, "region_name": "us-west-2", "endpoint_url": west.endpoint_url, **quota}
        tiers = {"simple": [micro_west], "medium": [deployment(regions, "us-east-1", LITE)]}
        llm = RoutedChatBedrock(tiers=tiers, classifier=fixed("simple"), cooldown_failures=100)
        routes = [llm.invoke(f"question {i}").response_metadata["routing"] for i in range(12)]
        throttled = [r for r in west.requests if r.error_code == "ThrottlingException"]
        assert billed_in(west) == 5
        assert billed_in(regions["us-east-1"]) == 7
        if declared:  # the router kept to the quota: Bedrock never had to refuse
            assert throttled == []
            assert [r["limited"] for r in routes[5:]] == [[f"{MICRO}@us-west-2"]] * 7
        else:  # without the declared rpm, each request past the quota was refused first, then fell back
            assert len(throttled) >= 7
    finally:
        west.stop()


@pytest.mark.parametrize("outage", ["errors", "stopped", "stalled"])
def test_a_region_outage_moves_all_traffic_with_no_failed_call(regions, outage):
    sick = BedrockEmulator(latency_scale=0.0 if outage != "stalled" else 100.0).start()
    try:

        def in_region(region: str, model: str) -> dict:
            emulator = sick if region == "us-east-1" else regions[region]
            return {"model": model, "region_name": region, "endpoint_url": emulator.endpoint_url}

        tiers = {
            "simple": [in_region("us-east-1", MICRO), in_region("us-west-2", MICRO)],
            "medium": [in_region("us-east-1", LITE), in_region("us-west-2", LITE)],
        }
        llm = RoutedChatBedrock(
            tiers=tiers, classifier=RunnableLambda(by_first_word), timeout=0.5, max_retries=0, escalate_on_failure=False
        )
        if outage == "errors":
            sick.set_faults(error_rate=1.0)
        elif outage == "stopped":
            sick.stop()
        routes = [
            llm.invoke(f"{tier} question {i}").response_metadata["routing"]
            for i in range(10)
            for tier in ("simple", "medium")
        ]
        failed = [a for r in routes for a in r["attempts"] if a["error"] is not None]
        assert all(r["deployment"].endswith("@us-west-2") for r in routes)
        assert len(failed) <= 2  # the region rests after cooldown_failures (2) failures, whatever the model
        assert all(a["deployment"].endswith("@us-east-1") for a in failed)
        assert billed_in(regions["us-west-2"]) == 20
    finally:
        sick.stop()


def _worker(redis_url: str, tiers: dict, calls: int, results) -> None:
    llm = RoutedChatBedrock(tiers=tiers, classifier=fixed("simple"), limits_redis_url=redis_url)
    results.put([llm.invoke(f"worker question {i}").response_metadata["routing"]["deployment"] for i in range(calls)])


def test_rpm_holds_across_four_worker_processes_through_redis(regions, redis_url):
    west = BedrockEmulator(latency_scale=0.0, rpm_quota=9).start()
    try:
        micro_west = {"model": MICRO, "region_name": "us-west-2", "endpoint_url": west.endpoint_url, "rpm": 9}
        tiers = {"simple": [micro_west], "medium": [deployment(regions, "us-east-1", LITE)]}
        context = multiprocessing.get_context("spawn")
        results = context.Queue()
        workers = [context.Process(target=_worker, args=(redis_url, tiers, 6, results)) for _ in range(4)]
        for worker in workers:
            worker.start()
        answered = [name for _ in workers for name in results.get(timeout=180)]
        for worker in workers:
            worker.join(timeout=60)
        assert [worker.exitcode for worker in workers] == [0, 0, 0, 0]
        assert len(answered) == 24
        assert answered.count(f"{MICRO}@us-west-2") == billed_in(west) == 9
        assert [r for r in west.requests if r.error_code == "ThrottlingException"] == []
        assert billed_in(regions["us-east-1"]) == 15
    finally:
        west.stop()


def test_throttling_rests_a_deployment_but_only_outages_rest_its_region():
    from langchain_bedrock_routing.routing.balance import Balancer
    from langchain_bedrock_routing.routing.fallback import Cooldown
    from langchain_bedrock_routing.routing.policy import Candidate
    from langchain_bedrock_routing.routing.targets import resolve_tiers

    def placed(model: str, region: str) -> dict:
        return {"model": model, "region_name": region, "endpoint_url": f"https://bedrock.{region}.example"}

    tiers = resolve_tiers(
        {"simple": [placed(MICRO, "us-east-1")], "medium": [placed(LITE, "us-east-1"), placed(LITE, "us-west-2")]}, None
    )
    micro_east, lite_east, lite_west = (*tiers["simple"], *tiers["medium"])
    balancer = Balancer(Cooldown(threshold=2, seconds=30))
    lites = [Candidate(lite_east, None, 0.0), Candidate(lite_west, None, 0.0)]

    def first_region() -> str:
        return balancer.order(lites)[0].target.key.split("@")[1]

    balancer.failed(micro_east, "ThrottlingException")
    balancer.failed(micro_east, "ThrottlingException")
    assert balancer.cooldown.cooling(micro_east.key)
    east_first = {first_region() for _ in range(40)}
    assert east_first == {"us-east-1", "us-west-2"}  # a throttled quota says nothing of the region: ties still split
    balancer.failed(micro_east, "ServiceUnavailableException")
    balancer.failed(micro_east, "ReadTimeoutError")
    assert {first_region() for _ in range(40)} == {"us-west-2"}  # the region rests: its other models go last
    balancer.succeeded(lite_east)
    assert {first_region() for _ in range(40)} == {"us-east-1", "us-west-2"}


def test_a_dead_limits_redis_never_fails_a_request(regions, own_redis_server):
    llm = RoutedChatBedrock(
        tiers={"simple": [deployment(regions, "us-east-1", rpm=2), deployment(regions, "us-west-2", rpm=2)]},
        classifier=fixed("simple"),
        limits_redis_url=own_redis_server.url,
    )
    assert llm.invoke("before").response_metadata["routing"]["limited"] == []
    own_redis_server.stop()
    routes = [llm.invoke(f"question {i}").response_metadata["routing"] for i in range(6)]
    assert all(r["deployment"] is not None for r in routes)
    assert billed_in(regions["us-east-1"]) + billed_in(regions["us-west-2"]) == 7
    # counted in process meanwhile (from zero): four calls fit, the last two were over both limits, called anyway
    assert [bool(r["limited"]) for r in routes] == [False] * 4 + [True] * 2
