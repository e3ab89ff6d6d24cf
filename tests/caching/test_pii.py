"""The PII detector: issue 12's formats, the development set, and the rules that keep ordinary numbers out.

Its recall and false-positive rate are measured on a held-out set by ``python -m evals.pii``, not here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from langchain_core.load import dumps
from langchain_core.messages import HumanMessage
from langchain_core.outputs import Generation

from langchain_bedrock_routing.caching import CachePolicy
from langchain_bedrock_routing.caching.pii import card_length_fits, contains_pii, find_pii, iban_valid, luhn_valid

ROOT = Path(__file__).parents[2]
ISSUE_12 = [
    json.loads(line) for line in (ROOT / "tests" / "data" / "pii_issue12.jsonl").read_text("utf-8").splitlines()
]
DEV = [json.loads(line) for line in (ROOT / "evals" / "data" / "pii_dev.jsonl").read_text("utf-8").splitlines()]
NANP_SHAPED = "the number 3141592653"
"""The development set's one known false positive: any 10 digits shaped like a North American number count."""


@pytest.mark.parametrize("row", ISSUE_12, ids=lambda row: row["value"])
def test_every_issue_12_format_is_found_as_its_kind(row: dict[str, str]):
    assert find_pii(f"My {row['label']} is {row['value']}, please help.") == row["kind"]


@pytest.mark.parametrize("row", [r for r in DEV if r["kind"] != "none"], ids=lambda row: row["text"])
def test_development_set_pii_is_found_as_its_kind(row: dict[str, str]):
    assert find_pii(row["text"]) == row["kind"]


@pytest.mark.parametrize("row", [r for r in DEV if r["kind"] == "none"], ids=lambda row: row["text"])
def test_development_set_ordinary_text_is_not_pii(row: dict[str, str]):
    assert contains_pii(row["text"]) is (row["text"] == NANP_SHAPED)


@pytest.mark.parametrize(
    "text",
    [
        "order 219099999 shipped",  # nine bare digits need an SSN word before them
        "NI number DA 12 34 56 C",  # D, F, I, Q, U, V never start a NINO; BG, GB, NK, KN, TN, NT, ZZ unused
        "NI number GB 12 34 56 C",
        "NI number AB 12 34 56 E",  # the suffix is A to D
        "IBAN DE89 3704 0044 0532 0130 01",  # mod-97 fails
        "IBAN XX89 3704 0044 0532 0130 00",  # no such country
        "card 1111 1111 1111 1117",  # Luhn-valid, but no payment card starts with 1, 7, 8 or 9
        "card 3704 0044 0532 0130 9",  # Luhn-valid, but an Amex number (34, 37) has 15 digits
        "card 4111 1111 1111 1112",  # Luhn fails
        "on 2024-03-15 at 10:30 and 15.03.2024",  # dates and times
        "ISBN 0-306-40615-2",
        "the years 1984 1990 2001",
        "user@localhost and @decorator",
    ],
)
def test_the_rules_keep_lookalikes_out(text: str):
    assert not contains_pii(text)


@pytest.mark.parametrize("number", ["000-12-3456", "666-12-3456", "900-12-3456", "219-00-9999", "219-09-0000"])
def test_ssns_the_ssa_never_issues_are_not_ssns(number: str):
    """Area 000, 666 and 9xx, group 00 and serial 0000 are never issued (some still read as phone numbers)."""
    assert find_pii(f"SSN {number}") != "ssn"


@pytest.mark.parametrize(
    "text",
    [
        "ｍａｉｌ ｍｅ ａｔ ｊａｎｅ＠ｅｘａｍｐｌｅ．ｃｏｍ",  # noqa: RUF001  (fullwidth everything: NFKC first)
        "SSN：２１９－０９－９９９９",  # noqa: RUF001  (fullwidth digits and hyphens)
        "call +254 712 345678",  # any country with +, not only the national formats of PHONE_REGIONS
        "call 00254 712 345678",
        "mobile +1 555 123 4567 then",
    ],
)
def test_normalised_and_international_forms_are_found(text: str):
    assert contains_pii(text)


def test_pii_deep_inside_long_text_keeps_its_context():
    """The numeric detectors see only the text near digits; a context word within reach still counts."""
    filler = "All quiet on the western front. " * 200
    assert find_pii(f"{filler}For the form, my SSN is 219099999.{filler}") == "ssn"
    assert find_pii(f"{filler}my SSN is{' ' * 40}219099999{filler}") is None  # the word is out of reach


def test_a_pii_answer_is_skipped_for_a_clean_prompt():
    prompt = dumps([HumanMessage("Who do I write to?")])
    policy = CachePolicy(skip_pii=True)
    assert policy.skip_reason(prompt, [Generation(text="Write to jane\uff20example.com")]) == "pii"
    assert policy.skip_reason(prompt, [Generation(text="Write to the support desk")]) is None


def test_luhn_iban_and_card_length_checks():
    assert luhn_valid("79927398713")
    assert not luhn_valid("79927398710")
    assert card_length_fits("378282246310005")
    assert not card_length_fits("3782822463100050")
    assert iban_valid("gb82 west 1234 5698 7654 32")
    assert not iban_valid("GB82WEST12345698765433")
    assert not iban_valid("GB82WEST123456")  # shorter than a GB IBAN
