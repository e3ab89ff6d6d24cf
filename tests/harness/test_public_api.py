"""The public surface: what the top level exports, one error hierarchy, and each public name used once."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from types import ModuleType

import pytest

import langchain_bedrock_routing as lbr
from langchain_bedrock_routing import (
    BedrockRoutingError,
    CallFailedError,
    InvalidRequestError,
    RequestRefusedError,
    RoutedChatBedrock,
)
from langchain_bedrock_routing.emulator import BedrockEmulator

TOOLS = ("emulator", "warming", "demo", "testing", "backend", "cli", "cli_support")


def _modules(tools: bool) -> list[ModuleType]:
    found = [lbr]
    for info in pkgutil.walk_packages(lbr.__path__, f"{lbr.__name__}."):
        unit = info.name.split(".")[1]
        if (unit in TOOLS) == tools and not info.name.endswith("__main__"):
            found.append(importlib.import_module(info.name))
    return found


def test_every_library_error_derives_from_one_base():
    """Every ``Exception`` the library defines; a ``BaseException`` that only signals inside one function (the async
    transport stopping a sync call at ``before-call``) is no error a caller could see."""
    errors = {
        f"{module.__name__}.{name}": cls
        for module in _modules(tools=False)
        for name, cls in vars(module).items()
        if inspect.isclass(cls) and issubclass(cls, Exception) and cls.__module__ == module.__name__
    }
    assert len(errors) >= 15
    assert [name for name, cls in errors.items() if not issubclass(cls, BedrockRoutingError)] == []


@pytest.mark.parametrize(
    ("name", "branch", "builtin"),
    [
        ("InvalidRequestError", RequestRefusedError, ValueError),
        ("NoCandidateError", RequestRefusedError, ValueError),
        ("ContextWindowExceededError", RequestRefusedError, ValueError),
        ("CostCapExceededError", RequestRefusedError, ValueError),
        ("UnknownModelError", RequestRefusedError, ValueError),
        ("ModelCallError", CallFailedError, RuntimeError),
        ("StreamInterruptedError", CallFailedError, RuntimeError),
        ("AllModelsFailedError", CallFailedError, RuntimeError),
    ],
)
def test_errors_say_whether_anything_was_spent(name: str, branch: type, builtin: type):
    cls = getattr(lbr, name)
    assert issubclass(cls, branch)
    assert issubclass(cls, builtin)
    other = CallFailedError if branch is RequestRefusedError else RequestRefusedError
    assert not issubclass(cls, other)


def test_bad_input_is_refused_before_any_call(emulator: BedrockEmulator):
    router = RoutedChatBedrock(region_name="us-east-1")
    with pytest.raises(InvalidRequestError, match="empty prompt"):
        router.invoke("")
    with pytest.raises(InvalidRequestError, match="unknown priority 'fastest'"):
        router.invoke("Hello", config={"configurable": {"priority": "fastest"}})
    assert emulator.requests == []


def test_the_top_level_exports_the_app_surface_and_no_tools():
    exported = set(lbr.__all__)
    for name in exported:
        assert getattr(lbr, name) is not None
    assert {"RoutedChatBedrock", "make_cache", "cache_scope", "get_bedrock_stats_callback", "HashingEmbeddings"} <= (
        exported
    )
    assert exported.isdisjoint({"BedrockEmulator", "RequestRecord", "warm_cache", "load_prompts", "WarmReport"})
    assert len(exported) <= 35


def test_caching_exports_caches_not_internals():
    from langchain_bedrock_routing import caching

    assert set(caching.__all__).isdisjoint({"mark_hit", "contains_pii", "CircuitBreaker", "near_miss_reason"})


def test_no_two_public_classes_share_a_name():
    owners: dict[str, set[str]] = {}
    for module in _modules(tools=False) + _modules(tools=True):
        for name in getattr(module, "__all__", ()):
            value = getattr(module, name)
            if inspect.isclass(value):
                owners.setdefault(name, set()).add(f"{value.__module__}.{value.__qualname__}")
    assert {name: found for name, found in owners.items() if len(found) > 1} == {}


def test_class_names_are_unique_across_the_library():
    defined: dict[str, set[str]] = {}
    for module in _modules(tools=False):
        for name, value in vars(module).items():
            if inspect.isclass(value) and value.__module__ == module.__name__:
                defined.setdefault(name, set()).add(module.__name__)
    assert {name: found for name, found in defined.items() if len(found) > 1} == {}
