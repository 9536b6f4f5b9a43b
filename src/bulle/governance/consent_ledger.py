"""Consents and objections indexed for the fold over millions of people at any instant.

``bulle.domain.consents.consent_state`` states the rule for one person; this ledger answers the
question a read asks, "who consents to this purpose at t?", for a whole population. Events are
kept per purpose as columns (time in microseconds, subject code, given or not) sorted by time with
a stable sort, so recording order still breaks ties; the last status per person before the cut is
found with one sort of integer codes instead of a Python loop over a million events.

A ledger is built from domain objects, or straight from Arrow columns (what a catalog stores), so
that loading a million consents does not mean building a million Python objects first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from bulle.domain.consents import Consent, ConsentStatus, Objection
from bulle.domain.governance_fields import NAME_RE, Checker
from bulle.errors import Problem, ValidationError, Where

CONSENT_SCHEMA = pa.schema(
    [
        ("subject_id", pa.string()),
        ("purpose", pa.string()),
        ("status", pa.string()),
        ("at", pa.timestamp("us", tz="UTC")),
        ("source", pa.string()),
    ]
)
OBJECTION_SCHEMA = pa.schema(
    [
        ("subject_id", pa.string()),
        ("purpose", pa.string()),
        ("at", pa.timestamp("us", tz="UTC")),
        ("source", pa.string()),
    ]
)


@dataclass(frozen=True, eq=False)
class SubjectIndex:
    """The people present in some data, with their codes in one ledger, computed once.

    Finding a million ids in the ledger costs about as much as reading the data; a read that
    wants the shorter deny-list passes this instead of the bare ids, and whoever keeps the ledger
    keeps the index beside it (both change when consents do).
    """

    ledger: ConsentLedger
    subjects: pa.Array  # distinct ids
    codes: np.ndarray  # code of each id in ``ledger``, -1 if it has no event


@dataclass(frozen=True)
class _Track:
    """One purpose's events in time order: instants (µs since epoch), subject codes, given flags."""

    times: np.ndarray
    codes: np.ndarray
    given: np.ndarray


