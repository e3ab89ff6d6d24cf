"""Every data file the package reads at run time ships in the wheel (package-data globs in pyproject.toml)."""

from __future__ import annotations

import fnmatch
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "langchain_bedrock_routing"


def test_every_data_file_in_the_package_matches_a_package_data_glob():
    globs = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["*"]
    data_files = [
        path
        for path in PACKAGE.rglob("*")
        if path.is_file() and path.suffix not in (".py", ".pyc") and "__pycache__" not in path.parts
    ]
    assert data_files, "the package has data files (catalog, presets, weights ...)"
    missing = [str(p.relative_to(ROOT)) for p in data_files if not any(fnmatch.fnmatch(p.name, g) for g in globs)]
    assert missing == [], f"not shipped in the wheel: {missing}"
