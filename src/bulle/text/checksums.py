"""Checksums of French and international identifiers.

Why they matter: a nine-digit number is a SIREN only if its Luhn key holds; checking it is what
keeps phone fragments, amounts and case numbers from being taken for identifiers (precision), and
what lets a valid one be trusted without context words (recall).
"""

from __future__ import annotations

LA_POSTE_SIREN = "356000000"


def only_alnum(value: str) -> str:
    return "".join(c for c in value if c.isalnum()).upper()


def luhn_valid(number: str) -> bool:
    if not number.isdigit() or not number:
        return False
    total = 0
    for i, c in enumerate(reversed(number)):
        d = int(c)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def siren_valid(value: str) -> bool:
    v = only_alnum(value)
    return len(v) == 9 and luhn_valid(v)


def siret_valid(value: str) -> bool:
    """Luhn on 14 digits; La Poste's establishments follow their own rule (digit sum % 5)."""
    v = only_alnum(value)
    if len(v) != 14 or not v.isdigit():
        return False
    if v.startswith(LA_POSTE_SIREN) and v != LA_POSTE_SIREN + "00001":
        return sum(int(c) for c in v) % 5 == 0
    return luhn_valid(v)


def nir_key(body13: str) -> int:
    """The NIR control key: 97 - (n mod 97), Corsica's 2A and 2B read as 19 and 18."""
    body = body13.upper().replace("2A", "19").replace("2B", "18")
    return 97 - int(body) % 97


def nir_valid(value: str) -> bool:
    v = only_alnum(value)
    if len(v) != 15 or not v[13:].isdigit():
        return False
    body = v[:13]
    if v[0] not in "12345678":
        return False
    if not (
        body.isdigit() or (body[:5].isdigit() and body[5:7] in ("2A", "2B") and body[7:].isdigit())
    ):
        return False
    return nir_key(body) == int(v[13:])


def iban_valid(value: str) -> bool:
    v = only_alnum(value)
    if len(v) < 15 or len(v) > 34 or not v[:2].isalpha() or not v[2:4].isdigit():
        return False
    moved = v[4:] + v[:4]
    try:
        return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1
    except ValueError:
        return False
