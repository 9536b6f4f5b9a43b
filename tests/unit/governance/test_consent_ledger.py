"""The consent ledger: built from objects or from stored columns, it answers the same questions."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from bulle.domain.consents import Consent, ConsentStatus, Objection
from bulle.errors import ValidationError
from bulle.governance.consent_ledger import CONSENT_SCHEMA, OBJECTION_SCHEMA, ConsentLedger
from bulle.governance.subject_filter import FilterMode, SubjectFilter

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
H = dt.timedelta(hours=1)

EVENTS = [
    Consent("s1", "research", "given", T0, "form"),
    Consent("s2", "research", "given", T0, "form"),
    Consent("s1", "research", "withdrawn", T0 + 2 * H, "portal"),
    Consent("s3", "research", "withdrawn", T0 + H, "portal"),
    Consent("s3", "research", "given", T0 + H, "form"),  # same instant: recorded later, so it wins
    Consent("s2", "quality", "withdrawn", T0, "portal"),
]
OBJECTIONS = [Objection("s2", "quality", T0 + H, "letter")]


def test_questions_at_several_instants() -> None:
    ledger = ConsentLedger(EVENTS, OBJECTIONS)
    assert ledger.consenting("research", T0 - H) == frozenset()
    assert ledger.consenting("research", T0) == {"s1", "s2"}
    assert ledger.consenting("research", T0 + H) == {"s1", "s2", "s3"}
    assert ledger.consenting("research", T0 + 2 * H) == {"s2", "s3"}
    assert ledger.consenting("unknown", T0 + 2 * H) == frozenset()
    assert ledger.state("s1", "research", T0 + H) is ConsentStatus.GIVEN
    assert ledger.state("s1", "research", T0 + 2 * H) is ConsentStatus.WITHDRAWN
    assert ledger.state("s9", "research", T0) is None and ledger.state("s2", "nothing", T0) is None
    assert ledger.objectors("quality", T0) == frozenset() and ledger.objectors(
        "quality", T0 + H
    ) == {"s2"}
    assert ledger.has_objected("s2", "quality", T0 + H) and not ledger.has_objected(
        "s2", "quality", T0
    )


def test_stored_columns_give_the_same_ledger() -> None:
    ledger = ConsentLedger(EVENTS, OBJECTIONS)
    stored = ConsentLedger.from_arrow(ledger.consent_table(), ledger.objection_table())
    for at in (T0, T0 + H, T0 + 2 * H):
        assert stored.consenting("research", at) == ledger.consenting("research", at)
        assert stored.objectors("quality", at) == ledger.objectors("quality", at)
    assert stored.history("s3") == ledger.history("s3")
    assert [e.status.value for e in stored.history("s3")] == ["withdrawn", "given"]
    assert stored.objections_of("s2") == tuple(OBJECTIONS)


def test_stored_instants_in_another_zone_are_the_same_instants() -> None:
    paris = (
        ConsentLedger(EVENTS)
        .consent_table()
        .cast(CONSENT_SCHEMA.set(3, pa.field("at", pa.timestamp("us", tz="Europe/Paris"))))
    )
    assert ConsentLedger.from_arrow(paris).consenting("research", T0 + 2 * H) == {"s2", "s3"}


def test_stored_columns_are_checked_row_by_row() -> None:
    bad = pa.table(
        {
            "subject_id": [" s1", "s2", None, ""],
            "purpose": ["research", "no way", "research", "research"],
            "status": ["given", "maybe", "given", "withdrawn"],
            "at": pa.array([T0, T0, None, T0], pa.timestamp("us", tz="UTC")),
            "source": ["form", "", "form", "form"],
        }
    )
    with pytest.raises(ValidationError) as info:
        ConsentLedger.from_arrow(bad)
    found = sorted((p.where.field, p.where.line) for p in info.value.problems)
    assert found == [
        ("at", 3),
        ("purpose", 2),
        ("source", 2),
        ("status", 2),
        ("subject_id", 1),
        ("subject_id", 3),
        ("subject_id", 4),
    ]


def test_stored_columns_need_aware_instants_and_every_column() -> None:
    naive = (
        ConsentLedger(EVENTS)
        .consent_table()
        .cast(CONSENT_SCHEMA.set(3, pa.field("at", pa.timestamp("us"))))
    )
    with pytest.raises(ValidationError, match="time zone"):
        ConsentLedger.from_arrow(naive)
    with pytest.raises(ValidationError, match="missing column"):
        ConsentLedger.from_arrow(pa.table({"subject_id": ["s1"]}))
    assert (
        ConsentLedger.from_arrow(
            CONSENT_SCHEMA.empty_table(), OBJECTION_SCHEMA.empty_table()
        ).consenting("research", T0)
        == frozenset()
    )


def test_reusing_a_ledger_with_other_objections() -> None:
    ledger = ConsentLedger(EVENTS)
    assert ConsentLedger.of(ledger) is ledger
    assert ConsentLedger.of(ledger, OBJECTIONS).objectors("quality", T0 + H) == {"s2"}


def test_a_filter_built_from_a_python_collection_is_deduplicated_and_counts_without_ids() -> None:
    rule = SubjectFilter("deny", ["s1", "s1", "s2"], "quality", T0, "test")
    assert rule.mode is FilterMode.DENY and rule.count == 2 and rule.subject_ids == {"s1", "s2"}
    assert rule.to_dict() == {
        "mode": "deny",
        "count": 2,
        "purpose": "quality",
        "at": "2026-01-01T00:00:00.000000+00:00",
        "reason": "test",
        "universe": None,
    }
    assert rule.admits(None) and not rule.admits("s1") and rule.admits("s3")


def test_a_kept_subject_index_gives_the_same_filter_as_bare_ids() -> None:
    from bulle.domain.projects import Project
    from bulle.domain.purposes import Purpose
    from bulle.governance.access import subject_filter

    project = Project(
        "p",
        Purpose("research", "Study", "consent"),
        {"d@1": ["sid"]},
        {"ana": "analyst"},
        T0,
        T0 + 24 * H,
    )
    ledger = ConsentLedger(EVENTS, OBJECTIONS)
    present = pa.array(["s1", "s2", "s3", "s4"])
    index = ledger.index_subjects(present)
    assert list(index.codes[-1:]) == [-1]  # s4 has no event
    by_index = subject_filter(project, ledger, at=T0 + 2 * H, subjects=index)
    by_ids = subject_filter(project, ledger, at=T0 + 2 * H, subjects=["s1", "s2", "s3", "s4", "s4"])
    assert by_index.mode is by_ids.mode and by_index.subject_ids == by_ids.subject_ids
    assert by_index.visible(present.to_pylist()) == {"s2", "s3"}
    # an index built for an older ledger is recomputed, not trusted
    newer = ConsentLedger([*EVENTS, Consent("s4", "research", "given", T0, "form")])
    assert subject_filter(project, newer, at=T0 + 2 * H, subjects=index).visible(
        present.to_pylist()
    ) == {"s2", "s3", "s4"}