class ConsentLedger:
    def __init__(
        self, consents: Iterable[Consent] = (), objections: Iterable[Objection] = ()
    ) -> None:
        self._init(_consent_table(tuple(consents)), _objection_table(tuple(objections)))

    @classmethod
    def from_arrow(cls, consents: pa.Table, objections: pa.Table | None = None) -> ConsentLedger:
        """Build from stored columns (see CONSENT_SCHEMA / OBJECTION_SCHEMA), checked as a whole."""
        ledger = cls.__new__(cls)
        ledger._init(
            _checked(consents, CONSENT_SCHEMA, "consents"),
            _checked(
                objections if objections is not None else OBJECTION_SCHEMA.empty_table(),
                OBJECTION_SCHEMA,
                "objections",
            ),
        )
        return ledger

    @classmethod
    def of(
        cls,
        consents: ConsentLedger | Iterable[Consent] = (),
        objections: Iterable[Objection] | None = None,
    ) -> ConsentLedger:
        """Reuse a ledger as is, or index raw events (objections may come with the ledger)."""
        if isinstance(consents, ConsentLedger):
            if objections is None:
                return consents
            ledger = cls.__new__(cls)
            ledger._init(consents._consent_table, _objection_table(tuple(objections)))
            return ledger
        return cls(consents, objections or ())

    def _init(self, consents: pa.Table, objections: pa.Table) -> None:
        self._consent_table = consents
        self._objection_table = objections
        subjects = pa.chunked_array(
            [consents["subject_id"].combine_chunks(), objections["subject_id"].combine_chunks()],
            type=pa.string(),
        )
        encoded = subjects.combine_chunks().dictionary_encode()
        self._dictionary: pa.Array = encoded.dictionary
        codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        n = consents.num_rows
        self._tracks = _tracks(consents, codes[:n], consents["status"])
        self._objection_tracks = _tracks(objections, codes[n:], None)

    # --- the questions a read asks -------------------------------------------------------------
    # Masks are indexed by subject code (position in ``self._dictionary``), so that combining
    # consents, objections and a universe is array arithmetic, with no string hashing per read.
    @property
    def subject_count(self) -> int:
        return len(self._dictionary)

    def consent_mask(self, purpose: str, at: dt.datetime) -> np.ndarray:
        """True for each known person whose last consent event at or before ``at`` is a consent."""
        mask = np.zeros(len(self._dictionary), dtype=bool)
        track = self._tracks.get(purpose)
        if track is None:
            return mask
        cut = int(np.searchsorted(track.times, _micros(at), side="right"))
        last = np.full(len(self._dictionary), -1, dtype=np.int64)
        np.maximum.at(
            last, track.codes[:cut], np.arange(cut, dtype=np.int64)
        )  # last event per person
        seen = last >= 0
        mask[seen] = track.given[last[seen]]
        return mask

    def objection_mask(self, purpose: str, at: dt.datetime) -> np.ndarray:
        mask = np.zeros(len(self._dictionary), dtype=bool)
        track = self._objection_tracks.get(purpose)
        if track is not None:
            cut = int(np.searchsorted(track.times, _micros(at), side="right"))
            mask[track.codes[:cut]] = True
        return mask

    def ids(self, mask: np.ndarray) -> pa.Array:
        """The ids where ``mask`` is true (unique, as the dictionary is)."""
        return self._dictionary.take(pa.array(np.flatnonzero(mask)))

    def index_subjects(self, subjects: pa.Array | pa.ChunkedArray | Iterable[str]) -> SubjectIndex:
        """Index the people present in some data (Arrow arrays are taken as distinct ids)."""
        from bulle.governance.subject_filter import id_array

        ids = id_array(subjects, unique=not isinstance(subjects, (pa.Array, pa.ChunkedArray)))
        return SubjectIndex(self, ids, self.codes_of(ids))

    def codes_of(self, subjects: pa.Array) -> np.ndarray:
        """Each id's code, or -1 for a person the ledger has no event for."""
        codes = pc.index_in(subjects, value_set=self._dictionary)
        return pc.fill_null(codes, -1).to_numpy(zero_copy_only=False).astype(np.int64)

    def consenting_ids(self, purpose: str, at: dt.datetime) -> pa.Array:
        return self.ids(self.consent_mask(purpose, at))

    def objector_ids(self, purpose: str, at: dt.datetime) -> pa.Array:
        return self.ids(self.objection_mask(purpose, at))

    def consenting(self, purpose: str, at: dt.datetime) -> frozenset[str]:
        return frozenset(self.consenting_ids(purpose, at).to_pylist())

    def objectors(self, purpose: str, at: dt.datetime) -> frozenset[str]:
        return frozenset(self.objector_ids(purpose, at).to_pylist())

    def state(self, subject_id: str, purpose: str, at: dt.datetime) -> ConsentStatus | None:
        """One person's state: the last of their events for ``purpose`` at or before ``at``."""
        track, code = self._tracks.get(purpose), self._code_of.get(subject_id)
        if track is None or code is None:
            return None
        cut = int(np.searchsorted(track.times, _micros(at), side="right"))
        hits = np.flatnonzero(track.codes[:cut] == code)
        if not len(hits):
            return None
        return ConsentStatus.GIVEN if track.given[hits[-1]] else ConsentStatus.WITHDRAWN

    def has_objected(self, subject_id: str, purpose: str, at: dt.datetime) -> bool:
        track, code = self._objection_tracks.get(purpose), self._code_of.get(subject_id)
        if track is None or code is None:
            return False
        cut = int(np.searchsorted(track.times, _micros(at), side="right"))
        return bool((track.codes[:cut] == code).any())

    # --- the events themselves (access reports, export) ----------------------------------------
    def history(self, subject_id: str) -> tuple[Consent, ...]:
        """Every consent event of one person, in time order (recording order within an instant)."""
        rows = self._consent_table.filter(pc.equal(self._consent_table["subject_id"], subject_id))
        events = [
            Consent(r["subject_id"], r["purpose"], r["status"], r["at"], r["source"])
            for r in rows.to_pylist()
        ]
        return tuple(sorted(events, key=lambda e: e.at))

    def objections_of(self, subject_id: str) -> tuple[Objection, ...]:
        rows = self._objection_table.filter(
            pc.equal(self._objection_table["subject_id"], subject_id)
        )
        return tuple(
            sorted(
                (
                    Objection(r["subject_id"], r["purpose"], r["at"], r["source"])
                    for r in rows.to_pylist()
                ),
                key=lambda o: o.at,
            )
        )

    def consent_table(self) -> pa.Table:
        """The consents as stored columns, in recording order."""
        return self._consent_table

    def objection_table(self) -> pa.Table:
        return self._objection_table

    @cached_property
    def _code_of(self) -> dict[str, int]:
        return {s: i for i, s in enumerate(self._dictionary.to_pylist())}


