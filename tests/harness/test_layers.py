"""The package's import graph runs one way: tools above the library, sibling libraries apart, no cycles.

Every ``import`` in the package counts, including imports inside functions and under ``TYPE_CHECKING``.
A unit is a top-level module or subpackage of ``langchain_bedrock_routing``; each has a layer, and a unit may
import only its own modules and units on lower layers.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import langchain_bedrock_routing

PACKAGE = Path(langchain_bedrock_routing.__file__).parent
ROOT = "langchain_bedrock_routing"

LAYERS: dict[str, int] = {
    # the library, bottom up
    "errors": 0,
    "embeddings": 0,
    "catalog": 1,
    "core": 2,
    "routing": 3,
    "caching": 3,
    "callbacks": 3,
    "vectorstore": 3,
    "converse": 3,
    "learning": 4,
    "__init__": 4,
    # tools, which the library never imports
    "testing": 5,
    "emulator": 5,
    "backend": 6,
    "warming": 7,
    "demo": 7,
    "cli": 8,
}
TOOLS = {"testing", "emulator", "backend", "warming", "demo", "cli"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _unit(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imports(path: Path) -> Iterator[tuple[int, str]]:
    """``(line, absolute module)`` of every package-internal import in ``path``, at any depth."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names = [base, *(f"{base}.{alias.name}" for alias in node.names)] if base == ROOT else [base]
        else:
            continue
        for name in names:
            if name == ROOT or name.startswith(f"{ROOT}."):
                yield node.lineno, name


def _edges() -> list[tuple[str, int, str]]:
    """``(importing file, line, imported module)`` for the whole package."""
    return [
        (str(path.relative_to(PACKAGE.parent)), line, target)
        for path in sorted(PACKAGE.rglob("*.py"))
        for line, target in _imports(path)
    ]


def test_every_unit_has_a_layer():
    units = {_unit(_module_name(p)) for p in PACKAGE.rglob("*.py")}
    assert units <= set(LAYERS), f"give these modules a layer in LAYERS: {sorted(units - set(LAYERS))}"


def test_imports_run_downwards_only():
    upward = []
    for source, line, target in _edges():
        src, dst = _unit(_module_name(PACKAGE.parent / source)), _unit(target)
        if src != dst and LAYERS[dst] >= LAYERS[src]:
            upward.append(f"{source}:{line} ({src}, layer {LAYERS[src]}) imports {target} (layer {LAYERS[dst]})")
    assert upward == []


def test_the_library_never_imports_a_tool():
    library = [
        f"{source}:{line} imports {target}"
        for source, line, target in _edges()
        if _unit(_module_name(PACKAGE.parent / source)) not in TOOLS and _unit(target) in TOOLS
    ]
    assert library == []


def test_routing_caching_and_callbacks_do_not_import_each_other():
    siblings = {"routing", "caching", "callbacks"}
    crossing = [
        f"{source}:{line} imports {target}"
        for source, line, target in _edges()
        if (src := _unit(_module_name(PACKAGE.parent / source))) in siblings
        and (dst := _unit(target)) in siblings
        and src != dst
    ]
    assert crossing == []


def test_the_graph_check_sees_imports_inside_functions():
    sample = PACKAGE / "caching" / "context.py"
    targets = {target for _, target in _imports(sample)}
    assert "langchain_bedrock_routing.caching.base" in targets  # imported inside _global_cache_is_ours


def _fresh(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    return done.stdout.strip()


def test_importing_the_package_loads_neither_the_emulator_nor_rich():
    loaded = _fresh(
        "import sys, langchain_bedrock_routing\n"
        "print(sorted(m for m in sys.modules if m == 'rich' or m.startswith(('rich.', "
        "'langchain_bedrock_routing.emulator', 'langchain_bedrock_routing.warming', "
        "'langchain_bedrock_routing.demo', 'langchain_bedrock_routing.testing', 'langchain_bedrock_routing.backend'))))"
    )
    assert loaded == "[]"


def test_an_unrelated_model_runs_with_cache_metadata_after_the_import():
    reply = _fresh(
        "import langchain_bedrock_routing\n"
        "from langchain_core.language_models import FakeListChatModel\n"
        "model = FakeListChatModel(responses=['x'])\n"
        "print(model.invoke('x', config={'metadata': {'cache': True, 'tenant_id': 7}}).content)"
    )
    assert reply == "x"


def test_an_unrelated_model_runs_while_a_cache_of_ours_exists_but_is_not_global():
    reply = _fresh(
        "from langchain_bedrock_routing import InMemoryExactCache, cache_scope\n"
        "from langchain_core.language_models import FakeListChatModel\n"
        "cache = InMemoryExactCache()\n"
        "model = FakeListChatModel(responses=['x', 'y'])\n"
        "with cache_scope(tenant='acme'):\n"
        "    first = model.invoke('x', config={'metadata': {'cache': True}}).content\n"
        "print(first + model.invoke('x', config={'metadata': {'cache': 'sometimes'}}).content)"
    )
    assert reply == "xy"


def test_importing_the_package_registers_no_callback_hook():
    counts = _fresh(
        "from langchain_core.tracers import context\n"
        "before = len(context._configure_hooks)\n"
        "import langchain_bedrock_routing, langchain_bedrock_routing.callbacks.report\n"
        "print(before, len(context._configure_hooks))"
    )
    before, after = counts.split()
    assert after == before
