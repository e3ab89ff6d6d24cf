"""Personal data in free text: e-mails, phone numbers, US SSNs, UK NINOs, IBANs and payment cards.

Text is NFKC-normalised first (the fullwidth at sign, digits and letters become ASCII). Phone numbers are
judged by Google's libphonenumber (the ``phonenumbers`` package, offline metadata): numbers written
with ``+``/``00`` in any country, national formats in :data:`PHONE_REGIONS`, and 10-digit North
American numbers. Recall and false positives are measured by ``python -m evals.pii`` (see the README).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable
from typing import Literal

import phonenumbers
from phonenumbers import Leniency, PhoneNumberMatcher

PiiKind = Literal["email", "phone", "ssn", "nino", "iban", "card"]

PHONE_REGIONS = (
    *("AR", "AU", "BR", "CA", "CN", "DE", "FR", "GB", "ID", "IN", "IT", "JP", "KR", "MX", "RU", "SA", "TR"),
    *("US", "ZA", "ES", "PL", "RO", "NL", "BE", "CZ", "SE", "PT", "GR", "HU"),
)
"""Regions whose national phone formats (no ``+`` country code) are recognised: the G20 countries and the
ten most populous other EU states. Numbers with ``+``/``00`` and a country code are found for any country."""

_U = r"[^\x00-\x7f\s\u2000-\u206f\u3000-\u303f\ufe30-\ufe4f\uff00-\uffef]"  # a non-ASCII letter, digit or mark
_EMAIL = re.compile(
    rf"(?:[\w!#$%&'*+/=?^`{{|}}~-]|{_U})(?:[\w.!#$%&'*+/=?^`{{|}}~-]|{_U})*"  # local part
    rf"@(?:(?:[A-Za-z0-9]|{_U})(?:[A-Za-z0-9-]|{_U})*\.)+"  # domain labels
    rf"(?:xn--[A-Za-z0-9-]+|(?:[A-Za-z]|{_U}){{2,}})"  # top-level domain
)
_SSN_GROUPED = re.compile(r"(?<![\d.-])(?!000|666|9\d\d)\d{3}([ .-])(?!00)\d{2}\1(?!0000)\d{4}(?![\d-]|\.\d)")
_SSN_BARE = re.compile(r"(?<![\d.-])(?!000|666|9\d\d)\d{3}(?!00)\d{2}(?!0000)\d{4}(?![\d-]|\.\d)")
_SSN_CONTEXT = re.compile(r"\b(?:ssn|ss\s*#|ss\s*no|social(?:\s+security|\s+sec)?|tax\s*id|tin)\b", re.IGNORECASE)
_NINO = re.compile(
    r"(?<![A-Za-z0-9])(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]"
    r"([ -]?)\d{2}\1\d{2}\1\d{2}\1[A-D](?![A-Za-z0-9])",
    re.IGNORECASE,
)
_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]){11,30}")
_IBAN_LENGTHS = {
    entry[:2]: int(entry[2:])
    for line in (
        "AD24 AE23 AL28 AT20 AZ28 BA20 BE16 BG22 BH22 BR29 BY28 CH21 CR22 CY28 CZ24 DE22 DK18 DO28 EE20 EG29",
        "ES24 FI18 FO18 FR27 GB22 GE22 GI23 GL18 GR27 GT28 HR21 HU28 IE22 IL23 IQ23 IS26 IT27 JO30 KW30 KZ20",
        "LB28 LC32 LI21 LT20 LU20 LV21 MC27 MD24 ME22 MK19 MR27 MT31 MU30 NL18 NO15 PK24 PL28 PS29 PT25 QA29",
        "RO24 RS22 SA24 SC31 SE24 SI19 SK24 SM27 ST25 SV28 TL23 TN24 TR26 UA29 VA22 VG24 XK20",
    )
    for entry in line.split(" ")
}
"""IBAN length per country (ISO 13616 registry)."""
_CARD = re.compile(r"(?<![\d.-])[2-6](?:[ -]?\d){12,18}(?![\d-]|\.\d)")
_PHONE_SPAN = re.compile(r"\+?\(?\d(?:[ .\-/()]{1,3}\d|\d)+")
_NANP = re.compile(r"(?<![\d+.-])(?:\+?1[ .-]?)?\(?[2-9]\d{2}\)?[ .-]?\d{3}[ .-]?\d{4}(?![\d-]|\.\d)")
_NOT_PHONES = re.compile(  # ISBNs, calendar dates (2024-03-15, 15.03.2024, 3/15/24) and clock times
    r"\bISBN(?:-1[03])?:?\s*(?:97[89][ -]?)?(?:\d[ -]?){9}[\dX]\b"
    r"|(?<![\d.:/-])(?:\d{4}([./-])\d{1,2}\1\d{1,2}|\d{1,2}([./-])\d{1,2}\2\d{2,4})(?!\d|[./-]\d)"
    r"|(?<![\d.:])\d{1,2}:\d{2}(?::\d{2})?(?![\d:])",
    re.IGNORECASE,
)
_MOBILE = frozenset({phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE})
_DIGITS = re.compile(r"\d+")
_DIGIT_REACH = 48  # characters kept either side of a digit for the numeric detectors (their patterns, context words)
_PHONE_WINDOW = 24  # characters of context either side of a span given to the matcher (dates, times, words)
_LENIENCY = Leniency.STRICT_GROUPING


def normalise(text: str) -> str:
    """``text`` in Unicode NFKC form: fullwidth and other compatibility characters become their plain forms."""
    return unicodedata.normalize("NFKC", text)


def luhn_valid(digits: str) -> bool:
    """True when the digit string passes the Luhn checksum used by payment card numbers."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def iban_valid(text: str) -> bool:
    """True when ``text`` (spaces ignored, any case) starts with an IBAN of its country's length passing mod-97."""
    compact = text.replace(" ", "").upper()
    length = _IBAN_LENGTHS.get(compact[:2])
    if length is None or len(compact) < length:
        return False
    iban = compact[:length]
    if not iban.isalnum() or not iban.isascii():
        return False
    return int("".join(str(int(ch, 36)) for ch in iban[4:] + iban[:4])) % 97 == 1


