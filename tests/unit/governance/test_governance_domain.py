"""The governance objects refuse bad input with every problem at once, and survive their stored form."""

from __future__ import annotations

import datetime as dt

import pytest

from bulle.domain.actor import Actor, Role
from bulle.domain.governance import (
    Approval,
    Consent,
    ConsentStatus,
    DatasetUse,
    DataSubject,
    GovernedDataset,
    LegalBasis,
    Member,
    Objection,
    Project,
    Purpose,
    SpecialCategoryCondition,
)
from bulle.errors import AccessDenied, ValidationError

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


def fields_of(exc: ValidationError) -> list[str | None]:
    return [p.where.field for p in exc.problems]


def research() -> Purpose:
    return Purpose("research", "Cohort study of readmissions", LegalBasis.CONSENT)


# --- purposes ----------------------------------------------------------------------------------
def test_legal_bases_and_conditions_name_their_articles() -> None:
    assert [b.article for b in LegalBasis] == [f"GDPR art. 6(1)({c})" for c in "abcdef"]
    assert SpecialCategoryCondition.RESEARCH_STATISTICS.article == "GDPR art. 9(2)(j)"
    assert SpecialCategoryCondition.EXPLICIT_CONSENT.article == "GDPR art. 9(2)(a)"
    assert len(SpecialCategoryCondition) == 10


def test_purpose_collects_every_problem() -> None:
    with pytest.raises(ValidationError) as info:
        Purpose(
            "bad name!",
            "  ",
            "friendship",
            special_categories=True,
            compatible_with=["ok", "no way"],
        )
    assert fields_of(info.value) == [
        "name",
        "description",
        "legal_basis",
        "art9_condition",
        "compatible_with[1]",
    ]
    assert "4 problems" not in info.value.message and "5 problems" in info.value.message


def test_special_categories_need_an_article_9_condition() -> None:
    with pytest.raises(ValidationError, match=r"art\. 9"):
        Purpose("care", "Care", "public_task", special_categories=True)
    purpose = Purpose(
        "care", "Care", "public_task", special_categories=True, art9_condition="health_care"
    )
    assert purpose.art9_condition is SpecialCategoryCondition.HEALTH_CARE


def test_a_condition_without_special_categories_is_a_mistake() -> None:
    with pytest.raises(ValidationError, match="special categories"):
        Purpose("care", "Care", "public_task", art9_condition="health_care")


@pytest.mark.parametrize(
    ("basis", "condition", "consent", "objection"),
    [
        ("consent", None, True, False),
        ("contract", None, False, False),
        ("legal_obligation", None, False, False),
        ("vital_interests", None, False, False),
        ("public_task", None, False, True),
        ("legitimate_interests", None, False, True),
        ("public_task", "explicit_consent", True, True),
        ("consent", "research_statistics", True, False),
    ],
)
def test_what_a_legal_basis_implies(
    basis: str, condition: str | None, consent: bool, objection: bool
) -> None:
    purpose = Purpose(
        "p", "d", basis, special_categories=condition is not None, art9_condition=condition
    )
    assert purpose.needs_consent is consent
    assert purpose.objection_applies is objection


def test_compatibility_is_declared_by_the_collecting_purpose() -> None:
    care = Purpose("care", "Care", "public_task", compatible_with={"research", "quality"})
    assert care.allows_reuse_for("care") and care.allows_reuse_for("research")
    assert not care.allows_reuse_for("marketing")
    assert not research().allows_reuse_for("care")  # not symmetric


def test_purpose_round_trips_through_its_stored_form() -> None:
    care = Purpose(
        "care",
        "Care",
        "public_task",
        special_categories=True,
        art9_condition="health_care",
        compatible_with=["research"],
    )
    assert Purpose.from_dict(care.to_dict()) == care
    assert care.to_dict()["compatible_with"] == ["research"]


# --- consents, objections, subjects ------------------------------------------------------------
def test_consent_needs_an_aware_instant_and_a_source() -> None:
    with pytest.raises(ValidationError) as info:
        Consent(" s1", "research", "maybe", dt.datetime(2026, 1, 1), "")
    assert fields_of(info.value) == ["subject_id", "status", "at", "source"]


def test_consent_instants_are_normalised_to_utc_and_text_is_accepted() -> None:
    paris = dt.timezone(dt.timedelta(hours=1))
    a = Consent("s1", "research", "given", dt.datetime(2026, 1, 1, 1, tzinfo=paris), "form")
    b = Consent("s1", "research", ConsentStatus.GIVEN, "2026-01-01T00:00:00+00:00", "form")
    assert a == b and a.at.tzinfo is dt.UTC
    assert Consent.from_dict(a.to_dict()) == a


def test_a_bare_date_is_not_an_instant() -> None:
    with pytest.raises(ValidationError, match="bare date"):
        Consent("s1", "research", "given", dt.date(2026, 1, 1), "form")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="ISO 8601"):
        Objection("s1", "research", "yesterday", "form")  # type: ignore[arg-type]


def test_objection_and_subject_round_trip() -> None:
    o = Objection("s1", "care", T0, "letter")
    assert Objection.from_dict(o.to_dict()) == o
    assert DataSubject("tok_123").id == "tok_123"
    with pytest.raises(ValidationError):
        DataSubject("")


