"""How the router runs its classifier: directly when it cannot bill, else as a traced child run."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import (
    AsyncCallbackManager,
    AsyncCallbackManagerForLLMRun,
    BaseCallbackManager,
    CallbackManager,
    CallbackManagerForLLMRun,
)
from langchain_core.messages import BaseMessage
from langchain_core.runnables import Runnable, RunnableConfig

from langchain_bedrock_routing.routing.classifiers import ComplexityClassifier
from langchain_bedrock_routing.routing.decision import RouteDecision


def classify_request(
    classifier: Runnable[Any, RouteDecision],
    messages: list[BaseMessage],
    configurable: dict[str, Any],
    run_manager: CallbackManagerForLLMRun | None,
) -> RouteDecision:
    """The decision for ``messages``. An offline classifier is called directly (no Runnable overhead on the
    hot path; the decision still lands on ``response_metadata["routing"]``); one that may bill runs as a
    child of the chat model's run, so its model calls are traced and counted with the request."""
    config: RunnableConfig = {"configurable": configurable}
    if isinstance(classifier, ComplexityClassifier) and not classifier.calls_models:
        return classifier.classify_messages(messages, config)
    if run_manager is not None:
        config["callbacks"] = _child_callbacks(run_manager)
    return classifier.invoke(messages, config)


async def aclassify_request(
    classifier: Runnable[Any, RouteDecision],
    messages: list[BaseMessage],
    configurable: dict[str, Any],
    run_manager: AsyncCallbackManagerForLLMRun | None,
) -> RouteDecision:
    """Async :func:`classify_request`: an offline classifier still runs inline (no executor hop), one that may bill
    through its ``ainvoke``."""
    config: RunnableConfig = {"configurable": configurable}
    if isinstance(classifier, ComplexityClassifier) and not classifier.calls_models:
        return classifier.classify_messages(messages, config)
    if run_manager is not None:
        config["callbacks"] = _child_callbacks(run_manager, AsyncCallbackManager)
    return await classifier.ainvoke(messages, config)


def _child_callbacks(
    run_manager: CallbackManagerForLLMRun | AsyncCallbackManagerForLLMRun,
    manager: type[BaseCallbackManager] = CallbackManager,
) -> BaseCallbackManager:
    """Callbacks (a ``manager``) for the classifier's run, nested under the chat model's run."""
    return manager(
        handlers=run_manager.inheritable_handlers,
        inheritable_handlers=run_manager.inheritable_handlers,
        parent_run_id=run_manager.run_id,
        tags=run_manager.inheritable_tags,
        inheritable_tags=run_manager.inheritable_tags,
        metadata=run_manager.inheritable_metadata,
        inheritable_metadata=run_manager.inheritable_metadata,
    )