def _has_email(text: str) -> bool:
    return "@" in text and _EMAIL.search(text) is not None


def _has_ssn(text: str) -> bool:
    if _SSN_GROUPED.search(text):
        return True
    return any(_SSN_CONTEXT.search(text, max(0, m.start() - 32), m.start()) for m in _SSN_BARE.finditer(text))


def _has_nino(text: str) -> bool:
    return _NINO.search(text) is not None


def _has_iban(text: str) -> bool:
    return any(iban_valid(m.group()) for m in _IBAN.finditer(text))


def card_length_fits(digits: str) -> bool:
    """True when the number's length is one its issuer range uses (ISO/IEC 7812: Visa 13/16/19, Amex 15,
    Mastercard 51-55 16, other 2/3/5/6 ranges (Mir, Diners, JCB, Maestro, Discover, UnionPay) 14-19)."""
    if digits[0] == "4":
        return len(digits) in (13, 16, 19)
    if digits[:2] in ("34", "37"):
        return len(digits) == 15
    if "51" <= digits[:2] <= "55":
        return len(digits) == 16
    return 14 <= len(digits) <= 19 and digits[0] in "2356"


def _has_card(text: str) -> bool:
    for match in _CARD.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if card_length_fits(digits) and luhn_valid(digits):
            return True
    return False


@functools.cache
def _mobile_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """``(region, mobile-number pattern)`` for :data:`PHONE_REGIONS` (loaded on first use: the metadata is lazy)."""
    found = []
    for region in PHONE_REGIONS:
        meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
        if meta is not None and meta.mobile is not None and meta.mobile.national_number_pattern:
            found.append((region, re.compile(meta.mobile.national_number_pattern)))
    return tuple(found)


@functools.lru_cache(maxsize=4096)
def _valid_regions(span: str) -> tuple[str, ...]:
    """The regions of :data:`PHONE_REGIONS` where ``span`` is a valid number; an unbroken run of digits
    without a trunk prefix ``0`` (the most ambiguous form: order and reference numbers) only where it is a mobile."""
    if not span.isdigit() or span.startswith("0"):
        return tuple(region for region in PHONE_REGIONS if _valid_in(span, region, mobile_only=False))
    # only regions whose mobile pattern fits, with up to a 2-digit national prefix cut: a cheap necessary condition
    shaped = [
        region for region, pattern in _mobile_patterns() if any(pattern.fullmatch(span[cut:]) for cut in range(3))
    ]
    return tuple(region for region in shaped if _valid_in(span, region, mobile_only=True))


def _valid_in(span: str, region: str, *, mobile_only: bool) -> bool:
    try:
        number = phonenumbers.parse(span, region)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(number) and (not mobile_only or phonenumbers.number_type(number) in _MOBILE)


def _possible_international(span: str) -> bool:
    """True when ``span`` (starting with ``+``) has a known country code and a possible length for it."""
    try:
        return phonenumbers.is_possible_number(phonenumbers.parse(span, None))
    except phonenumbers.NumberParseException:
        return False


def _has_phone(text: str) -> bool:
    text = _NOT_PHONES.sub(" ", text)
    if _NANP.search(text):
        return True
    for match in _PHONE_SPAN.finditer(text):
        span = match.group()
        digits = sum(ch.isdigit() for ch in span)
        if digits < 7:
            continue
        if digits <= 15 and span.startswith("+") and _possible_international(span):
            return True
        window = text[max(0, match.start() - _PHONE_WINDOW) : match.end() + _PHONE_WINDOW]
        regions = PHONE_REGIONS if digits > 15 else _valid_regions(span)
        if any(True for region in regions for _ in PhoneNumberMatcher(window, region, leniency=_LENIENCY)):
            return True
    return False


def near_digits(text: str) -> str:
    """The parts of ``text`` within 48 characters of a digit, overlapping parts merged, one per line: all the
    numeric detectors need to see (their patterns and context words sit within that reach and never span lines)."""
    parts: list[list[int]] = []
    for match in _DIGITS.finditer(text):
        start, end = max(0, match.start() - _DIGIT_REACH), match.end() + _DIGIT_REACH
        if parts and start <= parts[-1][1]:
            parts[-1][1] = end
        else:
            parts.append([start, end])
    return "\n".join(text[start:end] for start, end in parts)


_NUMERIC_DETECTORS: tuple[tuple[PiiKind, Callable[[str], bool]], ...] = (
    ("ssn", _has_ssn),
    ("nino", _has_nino),
    ("iban", _has_iban),
    ("card", _has_card),
    ("phone", _has_phone),
)


def find_pii(text: str) -> PiiKind | None:
    """The first kind of personal data found in ``text`` (after NFKC normalisation), or ``None``."""
    text = normalise(text)
    if _has_email(text):
        return "email"
    numeric = near_digits(text)
    return next((kind for kind, found in _NUMERIC_DETECTORS if found(numeric)), None)


def contains_pii(text: str) -> bool:
    """True when ``text`` holds an e-mail, a phone number, a US SSN, a UK NINO, an IBAN or a Luhn-valid card."""
    return find_pii(text) is not None
