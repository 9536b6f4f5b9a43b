"""Data subjects, consents, objections, and the fold that says what holds at a given instant.

Consent is never a flag that gets overwritten: each given or withdrawn consent is an event with
its time and its source, so Bulle can answer "did this person consent to this purpose when that
read happened?" long after the fact, and a withdrawal takes effect on the next read without
rewriting anything. The state at instant t is the last event at or before t; events at the same
instant are ordered as recorded (the later one wins), which is how a form submitted twice in the
same second is read.

``bulle.governance.consent_ledger`` answers the same question for a whole population at once.

An objection (art. 21) stands from the moment it is lodged; Bulle does not model the controller's
"compelling legitimate grounds" that could override it, so an objection always excludes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bulle.domain.governance_fields import Checker, iso, set_fields


class ConsentStatus(StrEnum):
    GIVEN = "given"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class DataSubject:
    """A person, known to Bulle only by a pseudonymous id (the value of a dataset's subject column)."""

    id: str

    def __post_init__(self) -> None:
        c = Checker("data subject")
        c.subject_id(self.id, "id")
        c.done()


@dataclass(frozen=True)
class Consent:
    """One consent event: ``subject_id`` gave or withdrew consent to ``purpose`` at ``at``."""

    subject_id: str
    purpose: str
    status: ConsentStatus
    at: dt.datetime
    source: str

    def __post_init__(self) -> None:
        c = Checker(f"consent of {self.subject_id!r} to {self.purpose!r}")
        c.subject_id(self.subject_id, "subject_id")
        c.name(self.purpose, "purpose")
        status = c.enum(ConsentStatus, self.status, "status")
        at = c.instant(self.at, "at")
        c.text(self.source, "source")
        c.done()
        set_fields(self, status=status, at=at)

    @property
    def given(self) -> bool:
        return self.status is ConsentStatus.GIVEN

    def to_dict(self) -> dict[str, Any]:
        return {
            "subject_id": self.subject_id,
            "purpose": self.purpose,
            "status": self.status.value,
            "at": iso(self.at),
            "source": self.source,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Consent:
        return cls(
            data.get("subject_id"),
            data.get("purpose"),
            data.get("status"),  # type: ignore[arg-type]
            data.get("at"),
            data.get("source", ""),
        )  # type: ignore[arg-type]


@dataclass(frozen=True)
class Objection:
    """``subject_id`` objected to processing for ``purpose`` from ``at`` on (art. 21)."""

    subject_id: str
    purpose: str
    at: dt.datetime
    source: str

    def __post_init__(self) -> None:
        c = Checker(f"objection of {self.subject_id!r} to {self.purpose!r}")
        c.subject_id(self.subject_id, "subject_id")
        c.name(self.purpose, "purpose")
        at = c.instant(self.at, "at")
        c.text(self.source, "source")
        c.done()
        set_fields(self, at=at)

    def to_dict(self) -> dict[str, Any]:
        return {
            "subject_id": self.subject_id,
            "purpose": self.purpose,
            "at": iso(self.at),
            "source": self.source,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Objection:
        return cls(
            data.get("subject_id"),
            data.get("purpose"),
            data.get("at"),  # type: ignore[arg-type]
            data.get("source", ""),
        )


def consent_state(
    events: Iterable[Consent], subject_id: str, purpose: str, at: dt.datetime
) -> ConsentStatus | None:
    """The fold, stated plainly: the last of this subject's events for this purpose at or before ``at``.

    ``None`` means the person never expressed a choice by then (which, for a consent basis, means
    no consent).
    """
    at = _utc(at)
    state: ConsentStatus | None = None
    best: dt.datetime | None = None
    for event in events:
        if event.subject_id != subject_id or event.purpose != purpose or event.at > at:
            continue
        if (
            best is None or event.at >= best
        ):  # ">=": a later-recorded event at the same instant wins
            best, state = event.at, event.status
    return state


def _utc(at: dt.datetime) -> dt.datetime:
    c = Checker("instant")
    value = c.instant(at, "at")
    c.done()
    assert value is not None
    return value