def _tracks(
    table: pa.Table, codes: np.ndarray, status: pa.ChunkedArray | None
) -> dict[str, _Track]:
    if table.num_rows == 0:
        return {}
    times = table["at"].combine_chunks().cast(pa.int64()).to_numpy(zero_copy_only=False)
    given = (
        np.ones(table.num_rows, dtype=bool)
        if status is None
        else pc.equal(status, ConsentStatus.GIVEN.value)
        .combine_chunks()
        .to_numpy(zero_copy_only=False)
    )
    purposes = table["purpose"].combine_chunks().dictionary_encode()
    purpose_codes = purposes.indices.to_numpy(zero_copy_only=False)
    tracks: dict[str, _Track] = {}
    for i, purpose in enumerate(purposes.dictionary.to_pylist()):
        rows = np.flatnonzero(purpose_codes == i)
        order = rows[np.argsort(times[rows], kind="stable")]  # stable: recording order breaks ties
        tracks[purpose] = _Track(times[order], codes[order], given[order])
    return tracks


def _consent_table(events: tuple[Consent, ...]) -> pa.Table:
    return pa.table(
        {
            "subject_id": pa.array([e.subject_id for e in events], pa.string()),
            "purpose": pa.array([e.purpose for e in events], pa.string()),
            "status": pa.array([e.status.value for e in events], pa.string()),
            "at": pa.array([e.at for e in events], pa.timestamp("us", tz="UTC")),
            "source": pa.array([e.source for e in events], pa.string()),
        },
        schema=CONSENT_SCHEMA,
    )


def _objection_table(objections: tuple[Objection, ...]) -> pa.Table:
    return pa.table(
        {
            "subject_id": pa.array([o.subject_id for o in objections], pa.string()),
            "purpose": pa.array([o.purpose for o in objections], pa.string()),
            "at": pa.array([o.at for o in objections], pa.timestamp("us", tz="UTC")),
            "source": pa.array([o.source for o in objections], pa.string()),
        },
        schema=OBJECTION_SCHEMA,
    )


def _checked(table: pa.Table, schema: pa.Schema, what: str) -> pa.Table:
    """The same rules as the domain objects, checked column by column; each problem names a row."""
    problems: list[Problem] = []
    missing = [name for name in schema.names if name not in table.column_names]
    if missing:
        raise ValidationError(f"{what}: missing column(s) {', '.join(missing)}")
    at_type = table.schema.field("at").type
    if not pa.types.is_timestamp(at_type) or at_type.tz is None:
        raise ValidationError(
            f"{what}: column 'at' must be a timestamp with a time zone, not {at_type}"
        )
    try:
        table = table.select(schema.names).cast(schema)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise ValidationError(f"{what}: {exc}") from None

    def report(mask: pa.ChunkedArray | pa.Array, field: str, message: str) -> None:
        bad = np.flatnonzero(pc.fill_null(mask, True).to_numpy(zero_copy_only=False))
        for row in bad[:10]:
            problems.append(Problem(message, Where(line=int(row) + 1, field=field)))
        if len(bad) > 10:
            problems.append(Problem(f"... and {len(bad) - 10} more rows", Where(field=field)))

    sid = table["subject_id"]
    report(
        pc.or_(pc.equal(pc.binary_length(sid), 0), pc.not_equal(pc.utf8_trim_whitespace(sid), sid)),
        "subject_id",
        "not a valid subject id (non-empty text without surrounding spaces)",
    )
    purposes = (
        table["purpose"].combine_chunks().dictionary_encode()
    )  # few distinct names: check those
    bad_names = [
        i for i, name in enumerate(purposes.dictionary.to_pylist()) if not NAME_RE.match(name)
    ]
    report(
        pc.or_(
            pc.is_null(purposes.indices),
            pc.is_in(purposes.indices, value_set=pa.array(bad_names, purposes.indices.type)),
        ),
        "purpose",
        "not a valid name",
    )
    if "status" in schema.names:
        report(
            pc.invert(
                pc.is_in(table["status"], value_set=pa.array([s.value for s in ConsentStatus]))
            ),
            "status",
            "must be 'given' or 'withdrawn'",
        )
    report(pc.is_null(table["at"]), "at", "a date and time is required")
    report(
        pc.or_(pc.is_null(table["source"]), pc.equal(pc.utf8_trim_whitespace(table["source"]), "")),
        "source",
        "must not be empty",
    )
    if problems:
        raise ValidationError.from_problems(what, problems)
    return table


def _micros(at: dt.datetime) -> int:
    c = Checker("instant")
    value = c.instant(at, "at")
    c.done()
    assert value is not None
    delta = value - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
