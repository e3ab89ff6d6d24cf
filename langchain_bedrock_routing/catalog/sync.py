"""``make catalog``: compare ``models.json`` with the installed langchain-aws's profiles, and update it.

``python -m langchain_bedrock_routing.catalog.sync`` prints what differs: models langchain-aws lists
that the catalog lacks, profile fields (context window, output cap, tools, images, PDFs) that
changed, per-prefix variants, and catalog models langchain-aws does not profile (kept as ours).
``--write`` applies it: refreshed profiles, and new models with unknown (``null``) prices, no prompt
caching and a ``medium`` tier until someone reviews them. ``--check`` exits 1 when anything differs.
Exits 2 with a clear message when the installed langchain-aws has no profiles.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from langchain_bedrock_routing.catalog.profiles import (
    ProfileSnapshot,
    ProfilesUnavailableError,
    installed_profiles,
    installed_version,
    snapshots,
)

NEW_MODEL_LATENCY: dict[str, float] = {"ttft_ms": 600, "output_tokens_per_s": 80}
"""Emulator latency given to a model ``--write`` adds, until someone sets its own."""


@dataclass
class CatalogDiff:
    """What ``models.json`` lacks or holds differently from langchain-aws's profiles."""

    added: list[str] = field(default_factory=list)
    changed: dict[str, list[str]] = field(default_factory=dict)
    ours: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """True when the catalog already matches the profiles."""
        return not (self.added or self.changed)

    def lines(self) -> list[str]:
        """A human-readable report, one line per finding."""
        out = [f"+ {mid} (new: prices unknown, tier 'medium' until reviewed)" for mid in self.added]
        out += [f"~ {mid}: {change}" for mid, changes in self.changed.items() for change in changes]
        out += [f"= {mid} (no langchain-aws profile: the catalog's own profile is kept)" for mid in self.ours]
        return out


def _changes(entry: Mapping[str, Any], snap: ProfileSnapshot) -> list[str]:
    old_profile = entry.get("profile", {})
    changes = [
        f"{key} {old_profile.get(key)!r} -> {value!r}"
        for key, value in snap.profile.items()
        if old_profile.get(key) != value
    ]
    if entry.get("variants", {}) != snap.variants:
        changes.append(f"variants {entry.get('variants', {})!r} -> {snap.variants!r}")
    return changes


def diff(models: Mapping[str, Mapping[str, Any]], snaps: Mapping[str, ProfileSnapshot]) -> CatalogDiff:
    """Compare the catalog's ``models`` section with profile snapshots."""
    result = CatalogDiff()
    for mid, snap in snaps.items():
        if mid not in models:
            result.added.append(mid)
        elif changes := _changes(models[mid], snap):
            result.changed[mid] = changes
    result.ours = sorted(set(models) - set(snaps))
    return result


def new_entry(model_id: str, snap: ProfileSnapshot) -> dict[str, Any]:
    """A catalog entry for a model only langchain-aws knows: unknown prices, never guessed."""
    return {
        "name": snap.name,
        "family": model_id.split(".", 1)[0],
        "tier": "medium",
        "prices": {"input": None, "output": None, "cache_write": None, "cache_read": None, "source": None},
        "prompt_cache": None,
        "latency": dict(NEW_MODEL_LATENCY),
        "profile": dict(snap.profile),
    }


def apply(data: dict[str, Any], snaps: Mapping[str, ProfileSnapshot], version: str) -> None:
    """Update ``data`` (the parsed ``models.json``) in place from the snapshots."""
    models: dict[str, Any] = data["models"]
    for mid, snap in snaps.items():
        entry = models.setdefault(mid, new_entry(mid, snap))
        entry["profile"] = dict(snap.profile)
        if snap.variants:
            entry["variants"] = snap.variants
        else:
            entry.pop("variants", None)
    data["models"] = dict(sorted(models.items()))
    data["synced_from"] = f"langchain-aws {version}"


def dump(data: Mapping[str, Any]) -> str:
    """``models.json`` text: one line per field of a model, so diffs stay readable."""
    sections = []
    for key, value in data.items():
        if isinstance(value, dict) and value and all(isinstance(v, dict) for v in value.values()):
            items = ",\n".join(_dump_item(name, item) for name, item in value.items())
            sections.append(f"  {json.dumps(key)}: {{\n{items}\n  }}")
        else:
            sections.append(f"  {json.dumps(key)}: {json.dumps(value)}")
    return "{\n" + ",\n".join(sections) + "\n}\n"


def _dump_item(name: str, item: Mapping[str, Any]) -> str:
    fields = ",\n".join(f"      {json.dumps(k)}: {json.dumps(v)}" for k, v in item.items())
    return f"    {json.dumps(name)}: {{\n{fields}\n    }}"


def catalog_path() -> Path:
    """The package's ``models.json``."""
    return Path(str(resources.files("langchain_bedrock_routing.catalog").joinpath("models.json")))


def main(argv: Sequence[str] | None = None) -> int:
    """CLI entry point; returns the exit status (0 in sync or written, 1 differs with --check, 2 no profiles)."""
    parser = argparse.ArgumentParser(prog="make catalog", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--write", action="store_true", help="update models.json from the installed profiles")
    parser.add_argument("--check", action="store_true", help="exit 1 when models.json differs from the profiles")
    parser.add_argument("--path", type=Path, default=None, help="catalog file (default: the package's models.json)")
    args = parser.parse_args(argv)
    path: Path = args.path or catalog_path()
    try:
        snaps = snapshots(installed_profiles())
    except ProfilesUnavailableError as exc:
        print(f"make catalog: {exc}", file=sys.stderr)
        return 2
    data = json.loads(path.read_text("utf-8"))
    version = installed_version()
    found = diff(data["models"], snaps)
    print(f"{path} ({data.get('synced_from', 'never synced')}) vs installed langchain-aws {version}:")
    summary = "in sync" if found.empty else f"{len(found.added)} new, {len(found.changed)} changed"
    print("\n".join([*found.lines(), summary]))
    if args.write and not found.empty:
        apply(data, snaps, version)
        path.write_text(dump(data), "utf-8")
        print(f"wrote {path}: review the tier, prices (with a dated source) and latency of each '+' model")
    return 1 if args.check and not found.empty else 0


if __name__ == "__main__":
    sys.exit(main())
