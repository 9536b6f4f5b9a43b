"""Data subjects, consents, objections, and the fold that says what holds at a given instant.

Consent is never a flag that gets overwritten: each given or withdrawn consent is an event with
its time and its source, so Bulle can answer "did this person consent to this purpose when that
read happened?" long after the fact, and a withdrawal takes effect on the next read without
rewriting anything. The state at instant t is the last event at or before t; events at the same
instant are ordered as recorded (the later one wins), which is how a form submitted twice in the
same second is read.

An objection (art. 21) stands from the moment it is lodged; Bulle does not model the controller's
"compelling legitimate grounds" that could override it, so an objection always excludes.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
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
        return {"subject_id": self.subject_id, "purpose": self.purpose, "status": self.status.value,
                "at": iso(self.at), "source": self.source}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Consent:
        return cls(data.get("subject_id"), data.get("purpose"), data.get("status"),  # type: ignore[arg-type]
                   data.get("at"), data.get("source", ""))  # type: ignore[arg-type]


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
        return {"subject_id": self.subject_id, "purpose": self.purpose, "at": iso(self.at),
                "source": self.source}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Objection:
        return cls(data.get("subject_id"), data.get("purpose"), data.get("at"),  # type: ignore[arg-type]
                   data.get("source", ""))


def consent_state(events: Iterable[Consent], subject_id: str, purpose: str,
                  at: dt.datetime) -> ConsentStatus | None:
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
        if best is None or event.at >= best:  # ">=": a later-recorded event at the same instant wins
            best, state = event.at, event.status
    return state


class ConsentLedger:
    """Consents and objections indexed so that the fold over a million people stays cheap.

    Events are kept per purpose sorted by time (stable, so recording order breaks ties); the
    consenting set at t is the last status per person among the events before the cut, computed
    with a dict built at C speed rather than a Python loop.
    """

    def __init__(self, consents: Iterable[Consent] = (), objections: Iterable[Objection] = ()) -> None:
        self._consents: tuple[Consent, ...] = tuple(consents)
        self._objections: tuple[Objection, ...] = tuple(objections)
        by_purpose: dict[str, list[Consent]] = {}
        for event in self._consents:
            by_purpose.setdefault(event.purpose, []).append(event)
        self._c_times: dict[str, list[dt.datetime]] = {}
        self._c_subjects: dict[str, list[str]] = {}
        self._c_given: dict[str, list[bool]] = {}
        for purpose, events in by_purpose.items():
            events.sort(key=lambda e: e.at)  # stable: same instant keeps recording order
            self._c_times[purpose] = [e.at for e in events]
            self._c_subjects[purpose] = [e.subject_id for e in events]
            self._c_given[purpose] = [e.status is ConsentStatus.GIVEN for e in events]
        o_by_purpose: dict[str, list[Objection]] = {}
        for objection in self._objections:
            o_by_purpose.setdefault(objection.purpose, []).append(objection)
        self._o_times: dict[str, list[dt.datetime]] = {}
        self._o_subjects: dict[str, list[str]] = {}
        for purpose, objections_ in o_by_purpose.items():
            objections_.sort(key=lambda o: o.at)
            self._o_times[purpose] = [o.at for o in objections_]
            self._o_subjects[purpose] = [o.subject_id for o in objections_]

    @classmethod
    def of(cls, consents: ConsentLedger | Iterable[Consent] = (),
           objections: Iterable[Objection] | None = None) -> ConsentLedger:
        """Reuse a ledger as is, or index raw events (objections may come with the ledger)."""
        if isinstance(consents, ConsentLedger):
            if objections is None:
                return consents
            return cls(consents.consents, objections)
        return cls(consents, objections or ())

    @property
    def consents(self) -> tuple[Consent, ...]:
        return self._consents

    @property
    def objections(self) -> tuple[Objection, ...]:
        return self._objections

    def state(self, subject_id: str, purpose: str, at: dt.datetime) -> ConsentStatus | None:
        at = _utc(at)
        times = self._c_times.get(purpose, [])
        cut = bisect_right(times, at)
        subjects, given = self._c_subjects.get(purpose, []), self._c_given.get(purpose, [])
        for i in range(cut - 1, -1, -1):
            if subjects[i] == subject_id:
                return ConsentStatus.GIVEN if given[i] else ConsentStatus.WITHDRAWN
        return None

    def consenting(self, purpose: str, at: dt.datetime) -> frozenset[str]:
        """People whose consent to ``purpose`` is given and not withdrawn at ``at``."""
        at = _utc(at)
        times = self._c_times.get(purpose)
        if not times:
            return frozenset()
        cut = bisect_right(times, at)
        last = dict(zip(self._c_subjects[purpose][:cut], self._c_given[purpose][:cut], strict=True))
        return frozenset(s for s, g in last.items() if g)

    def objectors(self, purpose: str, at: dt.datetime) -> frozenset[str]:
        """People who objected to ``purpose`` at or before ``at``."""
        at = _utc(at)
        times = self._o_times.get(purpose)
        if not times:
            return frozenset()
        return frozenset(self._o_subjects[purpose][: bisect_right(times, at)])

    def has_objected(self, subject_id: str, purpose: str, at: dt.datetime) -> bool:
        at = _utc(at)
        return any(o.subject_id == subject_id and o.purpose == purpose and o.at <= at
                   for o in self._objections)

    def history(self, subject_id: str) -> tuple[Consent, ...]:
        """Every consent event of one person, in time order (for the access report)."""
        return tuple(sorted((e for e in self._consents if e.subject_id == subject_id), key=lambda e: e.at))


def _utc(at: dt.datetime) -> dt.datetime:
    c = Checker("instant")
    value = c.instant(at, "at")
    c.done()
    assert value is not None
    return value
