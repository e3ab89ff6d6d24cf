"""Constructor arguments of ``RoutedChatBedrock`` checked as given: unknown keywords, ``model=`` and the region.

Pydantic ignores a keyword it does not know, so ``temprature=0`` or ``model="amazon.nova-pro-v1:0"`` would be
dropped silently and the call would go to the default tier. These checks refuse them with the valid choices and
a near-miss suggestion; a region is checked against the regions botocore knows, so a typo is a region error at
construction rather than a credentials or connection error at the first call.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from functools import cache

from pydantic.fields import FieldInfo

from langchain_bedrock_routing.errors import InvalidRequestError

_MODEL_KEYWORDS = frozenset({"model", "model_id", "model_name"})
_MODEL_HINT = (
    "RoutedChatBedrock takes no {key}= argument: it chooses a model per request. List models per tier with "
    "tiers={{'simple': [...], 'medium': [...], 'complex': [...]}} (or preset='claude' / 'nova'), or pin one call "
    "with llm.invoke(..., model={value!r})"
)


def accepted_keywords(fields: Mapping[str, FieldInfo]) -> frozenset[str]:
    """Every keyword a pydantic model accepts: its field names and their aliases."""
    names = set(fields)
    for info in fields.values():
        names.update(a for a in (info.alias, info.validation_alias) if isinstance(a, str))
    return frozenset(names)


def check_keywords(given: Mapping[str, object], accepted: frozenset[str]) -> None:
    """Raise :class:`InvalidRequestError` for the first keyword not in ``accepted``: ``model=``-like ones point to
    ``tiers=`` and per-call ``model=``, ``ChatBedrockConverse`` settings to ``delegate_kwargs``; others name a near
    miss (``did you mean temperature?``) and the valid ones."""
    for key, value in given.items():
        if not isinstance(key, str) or key in accepted:
            continue
        if key in _MODEL_KEYWORDS:
            example = value if isinstance(value, str) else "amazon.nova-pro-v1:0"
            raise InvalidRequestError(_MODEL_HINT.format(key=key, value=example))
        if key in _delegate_keywords():
            raise InvalidRequestError(
                f"{key!r} is a ChatBedrockConverse setting, not a RoutedChatBedrock one: pass it to every tier's "
                f"model with delegate_kwargs={{{key!r}: ...}}"
            )
        raise InvalidRequestError(
            f"unknown argument {key!r} to RoutedChatBedrock{near_miss(key, accepted)}; "
            f"valid arguments: {', '.join(sorted(accepted))}"
        )


@cache
def _delegate_keywords() -> frozenset[str]:
    """The keywords of ``ChatBedrockConverse`` (the delegate of every tier)."""
    from langchain_aws import ChatBedrockConverse

    return accepted_keywords(ChatBedrockConverse.model_fields)


@cache
def known_regions() -> frozenset[str]:
    """Every region botocore's endpoint data lists, across partitions (aws, aws-cn, aws-us-gov ...).

    Bedrock Runtime's own region list is not in that data (its endpoints come from rules), so the partitions'
    regions are the widest list botocore can vouch for.
    """
    import botocore.session

    session = botocore.session.get_session()
    regions = set(session.get_available_regions("bedrock-runtime"))
    for partition in session.get_data("endpoints")["partitions"]:
        regions.update(partition["regions"])
    return frozenset(regions)


def check_region(region: object) -> None:
    """Raise :class:`InvalidRequestError` unless ``region`` is ``None`` or a region botocore knows."""
    if region is None:
        return
    regions = known_regions()
    if isinstance(region, str) and region in regions:
        return
    near = near_miss(region, regions) if isinstance(region, str) else ""
    raise InvalidRequestError(
        f"unknown AWS region {region!r}{near}; known regions: {', '.join(sorted(regions))} "
        "(a newer region needs a newer botocore)"
    )


def near_miss(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean X?)`` for the closest of ``choices`` to ``word``, else an empty string."""
    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.75)
    return f" (did you mean {close[0]}?)" if close else ""
