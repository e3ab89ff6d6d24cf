"""The examples need only ``pip install 'langchain-bedrock-routing[examples]'`` and import only public API.

Each example's imports are read from its source: every third-party module must come from a distribution that the
package's own requirements plus its ``examples`` extra bring in (transitively, as installed here), and every
``langchain_bedrock_routing`` import must name a package's exported (``__all__``) names.
"""

from __future__ import annotations

import ast
import importlib
import sys
from importlib import metadata
from pathlib import Path

import pytest
import tomllib
from packaging.requirements import Requirement

ROOT = Path(__file__).parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
LOCAL = {path.stem for path in EXAMPLES}  # the examples' shared helper module(s)
PACKAGE = "langchain_bedrock_routing"


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module, imported names) for every absolute import statement of ``path``."""
    found: list[tuple[str, list[str]]] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.module, [alias.name for alias in node.names]))
    return found


def _closure(requirements: list[str]) -> set[str]:
    """Normalized names of the distributions ``requirements`` install, following installed dependencies."""
    seen: set[str] = set()
    todo = [(Requirement(r), "") for r in requirements]
    while todo:
        requirement, extra = todo.pop()
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": extra}):
            continue
        name = requirement.name.lower().replace("_", "-")
        extras = set(requirement.extras)
        key = f"{name}[{','.join(sorted(extras))}]"
        if key in seen:
            continue
        seen.add(key)
        seen.add(name)
        for line in metadata.requires(name) or []:
            todo += [(Requirement(line), e) for e in ("", *extras)]
    return {k for k in seen if "[" not in k}


def _declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    own = {"langchain-bedrock-routing"}
    return _closure(project["dependencies"] + project["optional-dependencies"]["examples"]) | own


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_third_party_import_comes_with_the_examples_extra(path: Path):
    declared = _declared()
    providers = metadata.packages_distributions()
    for module, _ in _imports(path):
        top = module.split(".")[0]
        if top in sys.stdlib_module_names or top in LOCAL or top == "__future__":
            continue
        dists = {d.lower().replace("_", "-") for d in providers.get(top, [])}
        assert dists, f"{path.name}: no installed distribution provides {top!r}"
        assert dists & declared, f"{path.name} imports {top!r} ({dists}): not in the package's or [examples] deps"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_import_only_exported_names(path: Path):
    for module, names in _imports(path):
        if module.split(".")[0] != PACKAGE:
            continue
        imported = importlib.import_module(module)
        is_package = hasattr(imported, "__path__")
        assert is_package, f"{path.name} imports from the module {module}: import from its package instead"
        exported = set(getattr(imported, "__all__", ()))
        hidden = [n for n in names if n not in exported]
        assert not hidden, f"{path.name}: {module} does not export {hidden}"


def test_the_import_check_sees_a_private_import_and_an_undeclared_dependency(tmp_path: Path):
    sample = tmp_path / "sample.py"
    sample.write_text("from langchain_bedrock_routing.backend import open_backend\nimport langchain_classic\n")
    assert _imports(sample) == [("langchain_bedrock_routing.backend", ["open_backend"]), ("langchain_classic", [])]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert "langchain-classic" not in _closure(project["dependencies"])
    assert "langchain-classic" in _declared()
