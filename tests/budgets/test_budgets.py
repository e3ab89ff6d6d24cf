"""Budgets on RoutedChatBedrock against the emulator: refusal, cheaper routing near the limit, cache hits, windows,
settlement at the statistics' prices, and a budget Redis that is down (fail open or closed)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from langchain_core.globals import set_llm_cache

from langchain_bedrock_routing import (
    AllModelsFailedError,
    Budget,
    BudgetExceededError,
    BudgetUnavailableError,
    RedisCache,
    RequestRefusedError,
    RoutedChatBedrock,
    StreamInterruptedError,
    get_bedrock_stats_callback,
)
from langchain_bedrock_routing.routing.budget import window_bounds
from langchain_bedrock_routing.routing.budget_ledger import RedisLedger
from tests.routing.test_native_async import run_recorded

from .conftest import LONG, NOON, TIERS, Clock, Medium, medium


def router(clock: Clock, budgets: list[Budget] | None = None, **kwargs) -> RoutedChatBedrock:
    options = {"tiers": TIERS, "classifier": medium(), "max_tokens": 100, "budgets": budgets, "budget_clock": clock}
    return RoutedChatBedrock(**{**options, **kwargs})


def spend_until_refused(llm: RoutedChatBedrock, tenant: str | None = None, limit: int = 50) -> BudgetExceededError:
    for i in range(limit):
        try:
            llm.invoke(f"{i}: {LONG}", config={"metadata": {"tenant_id": tenant}})
        except BudgetExceededError as error:
            return error
    raise AssertionError(f"no refusal in {limit} calls")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"limit_usd": 0}, "limit_usd must be a positive number"),
        ({"limit_usd": float("nan")}, "limit_usd must be a positive number"),
        ({"window": "week"}, "unknown window 'week'; valid: day, month"),
        ({"per": "user"}, "per must be 'app' or 'tenant'"),
        ({"tenant": "acme"}, "tenant= needs per='tenant'"),
        ({"near": 1.5}, r"near must be in \(0, 1\]"),
    ],
)
def test_a_bad_budget_is_refused_naming_the_field(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Budget("b", **{"limit_usd": 1.0, **kwargs})


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"budgets": [Budget("b", 1.0), Budget("b", 2.0)]}, "budget names must be unique"),
        ({"budgets": [{"name": "b", "limit_usd": 1.0}]}, r"budgets must be Budget\(...\) objects"),
        ({"budgets": [], "budget_redis_url": "redis://localhost:6379"}, "budget_redis_url is set but budgets is empty"),
        ({"budgets": [Budget("b", 1.0)], "budget_redis_url": "http://x"}, "scheme 'http'"),
        ({"budgets": [Budget("b", 1.0)], "budget_on_redis_error": "maybe"}, "budget_on_redis_error"),
    ],
)
def test_bad_budget_settings_are_refused_at_construction(emulator, kwargs, message):
    with pytest.raises(ValueError, match=message):
        router(Clock(), **kwargs)


def test_windows_are_utc_calendar_days_and_months():
    at = datetime(2026, 12, 31, 23, 59, tzinfo=UTC).timestamp()
    assert window_bounds("day", at) == (datetime(2026, 12, 31, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
    assert window_bounds("month", at) == (datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
    assert window_bounds("month", NOON - 6 * 86400)[1] == datetime(2027, 1, 1, tzinfo=UTC)


def test_a_spent_budget_refuses_before_any_call_naming_budget_spend_and_reset(emulator, redis_url):
    llm = router(Clock(), [Budget("team-a", 0.02, per="tenant")], budget_redis_url=redis_url)
    error = spend_until_refused(llm, tenant="acme")
    calls = len(emulator.requests)
    with pytest.raises(BudgetExceededError) as again:
        llm.invoke("one more", config={"metadata": {"tenant_id": "acme"}})
    assert len(emulator.requests) == calls  # refused before Bedrock
    assert isinstance(error, RequestRefusedError)
    assert (error.budget, error.scope, error.limit_usd) == ("team-a", "tenant acme", 0.02)
    assert error.resets_at == again.value.resets_at == "2026-12-08T00:00:00Z"
    assert 0.0 < error.spent_usd <= 0.02
    assert f"budget 'team-a' (tenant acme) {'is spent' if error.request_usd is None else 'cannot cover'}" in str(error)
    assert str(again.value).startswith("budget 'team-a' (tenant acme) ")
    assert "resets at 2026-12-08T00:00:00Z" in str(error)
    [status] = llm.budget_guard.status("acme")
    assert status["spent_usd"] == pytest.approx(error.spent_usd)
    assert status["reserved_usd"] == 0
    assert llm.invoke("hi", config={"metadata": {"tenant_id": "globex"}}).text  # another tenant has its own budget
    assert llm.invoke("hi").text  # a request without a tenant is not under a per-tenant budget


def test_a_budget_spent_elsewhere_refuses_as_spent(emulator, redis_url, redis_client):
    clock = Clock()
    llm = router(clock, [Budget("app", 0.5)], budget_redis_url=redis_url)
    [slot] = llm.budget_guard.slots(None, clock())
    RedisLedger(redis_client).settle([slot.key], [slot.expires_at], "another-worker", 500_000_000, clock())  # $0.50
    with pytest.raises(BudgetExceededError) as refused:
        llm.invoke("hello")
    assert str(refused.value) == (
        "budget 'app' (app) is spent: $0.500000 of $0.500000 spent; it resets at 2026-12-08T00:00:00Z. "
        "Raise its limit_usd, lower max_tokens, or wait for the reset"
    )
    assert refused.value.request_usd is None
    assert emulator.requests == []


def test_spend_is_what_the_statistics_price_for_invoke_and_stream(emulator):
    llm = router(Clock(), [Budget("app", 10.0)], budget_clock=Clock(NOON - 86400 * 400))
    with get_bedrock_stats_callback() as stats:
        llm.invoke(LONG)
        "".join(chunk.text for chunk in llm.stream("Stream this: " + LONG))
    [status] = llm.budget_guard.status()
    assert stats.total_cost is not None
    assert stats.total_cost > 0
    assert status["spent_usd"] == pytest.approx(float(stats.total_cost), abs=2e-9)
    assert status["reserved_usd"] == 0


def test_a_stream_counts_toward_its_tenants_budget(emulator):
    """Regression: LangChain gives ``_stream`` no run manager, so the tenant must come from the call's config."""
    llm = router(Clock(), [Budget("team", 1.0, per="tenant")])
    with get_bedrock_stats_callback() as stats:
        text = "".join(c.text for c in llm.stream(LONG, config={"metadata": {"tenant_id": "acme"}}))
    assert text
    [status] = llm.budget_guard.status("acme")
    assert status["spent_usd"] == pytest.approx(float(stats.total_cost), abs=2e-9)
    assert status["spent_usd"] > 0


