"""Keyed, deterministic choice of surrogate values.

Why HMAC: the same person must get the same surrogate in every document of a corpus processed
with the same key (so that records can still be linked), while nobody without the key can invert
or even test a guess. The choice is ``HMAC-SHA-256(key, kind:normalized value)`` reduced to an
index into a list of realistic French values; without a key, a random one is drawn per run, so
surrogates stay consistent within the run only.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import string

from bulle.text.gazetteers import first_names, first_names_by_gender, fold, surnames


class Keyed:
    """Deterministic choices derived from one key."""

    def __init__(self, key: bytes | None):
        self.key = key if key else os.urandom(32)

    def digest(self, kind: str, value: str) -> bytes:
        return hmac.new(self.key, f"{kind}:{value}".encode(), hashlib.sha256).digest()

    def number(self, kind: str, value: str) -> int:
        return int.from_bytes(self.digest(kind, value)[:8], "big")

    def pick(self, kind: str, value: str, pool: tuple[str, ...]) -> str:
        i = self.number(kind, value) % len(pool)
        if fold(pool[i]) == fold(value) and len(pool) > 1:
            i = (i + 1) % len(pool)
        return pool[i]

    def digits(self, kind: str, value: str, n: int) -> str:
        d = self.digest(kind, value)
        out = ""
        counter = 0
        while len(out) < n:
            out += "".join(str(b % 10) for b in d)
            counter += 1
            d = self.digest(kind, f"{value}#{counter}")
        return out[:n]

    def letters(self, kind: str, value: str, n: int, alphabet: str = string.ascii_uppercase) -> str:
        d = self.digest(kind, value)
        return "".join(alphabet[b % len(alphabet)] for b in d[:n])


def match_case(model: str, value: str) -> str:
    if model.isupper() and len(model) > 1:
        return value.upper()
    if model.islower():
        return value.lower()
    return value


def gender_of_first_name(word: str) -> str | None:
    key = fold(word)
    g = first_names().get(key)
    if g is None and "-" in key:
        g = first_names().get(key.split("-")[0])
    return g if g in ("m", "f") else None


def first_name(keyed: Keyed, original: str, gender: str | None) -> str:
    pools = first_names_by_gender()
    g = (
        gender
        if gender in ("m", "f")
        else ("m" if keyed.number("gender", fold(original)) % 2 else "f")
    )
    return match_case(original, keyed.pick(f"first:{g}", fold(original), pools[g]))


def surname(keyed: Keyed, original: str) -> str:
    return match_case(original, keyed.pick("surname", fold(original), surnames()))
