"""The one entity type every part of text de-identification exchanges.

Why a small frozen dataclass rather than Presidio's ``RecognizerResult``: results cross process
boundaries (pickled from workers), are written to JSONL and compared in tests; a plain, hashable
value with code-point offsets keeps all of that trivial and independent of Presidio's versions.
"""

from __future__ import annotations

from dataclasses import dataclass

LABELS: tuple[str, ...] = (
    "PERSON",
    "LOCATION",
    "ORGANIZATION",
    "DATE",
    "EMAIL",
    "PHONE",
    "NIR",
    "IBAN",
    "SIREN",
    "SIRET",
    "CREDIT_CARD",
    "IP_ADDRESS",
    "URL",
    "LICENSE_PLATE",
    "RECORD_ID",
)


@dataclass(frozen=True, slots=True)
class Entity:
    """A span of personal data: ``text[start:end]`` (code points, end exclusive) and its label."""

    start: int
    end: int
    label: str
    score: float = 1.0
    source: str = ""

    def to_dict(self) -> dict[str, object]:
        return {"start": self.start, "end": self.end, "label": self.label}

    def shifted(self, offset: int) -> Entity:
        return Entity(self.start + offset, self.end + offset, self.label, self.score, self.source)

    def with_span(self, start: int, end: int) -> Entity:
        return Entity(start, end, self.label, self.score, self.source)

    def with_label(self, label: str) -> Entity:
        return Entity(self.start, self.end, label, self.score, self.source)