def test_a_tenant_id_that_is_not_a_string_is_refused(emulator):
    llm = router(Clock(), [Budget("team", 1.0, per="tenant")])
    with pytest.raises(ValueError, match=r'config\["metadata"\]\["tenant_id"\] must be a non-empty string'):
        llm.invoke("hello", config={"metadata": {"tenant_id": 42}})
    assert emulator.requests == []


def test_near_the_limit_calls_route_cheaper(emulator):
    llm = router(Clock(), [Budget("app", 0.05, near=0.2)])
    seen = []
    for i in range(6):
        routing = llm.invoke(f"{i}: {LONG}").response_metadata["routing"]
        seen.append((routing["priority"], routing["model_id"]))
    assert seen[0] == ("balanced", "global.anthropic.claude-sonnet-5")
    assert ("cost", "global.anthropic.claude-haiku-5-5") in seen
    assert seen.index(("cost", "global.anthropic.claude-haiku-5-5")) > 0
    assert llm.budget_guard.counts["cheaper"] >= 1


def test_when_only_cheaper_models_fit_what_is_left_they_answer(emulator):
    llm = router(Clock(), [Budget("app", 0.02, near=1.0)], escalate_on_failure=False)
    models = []

    def spend_all() -> None:
        for i in range(60):
            models.append(llm.invoke(f"{i}: {LONG}").response_metadata["routing"]["model_id"])

    with pytest.raises(BudgetExceededError) as refused:
        spend_all()
    assert models[0] == "global.anthropic.claude-sonnet-5"
    assert models[-1] == "global.anthropic.claude-haiku-5-5"  # the last dollars went to the model that still fit
    assert refused.value.request_usd is not None
    assert refused.value.request_usd > 0