# --- projects ----------------------------------------------------------------------------------
def project(**overrides: object) -> Project:
    values: dict[str, object] = dict(
        name="cohort",
        purpose=research(),
        datasets={"patients@2": ["sid", "age"]},
        members={"ana": "analyst", "cus": "custodian"},
        valid_from=T0,
        valid_until=T0 + 365 * DAY,
    )
    values.update(overrides)
    return Project(**values)  # type: ignore[arg-type]


def test_project_accepts_plain_mappings_and_normalises_them() -> None:
    p = project()
    assert p.datasets == (DatasetUse("patients", ("sid", "age"), version=2),)
    assert p.members == (Member("ana", Role.ANALYST), Member("cus", Role.CUSTODIAN))
    assert p.use_of("patients").columns == ("sid", "age")  # type: ignore[union-attr]
    assert p.use_of("other") is None and p.member("ana").role is Role.ANALYST  # type: ignore[union-attr]


def test_project_collects_every_problem_including_nested_ones() -> None:
    with pytest.raises(ValidationError) as info:
        project(
            name="",
            datasets=[{"dataset": "p", "columns": ["a", "a"], "kind": "anonymize"}, ("p@1", ["b"])],
            members=[("ana", "subject"), ("ana", "analyst")],
            valid_until=T0 - DAY,
        )
    assert fields_of(info.value) == [
        "name",
        "datasets[0].columns[1]",
        "members[0].role",
        "valid_until",
    ]


def test_duplicates_and_empty_projects_are_refused() -> None:
    with pytest.raises(ValidationError) as info:
        project(
            datasets=[("p@1", ["a"]), ("p@2", ["b"])],
            members=[("ana", "analyst"), ("ana", "custodian")],
        )
    assert [p.message for p in info.value.problems] == [
        "dataset 'p' is listed twice",
        "'ana' is listed twice",
    ]
    with pytest.raises(ValidationError) as info:
        project(datasets={}, members={})
    assert fields_of(info.value) == ["datasets", "members"]
    with pytest.raises(ValidationError, match="at least one column"):
        project(datasets={"p@1": []})


def test_only_a_custodian_approves_and_a_revision_needs_a_new_approval() -> None:
    p = project()
    with pytest.raises(AccessDenied):
        p.approve(Actor("ana", Role.ANALYST), T0)
    with pytest.raises(ValidationError, match="only a custodian"):
        project(approval=Approval(Actor("dora", Role.DPO), T0))
    approved = p.approve(Actor("cus", Role.CUSTODIAN), T0 + DAY)
    assert approved.approval is not None and approved.approval.at == T0 + DAY
    assert approved.is_approved_at(T0 + DAY) and not approved.is_approved_at(T0)
    revised = approved.revise(datasets={"patients@2": ["sid", "age", "zip"]})
    assert revised.approval is None and revised.use_of("patients").columns[-1] == "zip"  # type: ignore[union-attr]


def test_approval_after_the_end_is_refused() -> None:
    with pytest.raises(ValidationError, match="could never be used"):
        project().approve(Actor("cus", Role.CUSTODIAN), T0 + 400 * DAY)


def test_validity_window_is_half_open() -> None:
    p = project()
    assert p.is_valid_at(T0) and p.is_valid_at(p.valid_until - dt.timedelta(microseconds=1))
    assert not p.is_valid_at(p.valid_until) and not p.is_valid_at(T0 - DAY)


def test_project_round_trips_with_its_purpose_resolved_by_name() -> None:
    p = project().approve(Actor("cus", Role.CUSTODIAN), T0)
    stored = p.to_dict()
    assert stored["purpose"] == "research"
    assert Project.from_dict(stored, {"research": research()}) == p
    with pytest.raises(ValidationError, match="unknown purpose"):
        Project.from_dict(stored, {})


def test_a_stored_binding_and_raw_flag_round_trip_and_bad_stored_approvals_are_named() -> None:
    p = project(
        datasets=[
            DatasetUse("patients", ("sid",), kind="pseudonymize"),
            DatasetUse("stays", ("sid",), version=3),
        ]
    )
    approved = p.approve(Actor("cus", Role.CUSTODIAN), T0, allow_raw=True)
    stored = approved.to_dict()
    assert [(u["version"], u["kind"]) for u in stored["datasets"]] == [
        (None, "pseudonymize"),
        (3, None),
    ]
    assert stored["approval"]["allow_raw"] is True
    assert Project.from_dict(stored, {"research": research()}) == approved
    for bad in ({"at": "2026-01-01T00:00:00+00:00"}, {"by": "cus", "at": "x"}, ["cus"]):
        with pytest.raises(ValidationError, match="approval's fields"):
            Project.from_dict({**stored, "approval": bad}, {"research": research()})
    with pytest.raises(ValidationError, match="expected true or false"):
        Project.from_dict(
            {**stored, "approval": {**stored["approval"], "allow_raw": "yes"}},
            {"research": research()},
        )


# --- datasets ----------------------------------------------------------------------------------
def test_governed_dataset_checks_its_columns() -> None:
    care = Purpose("care", "Care", "public_task")
    with pytest.raises(ValidationError) as info:
        GovernedDataset(
            "patients",
            care,
            ("sid", "age", "age"),
            subject_column="id",
            special_category_columns=frozenset({"diag"}),
        )
    assert fields_of(info.value) == ["columns", "subject_column", "special_category_columns"]
    ds = GovernedDataset("patients", care, ["sid", "diag"], "sid", {"diag"})  # type: ignore[arg-type]
    assert ds.columns == ("sid", "diag") and ds.special_category_columns == frozenset({"diag"})
    assert ds.to_dict()["collection_purpose"] == "care"
