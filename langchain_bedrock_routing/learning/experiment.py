"""``RoutingExperiment``: an A/B (or A/B/n) test of routing strategies that is itself a LangChain chat model.

    experiment = RoutingExperiment(
        arms={"default": RoutedChatBedrock(), "trained": RoutedChatBedrock(classifier="trained:router.json")},
        key="tenant_id",                       # or "thread_id", "user_id", or a function of the run config
    )
    experiment.invoke("...", config={"metadata": {"tenant_id": "acme"}})

Each request goes to one arm, chosen by a stable hash (SHA-256) of the experiment's name and the request's key,
so a tenant (thread, user) always meets the same arm, in every process and after restarts. The arm runs as the
request itself, with its own cache, callbacks and fallbacks; the run metadata names the experiment, arm and
control arm (:class:`~langchain_bedrock_routing.core.routing_metadata.ArmAssignment`), which is how the stats
handler and the outcome recorder attribute requests and scores to arms. The answer's
``response_metadata["routing"]`` carries ``experiment`` and ``arm``.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar, cast

from langchain_core.callbacks import BaseCallbackManager, CallbackManagerForLLMRun, Callbacks
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatResult
from langchain_core.runnables import Runnable, RunnableConfig, ensure_config
from langchain_core.tools import BaseTool
from pydantic import ConfigDict, PrivateAttr, SkipValidation, model_validator
from typing_extensions import Self

from langchain_bedrock_routing.core.routing_metadata import ARM_METADATA_KEY, EXPERIMENT_METADATA_KEY, ArmAssignment
from langchain_bedrock_routing.errors import InvalidRequestError

KeyFunction = Callable[[RunnableConfig], object]
"""Reads a request's assignment key from its run config (``None``: the request has none)."""

_HASH_SPACE = float(2**64)
_Message = TypeVar("_Message", bound=BaseMessage)