def test_cache_hits_are_never_refused_nor_counted(emulator, redis_url):
    set_llm_cache(RedisCache(redis_url, ttl=600))
    llm = router(Clock(), [Budget("app", 0.01)], budget_redis_url=redis_url)
    first = llm.invoke(LONG)
    assert "cache" not in first.response_metadata
    spend_until_refused(llm)
    spent = llm.budget_guard.status()[0]["spent_usd"]
    calls = len(emulator.requests)
    hit = llm.invoke(LONG)
    streamed = list(llm.stream(LONG))
    assert hit.response_metadata["cache"]["hit"] is True
    assert hit.text == first.text
    assert "".join(c.text for c in streamed) == first.text
    assert len(emulator.requests) == calls
    assert llm.budget_guard.status()[0]["spent_usd"] == spent
    with pytest.raises(BudgetExceededError):
        llm.invoke(f"A question nobody asked before. {LONG}")


def test_a_new_window_starts_from_zero(emulator):
    clock = Clock()
    llm = router(clock, [Budget("daily", 0.01), Budget("monthly", 0.025, window="month")])
    assert spend_until_refused(llm).budget == "daily"
    for _day in range(3):  # each next UTC day has a fresh daily budget, until the month's runs out
        clock.now += 86400
        assert llm.invoke("hello").text
        refusal = spend_until_refused(llm)
        if refusal.budget == "monthly":
            break
    assert refusal.budget == "monthly"
    assert refusal.resets_at == "2027-01-01T00:00:00Z"
    clock.now = datetime(2027, 1, 1, tzinfo=UTC).timestamp()
    assert llm.invoke("hello").text


def test_redis_down_fails_open_by_default_logged_and_counted(emulator, own_redis_server, caplog):
    llm = router(Clock(), [Budget("app", 0.01)], budget_redis_url=own_redis_server.url)
    own_redis_server.stop()
    with caplog.at_level(logging.WARNING, logger="langchain_bedrock_routing.routing.budget"):
        assert llm.invoke("hello").text
        assert llm.invoke("hello again").text
    assert "budget ledger unreachable" in caplog.text
    assert "failing open" in caplog.text
    counts = llm.budget_guard.counts
    assert counts["ledger_errors"] == 1
    assert counts["unchecked"] == 2  # the second call did not wait on Redis
    assert counts["unrecorded"] == 0  # neither call held anything to settle


def test_redis_down_fails_closed_when_asked(emulator, own_redis_server):
    llm = router(Clock(), [Budget("app", 0.01)], budget_redis_url=own_redis_server.url, budget_on_redis_error="closed")
    own_redis_server.stop()
    with pytest.raises(BudgetUnavailableError, match="budget_on_redis_error='closed'"):
        llm.invoke("hello")
    assert emulator.requests == []
    assert llm.budget_guard.counts["ledger_errors"] == 1


