"""Choose a classifier by name (``"heuristic"``, ``"llm"``, ``"embedding"``, ``"cascade"``,
``"trained:<path>"``) or pass your own."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, TypeAlias

from langchain_core.runnables import Runnable, RunnableLambda

from langchain_bedrock_routing.routing.classifiers.banded import BandedClassifier
from langchain_bedrock_routing.routing.classifiers.embedding import EmbeddingComplexityClassifier
from langchain_bedrock_routing.routing.classifiers.heuristic import HeuristicComplexityClassifier
from langchain_bedrock_routing.routing.classifiers.llm import LLMComplexityClassifier
from langchain_bedrock_routing.routing.classifiers.trained import TrainedClassifier
from langchain_bedrock_routing.routing.decision import RouteDecision

CLASSIFIERS: dict[str, Callable[[], Runnable[Any, RouteDecision]]] = {
    "heuristic": HeuristicComplexityClassifier,
    "llm": LLMComplexityClassifier,
    "embedding": EmbeddingComplexityClassifier.default,
    "cascade": BandedClassifier,
}
"""Name -> factory of a classifier with default settings; ``"heuristic"`` is the router's default."""
DEFAULT_CLASSIFIER = "heuristic"
TRAINED_PREFIX = "trained:"
"""``"trained:router.json"`` loads a router file written by ``bedrock-routing train``."""

ClientFactory: TypeAlias = Callable[[Any], Any]
"""A botocore ``Config`` -> a ``bedrock-runtime`` client (see :attr:`LLMComplexityClassifier.client_factory`)."""
_CONNECTED: dict[str, Callable[[ClientFactory], Runnable[Any, RouteDecision]]] = {
    "llm": lambda factory: LLMComplexityClassifier(client_factory=factory),
    "cascade": lambda factory: BandedClassifier(second=LLMComplexityClassifier(client_factory=factory)),
}
"""The named classifiers that call Bedrock, built with a given client factory."""

ClassifierName = Literal["heuristic", "llm", "embedding", "cascade"]
ClassifierSpec: TypeAlias = ClassifierName | Runnable[Any, RouteDecision] | Callable[..., Any]
"""What ``RoutedChatBedrock(classifier=...)`` accepts: a registry name, a Runnable returning a
:class:`RouteDecision`, or a function from messages to one."""


def resolve_classifier(
    name_or_runnable: ClassifierSpec | str | None = None, *, client_factory: ClientFactory | None = None
) -> Runnable[Any, RouteDecision]:
    """A classifier for a registry name, a Runnable (returned as is) or a function (wrapped in ``RunnableLambda``).

    ``client_factory`` (given by ``RoutedChatBedrock``) builds the Bedrock client of the ``llm`` and ``cascade``
    classifiers and of a trained router's Bedrock embeddings, so their calls use the router's endpoint, region,
    credentials and botocore config.

    ``None`` gives the default (heuristic); ``"trained:<path>"`` loads a trained router file
    (:class:`TrainedClassifier`). An unknown name raises ``ValueError`` listing the valid
    names; any other type raises ``TypeError``.
    """
    if name_or_runnable is None:
        name_or_runnable = DEFAULT_CLASSIFIER
    if isinstance(name_or_runnable, str) and name_or_runnable.startswith(TRAINED_PREFIX):
        return TrainedClassifier.load(name_or_runnable.removeprefix(TRAINED_PREFIX), client_factory=client_factory)
    if isinstance(name_or_runnable, str):
        name = name_or_runnable.strip().lower()
        if client_factory is not None and name in _CONNECTED:
            return _CONNECTED[name](client_factory)
        factory = CLASSIFIERS.get(name)
        if factory is None:
            raise ValueError(
                f"unknown classifier {name_or_runnable!r}; valid choices: {', '.join(CLASSIFIERS)}, "
                f"{TRAINED_PREFIX}<router.json> "
                "(or pass a Runnable that returns a RouteDecision)"
            )
        return factory()
    if isinstance(name_or_runnable, Runnable):
        return name_or_runnable
    if callable(name_or_runnable):
        return RunnableLambda(name_or_runnable)
    raise TypeError(
        f"classifier must be a name ({', '.join(CLASSIFIERS)}), a Runnable or a function, "
        f"got {type(name_or_runnable).__name__}"
    )
