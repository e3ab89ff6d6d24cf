"""Tool inputs that validate against a tool's JSON schema, with values taken from the prompt.

Supports the JSON-schema subset LangChain and pydantic emit: object/properties/required,
string (enum, const, format date/date-time, min/maxLength), integer/number (minimum, maximum,
exclusive bounds), boolean, array (items, min/maxItems), null, ``anyOf``/``oneOf``/``allOf``,
``$ref`` into ``$defs``/``definitions``, type lists and defaults.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from langchain_bedrock_routing.emulator.text import STOPWORDS, key_phrase, words

_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_QUOTED = re.compile(r"[\"“']([^\"”']{1,80})[\"”']")
_PROPER = re.compile(r"\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)*")
_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
_LISTING = re.compile(r"((?:[\w-]+,\s*)*[\w-]+),?\s+(?:and|or)\s+([\w-]+)")
_PLACE = re.compile(r"\b(?:in|at|from|to|near)\s+([A-Z][a-z]+(?:\s+[A-Z][a-z]+)*)")
_PLACE_WORDS = frozenset({"location", "city", "place", "country", "town", "destination", "origin", "region"})
_FIRST_SENTENCE = re.compile(r"[^.!?\n]+")
_MAX_DEPTH = 6


@dataclass
class PromptFacts:
    """Values found in the prompt; numbers are consumed in order as fields take them."""

    text: str
    numbers: list[float] = field(default_factory=list)
    proper_nouns: list[str] = field(default_factory=list)
    quoted: list[str] = field(default_factory=list)
    listing: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, text: str) -> PromptFacts:
        """Facts of ``text``: numbers, capitalised names (not sentence-initial stopwords), quoted strings."""
        proper = [p for p in _PROPER.findall(text) if p.split()[0].lower() not in STOPWORDS]
        found = _LISTING.findall(text)
        listing = [*found[-1][0].replace(",", " ").split(), found[-1][1]] if found else []
        return cls(text, [float(n) for n in _NUMBER.findall(text)], proper, _QUOTED.findall(text), listing)

    def sentence(self) -> str:
        """The prompt's first sentence (at most 80 characters), a fallback for free-text fields."""
        match = _FIRST_SENTENCE.search(self.text)
        return match.group().strip()[:80] if match else ""

    def keyed(self, name: str) -> str | None:
        """The value after ``name:``, ``name =`` or ``name is`` in the prompt, if any."""
        label = re.escape(name.replace("_", " "))
        match = re.search(rf"\b{label}\s*(?::|=|\bis\b)\s*([^,;\n.?!]+)", self.text, re.IGNORECASE)
        return match.group(1).strip().strip("\"'") if match else None


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if not isinstance(ref, str) or not ref.startswith("#/"):
        return schema
    node: Any = root
    for part in ref[2:].split("/"):
        node = node.get(part, {}) if isinstance(node, dict) else {}
    return {**node, **{k: v for k, v in schema.items() if k != "$ref"}} if isinstance(node, dict) else {}


def _type_of(schema: dict[str, Any]) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if isinstance(kind, str):
        return kind
    if "properties" in schema:
        return "object"
    if schema.get("enum"):
        return type(schema["enum"][0]).__name__.replace("str", "string").replace("int", "integer")
    return "string"


def _number(schema: dict[str, Any], name: str, facts: PromptFacts, integer: bool) -> float | int:
    keyed = facts.keyed(name)
    found = _NUMBER.search(keyed) if keyed else None
    value = float(found.group()) if found else (facts.numbers.pop(0) if facts.numbers else 1.0)
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    step = 1 if integer else 0.5
    if isinstance(low, (int, float)) and value <= low:
        value = low if "minimum" in schema else low + step
    if isinstance(high, (int, float)) and value >= high:
        value = high if "maximum" in schema else high - step
    return int(value) if integer else value


def _string(schema: dict[str, Any], name: str, facts: PromptFacts, given: str | None = None) -> str:
    fmt = schema.get("format")
    if fmt in ("date", "date-time"):
        found = _DATE.search(facts.text)
        day = found.group() if found else "2024-01-01"
        return day if fmt == "date" else f"{day}T00:00:00Z"
    name_words = set(words(name.replace("_", " ")))
    value = given if given is not None else facts.keyed(name)
    if value is None and name_words & _PLACE_WORDS:
        found = _PLACE.search(facts.text)
        value = found.group(1) if found else (facts.proper_nouns[-1] if facts.proper_nouns else None)
    if value is None and name_words & {"name", "person", "company", "author", "who"}:
        value = next(iter(facts.quoted or facts.proper_nouns), None)
    if value is None and facts.quoted:
        value = facts.quoted[0]
    if value is None:
        value = facts.sentence() or name.replace("_", " ")
    low, high = int(schema.get("minLength", 0)), schema.get("maxLength")
    value = value.ljust(low, ".")
    return value[: int(high)] if isinstance(high, int) else value


def _array(schema: dict[str, Any], facts: PromptFacts, name: str, root: Any, depth: int) -> list[Any]:
    items = schema.get("items", {})
    low, high = max(int(schema.get("minItems", 1)), 0), schema.get("maxItems")
    wanted = max(low, len(facts.listing), 1)
    count = min(wanted, int(high)) if isinstance(high, int) else wanted
    item_schema = _resolve(items, root) if isinstance(items, dict) else {}
    if _type_of(item_schema) == "string" and not {"enum", "const", "format"} & set(item_schema) and facts.listing:
        picked = [facts.listing[i % len(facts.listing)] for i in range(count)]
        return [_string(item_schema, name, facts, p) for p in picked]
    return [value_for(items, facts, name, root, depth + 1) for _ in range(count)]


def value_for(schema: Any, facts: PromptFacts, name: str = "value", root: Any = None, depth: int = 0) -> Any:
    """A JSON value valid under ``schema`` for the field ``name``, drawn from ``facts`` where possible."""
    if not isinstance(schema, dict):
        return key_phrase(facts.text) or name
    root = schema if root is None else root
    schema = _resolve(schema, root)
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        mentioned = [v for v in schema["enum"] if isinstance(v, str) and v.lower() in facts.text.lower()]
        return mentioned[0] if mentioned else schema["enum"][0]
    for combinator in ("anyOf", "oneOf", "allOf"):
        options = schema.get(combinator)
        if isinstance(options, list) and options:
            resolved = [_resolve(o, root) if isinstance(o, dict) else {} for o in options]
            chosen = next((o for o in resolved if _type_of(o) != "null"), resolved[0])
            return value_for(chosen, facts, name, root, depth)
    kind = _type_of(schema)
    if kind == "object":
        props = schema.get("properties", {}) if depth < _MAX_DEPTH else {}
        props = props if isinstance(props, dict) else {}
        required = [r for r in schema.get("required", []) if isinstance(r, str)]
        out = {}
        for key in dict.fromkeys([*required, *props]):
            prop = props.get(key, {})
            if key in required or facts.keyed(key) is not None or not isinstance(prop, dict) or "default" not in prop:
                out[key] = value_for(prop, facts, key, root, depth + 1)
            else:
                out[key] = prop["default"]
        return out
    if kind == "array":
        return _array(schema, facts, name, root, depth)
    if kind in ("integer", "number"):
        return _number(schema, name, facts, kind == "integer")
    if kind == "boolean":
        keyed = facts.keyed(name)
        return keyed.lower() in ("true", "yes", "1") if keyed else bool(set(words(name)) & set(words(facts.text)))
    if kind == "null":
        return None
    return _string(schema, name, facts)