def test_a_failed_call_releases_its_reservation(emulator):
    llm = router(Clock(), [Budget("app", 1.0)], escalate_on_failure=False)
    emulator.set_faults(fail_models=["global.anthropic.claude-sonnet-5"])
    with pytest.raises(AllModelsFailedError):
        llm.invoke("hello")
    assert llm.budget_guard.status() == [
        {
            "budget": "app",
            "scope": "app",
            "window": "day",
            "spent_usd": 0.0,
            "reserved_usd": 0.0,
            "limit_usd": 1.0,
            "resets_at": "2026-12-08T00:00:00Z",
        }
    ]


async def test_async_calls_are_held_to_the_budget_too(emulator):
    llm = router(Clock(), [Budget("team", 0.01, per="tenant")])
    config = {"metadata": {"tenant_id": "acme"}}

    async def spend_all() -> None:
        for i in range(50):
            await llm.ainvoke(f"{i}: {LONG}", config=config)

    with pytest.raises(BudgetExceededError, match="tenant acme"):
        await spend_all()
    chunks = [c async for c in llm.astream("hello", config={"metadata": {"tenant_id": "globex"}})]
    assert "".join(c.text for c in chunks)
    [acme] = llm.budget_guard.status("acme")
    [globex] = llm.budget_guard.status("globex")
    assert 0 < acme["spent_usd"] <= 0.01
    assert 0 < globex["spent_usd"] < acme["spent_usd"]


def test_a_stream_cut_after_output_is_charged_its_reservation(emulator):
    llm = router(Clock(), [Budget("app", 1.0)], escalate_on_failure=False)
    sonnet = "global.anthropic.claude-sonnet-5"
    emulator.set_faults(stream_error="modelStreamErrorException", stream_error_after=2, stream_error_models=[sonnet])
    received = []
    with pytest.raises(StreamInterruptedError):
        received.extend(llm.stream(LONG))  # keeps the chunks that arrived before the error
    assert received  # output reached the caller, then the stream broke without reporting usage
    [status] = llm.budget_guard.status()
    expected = (llm.get_num_tokens(LONG) * 2.0 + 100 * 10.0) / 1_000_000  # Sonnet 5: $2 / $10 per million tokens
    assert status["spent_usd"] == pytest.approx(expected, rel=0.05)
    assert status["reserved_usd"] == 0


def _commands(redis_client, name: str) -> int:
    return int(redis_client.info("commandstats").get(f"cmdstat_{name}", {}).get("calls", 0))


def test_far_from_its_limits_a_call_costs_two_redis_round_trips(emulator, redis_url, redis_client):
    llm = router(Clock(), [Budget("app", 10.0), Budget("team", 5.0, per="tenant")], budget_redis_url=redis_url)
    llm.budget_guard.view_s = 3600.0  # the view stays fresh however slow this machine is
    acme = {"metadata": {"tenant_id": "acme"}}
    llm.invoke("question 0", config=acme)  # reads both budgets (one pipeline) and loads the two scripts
    redis_client.config_resetstat()
    for i in range(1, 6):
        llm.invoke(f"question {i}", config=acme)
    assert _commands(redis_client, "hmget") == 0  # the figures seen at the last settlement stood in for a read
    assert _commands(redis_client, "evalsha") == 10  # reserve + settle per call


def test_a_stale_view_is_read_again_before_a_refusal(emulator, redis_url, redis_client):
    """Another worker spent most of the budget after this router's last look: the reservation planned on the old
    figures is refused by Redis, and the call is planned again on the figures read then (a cheaper model fits)."""
    clock = Clock()
    llm = router(clock, [Budget("app", 0.05)], budget_redis_url=redis_url, escalate_on_failure=False)
    llm.budget_guard.view_s = 3600.0
    assert llm.invoke(LONG).response_metadata["routing"]["model_id"] == "global.anthropic.claude-sonnet-5"
    [slot] = llm.budget_guard.slots(None, clock())
    [(spent, _)] = RedisLedger(redis_client).read([slot.key], clock())
    other = slot.limit - spent - 1_000_000  # another worker leaves $0.001: below Sonnet's estimate, above Haiku's
    RedisLedger(redis_client).settle([slot.key], [slot.expires_at], "other-worker", other, clock())
    reply = llm.invoke(f"Again: {LONG}")
    assert reply.response_metadata["routing"]["model_id"] == "global.anthropic.claude-haiku-5-5"
    [status] = llm.budget_guard.status()
    assert status["spent_usd"] <= 0.05
    assert status["reserved_usd"] == 0


