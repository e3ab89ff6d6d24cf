"""``response_metadata["routing"]``: the one typed definition the router writes and the stats callbacks read."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypedDict, cast

from typing_extensions import NotRequired

from langchain_bedrock_routing.catalog import Tier

Priority = Literal["cost", "balanced", "performance", "latency"]
PRIORITIES: tuple[Priority, ...] = ("cost", "balanced", "performance", "latency")

PURPOSE_METADATA_KEY = "bedrock_routing_purpose"
"""Run metadata key of a call made to learn, not to answer a user: ``"shadow"`` (the strongest tier answering a
request again) or ``"judge"`` (grading the cheaper answer). The stats handler counts such calls apart."""


class AttemptRecord(TypedDict):
    """One model tried for a request: ``error`` is the error code that moved routing on, ``None`` for the answer;
    ``deployment`` names the deployment called (only when the tier member was one)."""

    model_id: str
    tier: Tier
    error: str | None
    deployment: NotRequired[str]


class SkippedModel(TypedDict):
    """A configured model left out before any call, and why (capability, context window, cost cap ...)."""

    model_id: str
    tier: str
    reason: str


class RoutingMetadata(TypedDict, total=False):
    """What the router decided for one result, and why. ``RoutedChatBedrock`` sets every field; readers take
    each as optional (a record written by another producer, or none: ``{}``).

    ``tier`` is the tier of the model that answered (it differs from ``requested_tier`` after a priority shift,
    an escalation or a capability/context/cost filter); ``model_id`` the model that answered (a prompt router's
    invoked model), ``target`` the configured id, ``deployment`` the deployment's name (``model@region`` by default;
    ``None`` for a plain model id); ``score`` in [0, 1]; ``attempts`` in the order tried; ``limited`` the deployments
    passed over because the call would have passed their rpm / tpm.
    """

    tier: Tier
    model_id: str
    target: str
    score: float
    classifier: str
    reason: str
    requested_tier: Tier
    start_tier: Tier
    priority: Priority
    attempts: list[AttemptRecord]
    skipped: list[SkippedModel]
    prompt_cache: bool
    deployment: str | None
    limited: list[str]
    experiment: str
    """Set by ``RoutingExperiment``: the experiment that assigned this request (see :class:`ArmAssignment`)."""
    arm: str
    """Set by ``RoutingExperiment``: the arm that answered."""


def read_routing(value: object) -> RoutingMetadata:
    """A message's ``response_metadata.get("routing")`` as a routing record (``{}`` when it is not a mapping)."""
    return cast("RoutingMetadata", dict(value)) if isinstance(value, Mapping) else {}


EXPERIMENT_METADATA_KEY = "routing_experiment"
ARM_METADATA_KEY = "routing_arm"
CONTROL_METADATA_KEY = "routing_control"


@dataclass(frozen=True)
class ArmAssignment:
    """A request's place in an experiment: ``arm`` answered it, ``control`` is the arm the others are compared to.

    ``RoutingExperiment`` puts it in the run metadata (:meth:`as_metadata`), where the stats handler, the outcome
    recorder and LangSmith read it.
    """

    experiment: str
    arm: str
    control: str

    def as_metadata(self) -> dict[str, str]:
        """The run-metadata entries naming this assignment."""
        return {
            EXPERIMENT_METADATA_KEY: self.experiment,
            ARM_METADATA_KEY: self.arm,
            CONTROL_METADATA_KEY: self.control,
        }


def read_assignment(metadata: Mapping[str, Any] | None) -> ArmAssignment | None:
    """The assignment in a run's metadata, ``None`` for a request outside any experiment."""
    if not metadata:
        return None
    experiment, arm = metadata.get(EXPERIMENT_METADATA_KEY), metadata.get(ARM_METADATA_KEY)
    if not isinstance(experiment, str) or not isinstance(arm, str):
        return None
    control = metadata.get(CONTROL_METADATA_KEY)
    return ArmAssignment(experiment, arm, control if isinstance(control, str) else arm)
