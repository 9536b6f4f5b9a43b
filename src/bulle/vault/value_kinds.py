"""What a column holds, read from its values when its name says nothing (``c1``, ``col_7``).

A column's name is a hint a custodian can lose on export; the values are what identifies people.
The French text recognizers of :mod:`bulle.text` (used through their registry, the same ones that
de-identify notes) read a bounded sample of distinct values: personal names and first names,
postal addresses, e-mails, telephone numbers, dates and places. Postcodes have no recognizer of
their own (a bare five-digit number is a postcode only by its shape), so a pattern checks them.

The sample is bounded (:data:`MAX_VALUES` distinct values per column), the recognizers are built
once per process and run without the spaCy model, so profiling stays fast (see docs/workspace.md
for the measured cost). Name-like lists are incomplete (rare surnames, ambiguous first names such
as "Camille"), so a column is called a name column when at least half of its distinct values are
recognized; stricter shapes (e-mails, phones, dates, postcodes) need most of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from bulle.settings import default

MAX_VALUES: int = default("profile.kind_values")  # distinct sampled values read per column
MAX_LENGTH = 100  # longer cells are text (notes), not one value of a kind
RECOGNIZERS = ("email", "phone", "date", "loc_address", "loc_gazetteer", "first_name", "surname")
# A bare name has no sentence around it; the surname list only fires inside a sentence, so the
# value is read after a neutral lower-case word, as it would appear in a note.
NAME_FRAME = "et "

# French postcodes: metropolitan departments 01-95 (Corsica 20xxx), overseas 971-976 and 984-989.
_POSTCODE = re.compile(r"^(?:0[1-9]|[1-8]\d|9[0-5])\d{3}$|^97[1-6]\d{2}$|^98[4-9]\d{2}$")


@dataclass(frozen=True)
class ValueKind:
    """A kind of value: the entity the recognizers report and the share of values needed."""

    name: str
    what: str
    share: float


# Checked in this order; the first kind reaching its share wins.
KINDS = (
    ValueKind("email", "e-mail addresses", 0.8),
    ValueKind("phone", "telephone numbers", 0.8),
    ValueKind("date", "dates", 0.8),
    ValueKind("address", "postal addresses", 0.5),
    ValueKind("postcode", "French postcodes", 0.8),
    ValueKind("name", "personal names or first names", 0.5),
    ValueKind("place", "place names (towns, departments, countries)", 0.8),
)


def is_french_postcode(value: str) -> bool:
    return bool(_POSTCODE.match(value.strip()))


@cache
def _recognizers() -> tuple[Any, ...]:
    from bulle.text import registry
    from bulle.text.config import DetectorConfig

    return tuple(registry.build(DetectorConfig(recognizers=RECOGNIZERS)))


def _covered(spans: Iterable[tuple[int, int]], start: int, end: int) -> int:
    """Characters of ``[start, end)`` covered by the spans."""
    marks = [False] * (end - start)
    for s, e in spans:
        for i in range(max(s, start), min(e, end)):
            marks[i - start] = True
    return sum(marks)


_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")


def kinds_of(value: str) -> set[str]:
    """The kinds one value is recognized as (a value can be several, e.g. a name and a place)."""
    v = value.strip()
    if not v or len(v) > MAX_LENGTH:
        return set()
    found: set[str] = set()
    if is_french_postcode(v):
        found.add("postcode")
    if _PLAIN_NUMBER.fullmatch(v):
        # a plain number is no name, address, e-mail or place, and phone numbers are matched by
        # their own pattern before this: the recognizers (and the text stack they import, which a
        # 10,000-column numeric table could not afford under a 1 GiB address space) are not needed
        return found
    text = NAME_FRAME + v
    start, end = len(NAME_FRAME), len(text)
    spans: dict[str, list[tuple[int, int]]] = {}
    for recognizer in _recognizers():
        for r in recognizer.analyze(text, [], None):
            spans.setdefault(_kind(recognizer.name, r.entity_type), []).append((r.start, r.end))
    length = end - start
    for kind, need in (
        ("email", 1.0),
        ("phone", 1.0),
        ("date", 1.0),
        ("place", 1.0),
        ("address", 0.5),
        ("name", 0.5),
    ):
        if kind in spans and _covered(spans[kind], start, end) >= need * length:
            found.add(kind)
    return found


def _kind(recognizer: str, entity: str) -> str:
    if entity == "EMAIL_ADDRESS" or entity == "EMAIL":
        return "email"
    if entity.startswith("PHONE"):
        return "phone"
    if entity == "DATE":
        return "date"
    if entity == "PERSON":
        return "name"
    if entity == "LOCATION":
        return "address" if "address" in recognizer else "place"
    return entity.lower()


def detect(
    sample: Iterable[Any], max_values: int = MAX_VALUES
) -> tuple[ValueKind, int, int] | None:
    """The kind most sampled distinct values share, with (hits, distinct values read); at most
    ``max_values`` distinct values are read (the workspace's ``profile.kind_values``)."""
    distinct = list(
        dict.fromkeys(str(s).strip() for s in sample if s is not None and str(s).strip())
    )
    distinct = distinct[:max_values]
    if not distinct:
        return None
    counts: dict[str, int] = {}
    for v in distinct:
        for kind in kinds_of(v):
            counts[kind] = counts.get(kind, 0) + 1
    for kind in KINDS:
        hits = counts.get(kind.name, 0)
        if hits and hits / len(distinct) >= kind.share:
            return kind, hits, len(distinct)
    return None