def test_async_calls_reserve_and_settle_in_redis_on_the_loop(emulator, redis_url, redis_client):
    budgets = [Budget("app", 10.0), Budget("team", 5.0, per="tenant")]
    llm = router(Clock(), budgets, budget_redis_url=redis_url, classifier=Medium())
    llm.budget_guard.view_s = 3600.0  # the view stays fresh however slow this machine is
    acme = {"metadata": {"tenant_id": "acme"}}

    async def calls() -> None:
        await llm.ainvoke(LONG, config=acme)
        "".join([chunk.text async for chunk in llm.astream("Stream this: " + LONG, config=acme)])
        await llm.budget_guard.ledger.connection.aclose()

    with get_bedrock_stats_callback() as stats:
        llm.invoke("question 0", config=acme)  # reads both budgets and loads the two scripts
        redis_client.config_resetstat()
        _, used = run_recorded(calls)
    assert used == []
    assert _commands(redis_client, "hmget") == 0  # the figures seen at the last settlement stood in for a read
    assert _commands(redis_client, "evalsha") == 4  # reserve + settle per call
    app, team = llm.budget_guard.status("acme")
    assert stats.total_cost is not None
    assert app["spent_usd"] == team["spent_usd"] == pytest.approx(float(stats.total_cost), abs=2e-9)
    assert app["reserved_usd"] == team["reserved_usd"] == 0
    assert llm.budget_guard.counts == {**llm.budget_guard.counts, "checked": 3, "ledger_errors": 0, "unchecked": 0}


def test_async_calls_are_refused_by_a_budget_spent_in_redis(emulator, redis_url):
    llm = router(Clock(), [Budget("team-a", 0.02, per="tenant")], budget_redis_url=redis_url, classifier=Medium())
    sync_error = spend_until_refused(llm, tenant="acme")
    calls = len(emulator.requests)

    async def refused() -> BudgetExceededError:
        with pytest.raises(BudgetExceededError) as error:
            await llm.ainvoke("one more", config={"metadata": {"tenant_id": "acme"}})
        return error.value

    error, used = run_recorded(refused)
    assert used == []
    assert len(emulator.requests) == calls  # refused before Bedrock
    assert (error.budget, error.scope, error.resets_at) == (sync_error.budget, sync_error.scope, sync_error.resets_at)
    assert error.spent_usd == pytest.approx(llm.budget_guard.status("acme")[0]["spent_usd"])


@pytest.mark.parametrize("on_error", ["open", "closed"])
def test_async_calls_fail_open_or_closed_as_sync_ones_when_redis_is_down(emulator, own_redis_server, on_error):
    llm = router(
        Clock(),
        [Budget("app", 0.01)],
        budget_redis_url=own_redis_server.url,
        budget_on_redis_error=on_error,
        classifier=Medium(),
    )
    own_redis_server.stop()

    async def two() -> list[str]:
        answers = []
        for prompt in ("hello", "hello again"):
            try:
                answers.append((await llm.ainvoke(prompt)).text)
            except BudgetUnavailableError as error:
                answers.append(type(error).__name__)
        return answers

    answers, used = run_recorded(two)
    assert used == []
    counts = llm.budget_guard.counts
    assert counts["ledger_errors"] == 1  # the second call did not wait on Redis
    if on_error == "open":
        assert all(answers)
        assert "BudgetUnavailableError" not in answers
        assert counts["unchecked"] == 2
    else:
        assert answers == ["BudgetUnavailableError"] * 2
        assert emulator.requests == []
