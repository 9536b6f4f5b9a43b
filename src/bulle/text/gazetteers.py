"""Word lists shipped with Bulle (``data/``), loaded once per process.

Why lists at all: spaCy's French model misses first names alone, lower-cased words from
automatic transcription and many French institutions; a first name with its gender also lets
surrogates keep the gender visible in the text.
"""

from __future__ import annotations

import unicodedata
from functools import cache, lru_cache
from importlib import resources


def _lines(name: str) -> list[str]:
    text = resources.files("bulle.text").joinpath("data", name).read_text(encoding="utf-8")
    return [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]


def gazetteer_words(name: str) -> list[str]:
    return [w for ln in _lines(name) for w in ln.split()]


@lru_cache(maxsize=200_000)
def fold(value: str) -> str:
    """Lower case without accents: how names are compared (transcripts drop accents too)."""
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("’", "'")


@cache
def first_names() -> dict[str, str]:
    """Folded first name -> gender ('m', 'f' or 'u')."""
    out: dict[str, str] = {}
    for ln in _lines("first_names.tsv"):
        name, _, gender = ln.partition("\t")
        key = fold(name)
        out[key] = "u" if key in out and out[key] != gender else gender
    return out


@cache
def first_names_by_gender() -> dict[str, tuple[str, ...]]:
    """Surrogate pools: original spelling, sorted, per gender (ambiguous names excluded)."""
    pools: dict[str, list[str]] = {"m": [], "f": []}
    seen: set[str] = set()
    for ln in _lines("first_names.tsv"):
        name, _, gender = ln.partition("\t")
        key = fold(name)
        if key in seen or gender not in pools:
            continue
        seen.add(key)
        pools[gender].append(name)
    return {g: tuple(sorted(v)) for g, v in pools.items()}


@cache
def ambiguous_first_names() -> frozenset[str]:
    return frozenset(fold(w) for w in gazetteer_words("ambiguous_first_names.txt"))


@cache
def surnames() -> tuple[str, ...]:
    return tuple(_lines("surnames.txt"))


@cache
def folded_surnames() -> frozenset[str]:
    return frozenset(fold(s) for s in surnames())


@cache
def public_figures() -> tuple[str, ...]:
    return tuple(_lines("public_figures.txt"))


@cache
def places() -> tuple[str, ...]:
    return tuple(dict.fromkeys(_lines("places.txt")))


@cache
def organizations() -> tuple[str, ...]:
    return tuple(dict.fromkeys(_lines("organizations.txt")))


@cache
def org_acronyms() -> frozenset[str]:
    return frozenset(gazetteer_words("acronyms_org.txt"))


@cache
def not_org_acronyms() -> frozenset[str]:
    return frozenset(gazetteer_words("not_org_acronyms.txt"))


@cache
def not_names() -> frozenset[str]:
    return frozenset(fold(w) for w in gazetteer_words("not_names.txt"))


@cache
def place_keys() -> frozenset[str]:
    return frozenset(fold(p) for p in places())
