"""``RoutedChatBedrock``: one LangChain chat model that sends each request to the right Bedrock model."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from typing import Any, Literal

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.language_models.base import LangSmithParams
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable, RunnableConfig, ensure_config
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from langchain_core.utils.utils import secret_from_env
from pydantic import ConfigDict, Field, PrivateAttr, SecretStr, SkipValidation, model_validator
from typing_extensions import Self

from langchain_bedrock_routing.catalog import TIERS, Tier
from langchain_bedrock_routing.core import stream_cache
from langchain_bedrock_routing.core.async_bedrock import AsyncBedrock
from langchain_bedrock_routing.core.closing import aclose_parts
from langchain_bedrock_routing.core.routing_metadata import PRIORITIES, Priority, RoutingMetadata
from langchain_bedrock_routing.routing import async_route, chunks
from langchain_bedrock_routing.routing.arguments import accepted_keywords, check_keywords, check_region
from langchain_bedrock_routing.routing.attempts import RouteRun
from langchain_bedrock_routing.routing.balance import Balancer
from langchain_bedrock_routing.routing.budget import Budget, BudgetGuard, Spend, aspending, make_guard, spending
from langchain_bedrock_routing.routing.budget_ledger import Steps
from langchain_bedrock_routing.routing.classifiers import StickyClassifier, resolve_classifier
from langchain_bedrock_routing.routing.classifiers.registry import ClassifierSpec
from langchain_bedrock_routing.routing.classify import aclassify_request, classify_request
from langchain_bedrock_routing.routing.deadline import DEFAULT_DEADLINE, Deadline
from langchain_bedrock_routing.routing.decision import RouteDecision
from langchain_bedrock_routing.routing.delegates import DelegatePool, DelegateSettings
from langchain_bedrock_routing.routing.deployments import hide_secrets
from langchain_bedrock_routing.routing.fallback import Cooldown
from langchain_bedrock_routing.routing.limits import make_limits
from langchain_bedrock_routing.routing.observer import AnswerObserver
from langchain_bedrock_routing.routing.params import RULES, check_number
from langchain_bedrock_routing.routing.policy import Plan, plan_route, validate_priority
from langchain_bedrock_routing.routing.profile import tiers_profile
from langchain_bedrock_routing.routing.prompt_cache import PROMPT_CACHE_MODES, PromptCacheMode
from langchain_bedrock_routing.routing.request import RequestProfile, validate_cost_cap
from langchain_bedrock_routing.routing.screen import Screened, held, holding, screen_request
from langchain_bedrock_routing.routing.targets import Target, TierMember, resolve_tiers
from langchain_bedrock_routing.routing.tokens import count_tokens

_CONFIGURABLE = "routing_configurable"
"""Call keyword carrying ``config["configurable"]`` to the classifier; kept out of the cache key."""
_TENANT = "routing_tenant"
"""Call keyword carrying ``config["metadata"]["tenant_id"]`` to the budgets (LangChain gives ``_stream`` no run
manager); kept out of the cache key."""
_ROUTER_KWARGS = frozenset({"priority", "model", "tools", "tool_choice", "deadline", _CONFIGURABLE, _TENANT})


class RoutedChatBedrock(BaseChatModel):
    """A chat model that classifies each request and sends it to a Bedrock model of the matching tier.

    ``tiers`` maps ``simple``/``medium``/``complex`` to ordered model ids or prompt-router ARNs (first is
    primary, the rest same-tier fallbacks); ``preset`` (``claude``, ``claude-3``, ``nova``; default
    ``claude``) fills tiers not given. ``priority`` (``cost``/``balanced``/``performance``/``latency``, also
    per call via ``config={"configurable": {"priority": ...}}``) shifts and orders candidates (see
    :mod:`~langchain_bedrock_routing.routing.policy`). ``model=`` on a call pins one catalog model; the constructor
    takes no ``model=`` and refuses any unknown keyword or region (see :mod:`.arguments`). Named classifiers that
    call Bedrock (``llm``, ``cascade``, ``trained:`` over Titan) use the router's endpoint, region and credentials.

    Each tier target is a ``ChatBedrockConverse`` delegate (built lazily, reused, ``cache=False``, botocore
    retries set to ``max_retries`` so fallback is quick). Throttling, unavailable, not-ready, timeouts and
    5xx move to the next candidate (then the next tier up when ``escalate_on_failure``); a model failing
    ``cooldown_failures`` times in a row rests ``cooldown_seconds``. Other errors raise
    :class:`ModelCallError` naming the model. A stream falls back only until its first chunk with output; an error
    after that raises :class:`StreamInterruptedError` (nothing cached). Every result carries
    ``response_metadata["routing"]``.

    A tier member may be a deployment dict (``{"model": ..., "region_name": ..., "endpoint_url": ..., "rpm": 600,
    "tpm": 400000}``; see :mod:`.deployments`): same-model deployments share the load least busy first, a call that
    would pass a deployment's ``rpm`` / ``tpm`` goes elsewhere first (windows shared through ``limits_redis_url``),
    and a region that keeps failing rests with all its deployments (see :mod:`.balance`).

    ``prompt_cache="auto"`` passes ``cache_control`` to the delegate only when the stable prefix (system
    messages, tool schemas, earlier turns; estimated) reaches the chosen model's ``cache_min_tokens``
    from the catalog; ``"off"`` (default) never does.

    ``budgets`` (:class:`~.budget.Budget`) cap spend per app or per tenant (``config["metadata"]["tenant_id"]``) per
    UTC day or month, shared across processes through ``budget_redis_url``: near a limit calls route with
    ``priority="cost"``, a spent budget refuses with :class:`BudgetExceededError` before any call; cache hits never
    count (see :mod:`.budget`).

    ``.profile`` is what every configured model can do (capabilities ANDed, token limits minimised; see
    :mod:`.profile`); ``get_num_tokens*`` uses Bedrock CountTokens where the default tier's primary model serves it,
    else the catalog estimate (see :mod:`.tokens`).

    ``ainvoke``/``astream``/``abatch`` are native async (see :mod:`.async_route`): the same request, fallback,
    cooldown and deadline as the sync path, sent over a pooled HTTP client on the event loop, no thread per call.
    Close it with ``await router.aclose()`` or ``async with RoutedChatBedrock(...) as router:``.
    """

    model_config = ConfigDict(populate_by_name=True, arbitrary_types_allowed=True)

    tiers: Mapping[str, Sequence[TierMember] | TierMember] | None = None
    """Tier -> ordered model ids / prompt-router ARNs / deployment dicts (see :mod:`.deployments`); overrides
    ``preset`` tier by tier."""
    preset: str | None = None
    """A ``routing/presets.json`` preset (``claude``: Haiku 5.5 / Sonnet 5 / Opus 5, ``nova`` ...); default claude."""
    priority: Priority = "balanced"
    """Default priority: ``cost``, ``balanced``, ``performance`` or ``latency``."""
    classifier: SkipValidation[ClassifierSpec] = "heuristic"
    """``heuristic``, ``llm``, ``embedding``, ``cascade``, or a ``Runnable`` from messages to :class:`RouteDecision`."""
    sticky: bool = False
    """Keep a conversation on the highest tier it reached (see :class:`StickyClassifier`) instead of bouncing down."""
    prompt_cache: PromptCacheMode = "off"
    """``"auto"`` adds Bedrock prompt-cache points when the stable prefix is cacheable; ``"off"`` never."""
    max_cost_per_request: float | None = None
    """Cap (USD, estimated from catalog prices) on one request; pricier or unpriced models are skipped."""
    escalate_on_failure: bool = True
    """After a tier's candidates fail (throttled, unavailable ...), try the tiers above it."""
    cooldown_failures: int = 2
    """Consecutive retryable failures after which a model rests."""
    cooldown_seconds: float = 30.0
    """How long a failing model rests (tried only after every healthy candidate)."""
    output_tokens_estimate: int = 512
    """Reply length assumed for cost/latency estimates when ``max_tokens`` is unset."""
    limits_redis_url: str | None = None
    """Redis that shares deployments' rpm / tpm windows across processes (default: counted in process)."""
    budgets: SkipValidation[list[Budget] | None] = None
    """Spend limits per app or tenant over a UTC day or month (see :mod:`.budget`); cache hits never count."""
    budget_redis_url: str | None = Field(default=None, exclude=True)
    """Redis holding the budgets' spend, shared by every process using it; unset: counted in this process."""
    budget_on_redis_error: Literal["open", "closed"] = "open"
    """When the budget Redis is unreachable: ``"open"`` lets calls through uncounted (logged, counted), ``"closed"``
    refuses them with ``BudgetUnavailableError``."""
    budget_clock: Callable[[], float] | None = Field(default=None, exclude=True)
    """Unix seconds for budget windows (default ``time.time``)."""
    shadow: SkipValidation[AnswerObserver | None] = Field(default=None, exclude=True)
    """A ``learning.ShadowJudge``: a sampled share of cheaper-tier answers is answered again by the strongest tier
    and graded by a judge model, after the call returns, and the verdict recorded (see docs/learning.md)."""

    region_name: str | None = None
    endpoint_url: str | None = Field(default=None, alias="base_url")
    credentials_profile_name: str | None = Field(default=None, exclude=True)
    aws_access_key_id: SecretStr | None = Field(default=None, exclude=True)
    aws_secret_access_key: SecretStr | None = Field(default=None, exclude=True)
    aws_session_token: SecretStr | None = Field(default=None, exclude=True)
    bedrock_api_key: SecretStr | None = Field(
        default_factory=secret_from_env("AWS_BEARER_TOKEN_BEDROCK", default=None), alias="api_key", exclude=True
    )
    config: Any = Field(default=None, exclude=True)
    """A botocore ``Config`` for the shared client; default: ``max_retries`` standard-mode retries."""
    timeout: float | None = None
    """Read timeout of one HTTP try in seconds (default 60; when ``config`` is not given); connecting times out
    after 5 s."""
    deadline: float = DEFAULT_DEADLINE
    """Seconds a call may wait for an answer across every candidate (default 120; per call: ``deadline=``): each
    attempt's timeouts are cut to the time left and no candidate starts after it, then ``AllModelsFailedError``."""
    max_retries: int = 1
    """botocore retries of a request (standard mode; when ``config`` is not given): a model try is up to
    ``max_retries + 1`` HTTP requests before the router falls back."""
    client: Any = Field(default=None, exclude=True)
    """A boto3 ``bedrock-runtime`` client to share with every delegate."""

    temperature: float | None = None
    max_tokens: int | None = None
    top_p: float | None = None
    stop: list[str] | None = Field(default=None, alias="stop_sequences")
    streaming: bool = False
    delegate_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Further ``ChatBedrockConverse`` fields for every delegate (``guardrails``, ``performance_config`` ...)."""

    _targets: dict[Tier, tuple[Target, ...]] = PrivateAttr(default_factory=dict)
    _classifier: Runnable[Any, RouteDecision] = PrivateAttr()
    _pool: DelegatePool = PrivateAttr()
    _balancer: Balancer = PrivateAttr()
    _budget: BudgetGuard | None = PrivateAttr(default=None)
    _bedrock: AsyncBedrock = PrivateAttr(default_factory=AsyncBedrock)

    @model_validator(mode="before")
    @classmethod
    def _check_inputs(cls, data: Any) -> Any:
        """Refuse an unknown keyword (``model=``, a typo: see :mod:`.arguments`), an unknown region, a bool, NaN,
        infinity or out-of-range value of a numeric setting before pydantic coerces it, and an unknown priority or
        prompt-cache mode, with a message naming the valid ones."""
        if isinstance(data, Mapping):
            check_keywords(data, accepted_keywords(cls.model_fields))
            check_region(data.get("region_name"))
            if "tiers" in data:
                data = {**data, "tiers": hide_secrets(data["tiers"])}
            for name in RULES:
                if name in data:
                    check_number(name, data[name])
            if "priority" in data:
                validate_priority(data["priority"])
            if "prompt_cache" in data and data["prompt_cache"] not in PROMPT_CACHE_MODES:
                raise ValueError(
                    f"unknown prompt_cache {data['prompt_cache']!r}; valid: {', '.join(PROMPT_CACHE_MODES)}"
                )
        return data

    @model_validator(mode="after")
    def _configure(self) -> Self:
        validate_cost_cap(self.max_cost_per_request)
        self._targets = resolve_tiers(self.tiers, self.preset, default_region=self.region_name)
        self._balancer = Balancer(
            Cooldown(self.cooldown_failures, self.cooldown_seconds),
            make_limits(self.limits_redis_url),
            self.output_tokens_estimate,
        )
        self._pool = DelegatePool(
            DelegateSettings(
                region_name=self.region_name,
                endpoint_url=self.endpoint_url,
                credentials_profile_name=self.credentials_profile_name,
                aws_access_key_id=self.aws_access_key_id,
                aws_secret_access_key=self.aws_secret_access_key,
                aws_session_token=self.aws_session_token,
                api_key=self.bedrock_api_key,
                config=self.config,
                timeout=self.timeout,
                max_retries=self.max_retries,
                temperature=self.temperature,
                max_tokens=self.max_tokens,
                top_p=self.top_p,
                stop=self.stop,
                client=self.client,
                extra=dict(self.delegate_kwargs),
            )
        )
        self._classifier = resolve_classifier(self.classifier, client_factory=self._pool.runtime_client)
        if self.sticky:
            self._classifier = StickyClassifier(classifier=self._classifier)
        if self.profile is None:
            self.profile = tiers_profile(self._targets)
        self._budget = make_guard(
            self.budgets,
            self.budget_redis_url,
            on_redis_error=self.budget_on_redis_error,
            clock=self.budget_clock,
            lease_s=self.deadline + 60.0,
        )
        if self.shadow is not None:
            self.callbacks = self.shadow.attach(self, self.callbacks)
        return self

    @property
    def _llm_type(self) -> str:
        return "routed-chat-bedrock"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        """Everything that changes answers; part of LangChain's cache key (``llm_string``)."""
        classifier = self.classifier if isinstance(self.classifier, str) else repr(self._classifier)
        return {
            "tiers": {tier: list(dict.fromkeys(t.model_id for t in ts)) for tier, ts in self._targets.items()},
            "priority": self.priority,
            "classifier": classifier,
            "sticky": self.sticky,
            "prompt_cache": self.prompt_cache,
            "max_cost_per_request": self.max_cost_per_request,
            "escalate_on_failure": self.escalate_on_failure,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "top_p": self.top_p,
            "stop": self.stop,
            "delegate_kwargs": self.delegate_kwargs,
        }

    def _get_llm_string(self, stop: list[str] | None = None, **kwargs: Any) -> str:
        kwargs.pop(_CONFIGURABLE, None)
        kwargs.pop(_TENANT, None)
        kwargs.pop("deadline", None)
        return super()._get_llm_string(stop=stop, **kwargs)

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        """LangSmith params: a pinned ``model=`` when given, else the default tier's primary model.

        The model that actually answered is ``response_metadata["model_name"]`` (and ``["routing"]``).
        """
        pinned = kwargs.get("model")
        params = LangSmithParams(
            ls_provider="amazon_bedrock",
            ls_model_name=pinned if isinstance(pinned, str) else self._primary_model(),
            ls_model_type="chat",
        )
        temperature = kwargs.get("temperature", self.temperature)
        if isinstance(temperature, (int, float)):
            params["ls_temperature"] = temperature
        max_tokens = kwargs.get("max_tokens", self.max_tokens)
        if isinstance(max_tokens, int):
            params["ls_max_tokens"] = max_tokens
        if stop or self.stop:
            params["ls_stop"] = stop or self.stop
        return params

    def _primary_model(self) -> str:
        return self._primary_target().model_id

    def _primary_target(self) -> Target:
        """The default tier's primary target: medium's first, else the first configured tier's."""
        tier = "medium" if "medium" in self._targets else next(t for t in TIERS if t in self._targets)
        return self._targets[tier][0]

    async def aclose(self) -> None:
        """Close the async connections of the running event loop: Bedrock's, the classifier's, and the limits' and
        budgets' Redis clients (the router stays usable)."""
        await aclose_parts(self._bedrock, self._classifier, self._balancer.limits, self._budget)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # -- public helpers -------------------------------------------------------------------------------

    @property
    def budget_guard(self) -> BudgetGuard | None:
        """The budgets' guard (``.status(tenant)``: spend per budget; ``.counts``); ``None`` without ``budgets``."""
        return self._budget

    def classify(self, messages_or_text: LanguageModelInput, config: RunnableConfig | None = None) -> RouteDecision:
        """The classifier's decision for a prompt (str, messages or PromptValue), without calling a model."""
        return self._classifier.invoke(self._convert_input(messages_or_text).to_messages(), config)

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: dict[str, Any] | str | bool | None = None,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools for every call: only tool-capable models are candidates; each delegate formats them.

        ``tool_choice``: ``"auto"``, ``"any"`` (or ``True``), a tool name or a Converse ``toolChoice`` dict.
        """
        formatted = [convert_to_openai_tool(tool, strict=strict) for tool in tools]
        choice = "any" if tool_choice is True else (tool_choice or None)
        return self.bind(tools=formatted, tool_choice=choice, **kwargs)

    def get_num_tokens_from_messages(self, messages: list[BaseMessage], tools: Sequence[Any] | None = None) -> int:
        """Input tokens of ``messages`` (and ``tools``) for the default tier's primary model: Bedrock CountTokens
        where that model serves it, else the catalog estimate (see :mod:`.tokens`)."""
        target = self._primary_target()
        return count_tokens(self._pool.get(target).client, target, messages, tools)

    def get_num_tokens(self, text: str) -> int:
        """Input tokens of ``text`` as one user turn (0 for empty text); see :meth:`get_num_tokens_from_messages`."""
        return self.get_num_tokens_from_messages([HumanMessage(content=text)]) if text else 0

    # -- per-call priority from the run config -------------------------------------------------------

    def invoke(
        self,
        input: LanguageModelInput,
        config: RunnableConfig | None = None,
        *,
        stop: list[str] | None = None,
        **kwargs: Any,
    ) -> AIMessage:
        return super().invoke(input, config, stop=stop, **_with_config(config, kwargs))

    async def ainvoke(
        self,
        input: LanguageModelInput,
        config: RunnableConfig | None = None,
        *,
        stop: list[str] | None = None,
        **kwargs: Any,
    ) -> AIMessage:
        return await super().ainvoke(input, config, stop=stop, **_with_config(config, kwargs))

    def stream(
        self,
        input: LanguageModelInput,
        config: RunnableConfig | None = None,
        *,
        stop: list[str] | None = None,
        **kwargs: Any,
    ) -> Iterator[AIMessageChunk]:
        yield from super().stream(input, config, stop=stop, **_with_config(config, kwargs))

    async def astream(
        self,
        input: LanguageModelInput,
        config: RunnableConfig | None = None,
        *,
        stop: list[str] | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[AIMessageChunk]:
        async for chunk in super().astream(input, config, stop=stop, **_with_config(config, kwargs)):
            yield chunk

    # -- the routed call -----------------------------------------------------------------------------

    def _screen(self, messages: list[BaseMessage], kwargs: Mapping[str, Any]) -> Screened:
        """This call's screen (see :mod:`.screen`); raises ``ValueError`` naming the problem."""
        return screen_request(
            messages, kwargs, priority=self.priority, max_tokens=self.max_tokens, targets=self._targets, plan=self._plan
        )

    def _generate_with_cache(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        """Screen the request before LangChain asks the cache, whose embedder may bill; the route reuses the screen."""
        with holding(messages, self._screen(messages, kwargs)):
            return super()._generate_with_cache(messages, stop, run_manager, **kwargs)

    async def _agenerate_with_cache(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        """Async :meth:`_generate_with_cache`."""
        with holding(messages, self._screen(messages, kwargs)):
            return await super()._agenerate_with_cache(messages, stop, run_manager, **kwargs)

    def _route(
        self,
        messages: list[BaseMessage],
        kwargs: dict[str, Any],
        run_manager: CallbackManagerForLLMRun | None,
        spend: Spend,
        screened: Screened | None = None,
        decision: RouteDecision | None = None,
    ) -> RouteRun:
        """Classify and plan one request (``screened``: its screen, ``decision``: the classifier's, when already
        made) within ``spend``'s budgets; raises ``ValueError`` (bad input, no candidate) or ``BudgetExceededError``
        before any call."""
        return spend.run(self._routing(messages, kwargs, run_manager, spend, screened, decision))

    def _routing(
        self,
        messages: list[BaseMessage],
        kwargs: dict[str, Any],
        run_manager: CallbackManagerForLLMRun | None,
        spend: Spend,
        screened: Screened | None,
        decision: RouteDecision | None,
    ) -> Steps[RouteRun]:
        """The steps of :meth:`_route` (its budget ledger calls yielded: see :mod:`.budget_ledger`)."""
        deadline = Deadline(kwargs.get("deadline", self.deadline))
        call_kwargs = {k: v for k, v in kwargs.items() if k not in _ROUTER_KWARGS}
        screened = screened or held(messages) or self._screen(messages, kwargs)
        priority, profile, tools = spend.priority(screened.priority), screened.profile, kwargs.get("tools")
        if screened.pinned is not None:
            decision = RouteDecision(
                tier=screened.pinned.tier,
                score=TIERS.index(screened.pinned.tier) / 2,
                reason="model pinned by the caller",
                classifier="pinned",
            )
        elif decision is None:
            decision = classify_request(self._classifier, messages, kwargs.get(_CONFIGURABLE) or {}, run_manager)
        plan = yield from spend.planning(
            lambda cap: self._plan(decision.tier, priority, screened.targets, profile, cap), self.max_cost_per_request
        )
        prompt_cache: PromptCacheMode = "auto" if self.prompt_cache == "auto" else "off"
        return RouteRun(
            decision=decision,
            priority=priority,
            plan=plan,
            profile=profile,
            pool=self._pool,
            balancer=self._balancer,
            prompt_cache=prompt_cache,
            call_kwargs=call_kwargs,
            tools=tools,
            tool_choice=kwargs.get("tool_choice"),
            deadline=deadline,
        )

    async def _aroute(
        self,
        messages: list[BaseMessage],
        kwargs: dict[str, Any],
        run_manager: AsyncCallbackManagerForLLMRun | None,
        spend: Spend,
        screened: Screened | None = None,
    ) -> RouteRun:
        """Async :meth:`_route`: the classifier is awaited (an offline one still runs inline)."""
        screened = screened or held(messages) or self._screen(messages, kwargs)
        decision = None
        if screened.pinned is None:
            configurable = kwargs.get(_CONFIGURABLE) or {}
            decision = await aclassify_request(self._classifier, messages, configurable, run_manager)
        return await spend.arun(self._routing(messages, kwargs, None, spend, screened, decision))

    def _plan(
        self,
        tier: Tier,
        priority: Priority,
        targets: Mapping[Tier, Sequence[Target]],
        profile: RequestProfile,
        cap: float | None = None,
    ) -> Plan:
        """Candidates from ``tier`` (every configured tier when it has none) within ``max_cost_per_request`` and
        ``cap`` (USD, what the budgets have left); raises ``NoCandidateError``."""
        return plan_route(
            tier,
            priority,
            targets,
            profile,
            max_cost_usd=min((c for c in (self.max_cost_per_request, cap) if c is not None), default=None),
            escalate=self.escalate_on_failure,
            output_tokens_estimate=self.output_tokens_estimate,
        )

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        with spending(self._budget, kwargs.get(_TENANT)) as spend:
            run = self._route(messages, kwargs, run_manager, spend)
            for attempt in run:
                try:
                    result = attempt.delegate._generate(messages, stop=stop, **attempt.kwargs)
                except Exception as error:
                    run.failed(attempt, error)
                    continue
                message = result.generations[0].message
                usage = getattr(message, "usage_metadata", None)
                _mark(message, run.succeeded(attempt, message.response_metadata, usage))
                spend.saw(message)
                return result
            run.exhausted()

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        async with aspending(self._budget, kwargs.get(_TENANT)) as spend:
            run = await self._aroute(messages, kwargs, run_manager, spend)
            result, routing = await async_route.generate(run, self._bedrock, messages, stop)
            message = result.generations[0].message
            _mark(message, routing)
            spend.saw(message)
            return result

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        screened = self._screen(messages, kwargs)  # before the cache, as in _generate_with_cache
        yield from stream_cache.through_cache(
            self, messages, stop, kwargs, lambda: self._routed_stream(messages, stop, run_manager, kwargs, screened)
        )

    def _routed_stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None,
        run_manager: CallbackManagerForLLMRun | None,
        kwargs: dict[str, Any],
        screened: Screened,
    ) -> Iterator[ChatGenerationChunk]:
        """The first candidate whose stream produces output (see :func:`chunks.routed_stream`)."""
        with spending(self._budget, kwargs.get(_TENANT)) as spend:
            for chunk in chunks.routed_stream(
                self._route(messages, kwargs, run_manager, spend, screened), messages, stop
            ):
                spend.saw(chunk.message)
                yield chunk

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        screened = self._screen(messages, kwargs)
        source = self._arouted_stream(messages, stop, run_manager, kwargs, screened)
        async for chunk in stream_cache.athrough_cache(self, messages, stop, kwargs, lambda: source):
            yield chunk

    async def _arouted_stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None,
        run_manager: AsyncCallbackManagerForLLMRun | None,
        kwargs: dict[str, Any],
        screened: Screened,
    ) -> AsyncIterator[ChatGenerationChunk]:
        async with aspending(self._budget, kwargs.get(_TENANT)) as spend:
            run = await self._aroute(messages, kwargs, run_manager, spend, screened)
            async for chunk in async_route.stream(run, self._bedrock, messages, stop):
                spend.saw(chunk.message)
                yield chunk


def _with_config(config: RunnableConfig | None, kwargs: dict[str, Any]) -> dict[str, Any]:
    """Call kwargs plus ``priority`` (validated) and the rest of ``config["configurable"]`` for the classifier, and
    the run's ``tenant_id`` metadata for the budgets."""
    config = ensure_config(config)
    configurable = dict(config.get("configurable") or {})
    tenant = (config.get("metadata") or {}).get("tenant_id")
    if not configurable and tenant is None:
        return kwargs
    merged = {**kwargs, _TENANT: tenant} if tenant is not None else dict(kwargs)
    if not configurable:
        return merged
    if "priority" in configurable and "priority" not in merged:
        merged["priority"] = validate_priority(configurable["priority"])
    merged[_CONFIGURABLE] = configurable
    return merged


def _mark(message: BaseMessage, routing: RoutingMetadata) -> None:
    message.response_metadata["routing"] = routing
    message.response_metadata["model_name"] = routing["model_id"]


__all__ = ["PRIORITIES", "RoutedChatBedrock"]