def assignment_point(experiment: str, key: str) -> float:
    """Where ``key`` falls in [0, 1) for ``experiment``: the first 8 bytes of SHA-256 of both, over 2**64."""
    digest = hashlib.sha256(f"{len(experiment)}:{experiment}|{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / _HASH_SPACE


def pick_arm(experiment: str, key: str, weights: Mapping[str, float]) -> str:
    """The arm of ``key``: arms take consecutive slices of [0, 1) in order, each as wide as its share of weight."""
    point, total, edge = assignment_point(experiment, key), sum(weights.values()), 0.0
    for arm, weight in weights.items():
        edge += weight / total
        if point < edge:
            return arm
    return list(weights)[-1]


def key_from_config(name: str, config: RunnableConfig) -> object:
    """``config["metadata"][name]``, else ``config["configurable"][name]`` (LangGraph's ``thread_id``), or ``None``."""
    for section in ("metadata", "configurable"):
        values = cast("Mapping[str, Any]", config.get(section) or {})
        if values.get(name) is not None:
            return values[name]
    return None


class RoutingExperiment(BaseChatModel):
    """Splits traffic between routing strategies (``arms``: name -> chat model, usually ``RoutedChatBedrock``).

    ``key``: the run-config entry that assigns a request (looked up in ``config["metadata"]``, then
    ``config["configurable"]``; default ``tenant_id``, the key the caches and stats read), or a function of the run
    config. A request without a key raises ``InvalidRequestError`` (a ``ValueError``) before any call.
    ``weights``: arm -> share (any positive numbers; default equal). ``control``: the arm the others are compared
    to (default the first). ``name`` names the experiment in the stats and salts the hash, so two experiments
    split independently.

    ``invoke``, ``stream``, ``batch`` and their async twins delegate to the arm, as do ``bind_tools`` and
    ``with_structured_output`` (each arm binds in its own way); the experiment's own ``callbacks``, ``tags`` and
    ``metadata`` apply to the arm's run. Read the figures with ``get_bedrock_stats_callback``
    (``stats.report()`` has a table per experiment); feed outcome scores with
    ``OutcomeRecorder(..., stats=[stats])`` and ``record_outcome``.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    arms: dict[str, SkipValidation[Runnable[LanguageModelInput, AIMessage]]]
    key: SkipValidation[str | KeyFunction] = "tenant_id"
    weights: dict[str, float] | None = None
    control: str | None = None
    name: str = "experiment"

    _shares: dict[str, float] = PrivateAttr()
    _control: str = PrivateAttr()

    @model_validator(mode="after")
    def _check(self) -> Self:
        if len(self.arms) < 2:
            raise ValueError(f"an experiment needs two or more arms, got {sorted(self.arms)}")
        for arm, model in self.arms.items():
            if not isinstance(arm, str) or not arm:
                raise ValueError(f"arm names are non-empty strings, got {arm!r}")
            if not isinstance(model, Runnable):
                raise TypeError(f"arm {arm!r} is a {type(model).__name__}, not a chat model")
        if not self.name:
            raise ValueError("the experiment's name must be a non-empty string")
        if not (isinstance(self.key, str) and self.key) and not callable(self.key):
            raise ValueError(f"key must be a run-config entry name or a function of the run config, got {self.key!r}")
        weights = self.weights if self.weights is not None else dict.fromkeys(self.arms, 1.0)
        if set(weights) != set(self.arms):
            raise ValueError(f"weights must name exactly the arms {sorted(self.arms)}, got {sorted(weights)}")
        for arm, weight in weights.items():
            if (
                isinstance(weight, bool)
                or not isinstance(weight, int | float)
                or not math.isfinite(weight)
                or weight <= 0
            ):
                raise ValueError(f"weight of arm {arm!r} must be a positive finite number, got {weight!r}")
        if self.control is not None and self.control not in self.arms:
            raise ValueError(f"control {self.control!r} is not an arm; arms: {', '.join(self.arms)}")
        self._shares = {arm: float(weights[arm]) for arm in self.arms}
        self._control = self.control or next(iter(self.arms))
        return self

    @property
    def _llm_type(self) -> str:
        return "routing-experiment"

    # -- assignment ----------------------------------------------------------------------------------

    def arm_for(self, config: RunnableConfig | None = None) -> ArmAssignment:
        """The arm a request with this run config goes to; raises ``InvalidRequestError`` when it carries no key."""
        config = ensure_config(config)
        value = self.key(config) if callable(self.key) else key_from_config(self.key, config)
        if value is None or value == "":
            where = (
                "the key function returned nothing"
                if callable(self.key)
                else f'pass config={{"metadata": {{"{self.key}": ...}}}} (or "configurable")'
            )
            raise InvalidRequestError(f"experiment {self.name!r} assigns requests by {self._key_name}: {where}")
        return ArmAssignment(self.name, pick_arm(self.name, str(value), self._shares), self._control)

    @property
    def _key_name(self) -> str:
        return repr(self.key) if isinstance(self.key, str) else getattr(self.key, "__name__", "a key function")

    def _arm(self, config: RunnableConfig | None) -> tuple[Runnable[LanguageModelInput, AIMessage], RunnableConfig]:
        """The assigned arm and the config to run it with: the experiment's own ``callbacks``, ``tags`` and
        ``metadata`` added for the arm's run, and the assignment in its metadata."""
        config = ensure_config(config)
        assignment = self.arm_for(config)
        metadata = {**(self.metadata or {}), **(config.get("metadata") or {}), **assignment.as_metadata()}
        tags = [*(config.get("tags") or []), *(self.tags or [])]
        return self.arms[assignment.arm], {
            **config,
            "metadata": metadata,
            "tags": tags,
            "callbacks": self._callbacks(config.get("callbacks")),
        }

    def _callbacks(self, given: Callbacks) -> Callbacks:
        """``given`` (the call's callbacks) plus the experiment's own, which see the arm's run but not its children."""
        own = self.callbacks.handlers if isinstance(self.callbacks, BaseCallbackManager) else list(self.callbacks or [])
        if not own:
            return given
        if given is None or isinstance(given, list):
            manager = BaseCallbackManager(handlers=[], inheritable_handlers=list(given or []))
            manager.handlers = list(manager.inheritable_handlers)
        else:
            manager = given.copy()
        for handler in own:
            manager.add_handler(handler, inherit=False)
        return manager

    # -- delegation ----------------------------------------------------------------------------------

    def invoke(
        self,
        input: LanguageModelInput,
        config: RunnableConfig | None = None,
        *,
        stop: list[str] | None = None,
        **kwargs: Any,
    ) -> AIMessage:
        arm, arm_config = self._arm(config)
        return _stamped(arm.invoke(input, arm_config, **_call_kwargs(stop, kwargs)), arm_config)

    async def ainvoke(
        self,
        input: LanguageModelInput,
        config: RunnableConfig | None = None,
        *,
        stop: list[str] | None = None,
        **kwargs: Any,
    ) -> AIMessage:
        arm, arm_config = self._arm(config)
        return _stamped(await arm.ainvoke(input, arm_config, **_call_kwargs(stop, kwargs)), arm_config)

    def stream(
        self,
        input: LanguageModelInput,
        config: RunnableConfig | None = None,
        *,
        stop: list[str] | None = None,
        **kwargs: Any,
    ) -> Iterator[AIMessageChunk]:
        arm, arm_config = self._arm(config)
        first = True
        for chunk in arm.stream(input, arm_config, **_call_kwargs(stop, kwargs)):
            yield cast("AIMessageChunk", _stamped(chunk, arm_config) if first else chunk)
            first = False

    async def astream(
        self,
        input: LanguageModelInput,
        config: RunnableConfig | None = None,
        *,
        stop: list[str] | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[AIMessageChunk]:
        arm, arm_config = self._arm(config)
        first = True
        async for chunk in arm.astream(input, arm_config, **_call_kwargs(stop, kwargs)):
            yield cast("AIMessageChunk", _stamped(chunk, arm_config) if first else chunk)
            first = False

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """The same experiment with every arm's ``bind_tools(tools, tool_choice=..., **kwargs)``."""
        bound: dict[str, Runnable[LanguageModelInput, AIMessage]] = {}
        for name, arm in self.arms.items():
            if not isinstance(arm, BaseChatModel):
                raise TypeError(f"arm {name!r} is a {type(arm).__name__}: only chat-model arms bind tools")
            bound[name] = arm.bind_tools(tools, tool_choice=tool_choice, **kwargs)
        return self.model_copy(update={"arms": bound})

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        """Not used: every public call is delegated whole to the assigned arm (see the class docstring)."""
        raise NotImplementedError(
            "RoutingExperiment delegates invoke/stream/batch and their async twins to an arm; "
            "the legacy generate() API is not supported"
        )


def _call_kwargs(stop: list[str] | None, kwargs: dict[str, Any]) -> dict[str, Any]:
    return kwargs if stop is None else {**kwargs, "stop": stop}


def _stamped(message: _Message, config: RunnableConfig) -> _Message:
    """``message`` with the experiment and arm added to ``response_metadata["routing"]`` (copied, not mutated)."""
    metadata = config.get("metadata") or {}
    stamp = {"experiment": metadata[EXPERIMENT_METADATA_KEY], "arm": metadata[ARM_METADATA_KEY]}
    routing = message.response_metadata.get("routing")
    routing = {**routing, **stamp} if isinstance(routing, Mapping) else stamp
    return message.model_copy(update={"response_metadata": {**message.response_metadata, "routing": routing}})
