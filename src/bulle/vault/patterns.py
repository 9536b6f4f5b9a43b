"""Value patterns with their checksums: shared by column classification and normalization."""

from __future__ import annotations

import re

from bulle.text.checksums import iban_valid, nir_valid

_EMAIL = re.compile(r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
_PHONE = re.compile(r"^(?:(?:\+|00)33[\s.-]?(?:\(0\))?|0)[1-9](?:[\s.-]?\d{2}){4}$")
_NIR = re.compile(
    r"^[12378]\s?\d{2}\s?(?:0[1-9]|1[0-2]|[2-9]\d)\s?(?:\d{2}|2[AB])\s?\d{3}\s?\d{3}\s?(\d{2})$",
    re.I,
)
_ICD10 = re.compile(r"^[A-TV-Z]\d{2}(?:\.?\d{1,2})?$")


def is_email(v: str) -> bool:
    return bool(_EMAIL.match(v.strip()))


def is_french_phone(v: str) -> bool:
    return bool(_PHONE.match(v.strip()))


def nir_digits(v: str) -> str:
    """Digits of a NIR, with Corsica's 2A/2B kept as letters."""
    return re.sub(r"[^0-9ABab]", "", v).upper()


def is_nir(v: str) -> bool:
    return bool(_NIR.match(v.strip())) and nir_valid(v)


def is_iban(v: str) -> bool:
    return iban_valid(re.sub(r"\s", "", v).upper())


def is_icd10(v: str) -> bool:
    return bool(_ICD10.match(v.strip()))
