"""Every access rule, stated as a scenario: who reads what, for which purpose, when, and why not."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from bulle.domain.actor import Actor, Role
from bulle.domain.governance import Consent, GovernedDataset, Objection, Project, Purpose
from bulle.errors import AccessDenied, ValidationError
from bulle.governance.access import (
    Decision,
    Rule,
    can_act_for_subject,
    can_approve,
    can_read,
    can_view_access_report,
    can_view_audit_log,
    subject_filter,
)
from bulle.governance.subject_filter import FilterMode
from bulle.storage.sql_lockdown import run_analyst_sql

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)

ANA = Actor("ana", Role.ANALYST)
CUS = Actor("cus", Role.CUSTODIAN)

CARE = Purpose(
    "care",
    "Treating patients at the hospital",
    "public_task",
    special_categories=True,
    art9_condition="health_care",
    compatible_with={"research", "quality"},
)
RESEARCH = Purpose("research", "Readmission cohort study", "consent")
QUALITY = Purpose("quality", "Quality of care indicators", "legitimate_interests")
MARKETING = Purpose("marketing", "Selling health insurance", "legitimate_interests")
BILLING = Purpose("billing", "Billing the insurer", "contract")

PATIENTS = GovernedDataset(
    "patients",
    CARE,
    ("sid", "name", "age", "zip", "diagnosis"),
    subject_column="sid",
    special_category_columns=frozenset({"diagnosis"}),
    version=2,
    kind="pseudonymize",
    raw=False,
)
ROWS = pa.table(
    {
        "sid": ["s1", "s2", "s3", "s4"],
        "name": ["Alice Martin", "Bruno Petit", "Chloé Durand", "David Moreau"],
        "age": [34, 51, 67, 29],
        "zip": ["75011", "69003", "13005", "31000"],
        "diagnosis": ["I10", "E11", "C50", "J45"],
    }
)


def make_project(
    purpose: Purpose = RESEARCH,
    *,
    columns: tuple[str, ...] = ("sid", "age", "zip"),
    approved: bool = True,
    days: int = 365,
    **overrides: object,
) -> Project:
    values: dict[str, object] = dict(
        name="cohort",
        purpose=purpose,
        datasets={"patients@2": list(columns)},
        members={"ana": "analyst", "cus": "custodian"},
        valid_from=T0,
        valid_until=T0 + days * DAY,
    )
    values.update(overrides)
    project = Project(**values)  # type: ignore[arg-type]
    return project.approve(CUS, T0) if approved else project


def rules(decision: Decision) -> list[Rule]:
    return [d.rule for d in decision.denials]


def read(
    project: Project,
    consents: list[Consent],
    objections: list[Objection],
    at: dt.datetime,
    sql: str = "SELECT sid FROM patients ORDER BY sid",
) -> list[str]:
    """What an analyst sees through Bulle: decision, minimised columns, subject filter, locked SQL."""
    decision = can_read(ANA, project, PATIENTS, at=at).require()
    rule = subject_filter(project, consents, objections, at=at)
    view = rule.apply_arrow(ROWS, PATIENTS.subject_column).select(list(decision.columns))  # type: ignore[arg-type]
    return run_analyst_sql(sql, {"patients": view}, timeout_s=30).column(0).to_pylist()


# --- the allowed path ----------------------------------------------------------------------------
def test_an_approved_member_reads_the_declared_columns_for_a_compatible_purpose() -> None:
    decision = can_read(ANA, make_project(), PATIENTS, at=T0 + DAY)
    assert decision.allowed and decision.denials == ()
    assert decision.columns == ("sid", "age", "zip")
    assert "GDPR art. 6(1)(a)" in decision.reason
    assert can_read(ANA, make_project(), PATIENTS, ["age"], at=T0 + DAY).columns == ("age",)


def test_the_view_holds_only_declared_columns() -> None:
    consents = [Consent(s, "research", "given", T0, "form") for s in ("s1", "s2", "s3", "s4")]
    cols = read(
        make_project(),
        consents,
        [],
        T0 + DAY,
        sql="SELECT string_agg(column_name, ',' ORDER BY column_index) FROM duckdb_columns() "
        "WHERE table_name = 'patients'",
    )
    assert cols == ["sid,age,zip"]


# --- consent ----------------------------------------------------------------------------------
def test_consent_withdrawn_between_two_reads_excludes_the_subject_from_the_second() -> None:
    project = make_project()
    consents = [Consent(s, "research", "given", T0, "enrolment form") for s in ("s1", "s2", "s3")]
    assert read(project, consents, [], T0 + DAY) == ["s1", "s2", "s3"]
    consents.append(Consent("s2", "research", "withdrawn", T0 + 2 * DAY, "patient portal"))
    assert read(project, consents, [], T0 + 3 * DAY) == ["s1", "s3"]
    # the history is kept: a read dated before the withdrawal still saw s2
    assert read(project, consents, [], T0 + DAY) == ["s1", "s2", "s3"]


def test_a_withdrawal_takes_effect_at_its_own_instant() -> None:
    project = make_project()
    consents = [
        Consent("s1", "research", "given", T0, "form"),
        Consent("s1", "research", "withdrawn", T0 + DAY, "portal"),
    ]
    assert read(project, consents, [], T0 + DAY - dt.timedelta(microseconds=1)) == ["s1"]
    assert read(project, consents, [], T0 + DAY) == []


def test_consent_given_again_after_a_withdrawal_counts_again() -> None:
    consents = [
        Consent("s4", "research", "given", T0, "form"),
        Consent("s4", "research", "withdrawn", T0 + DAY, "portal"),
        Consent("s4", "research", "given", T0 + 5 * DAY, "form v2"),
    ]
    assert read(make_project(), consents, [], T0 + 2 * DAY) == []
    assert read(make_project(), consents, [], T0 + 6 * DAY) == ["s4"]


def test_nobody_is_visible_for_a_consent_purpose_without_consents() -> None:
    rule = subject_filter(make_project(), [], at=T0 + DAY)
    assert rule.mode is FilterMode.ALLOW and rule.subject_ids == frozenset()
    assert read(make_project(), [], [], T0 + DAY) == []


def test_consent_to_another_purpose_does_not_count() -> None:
    consents = [Consent("s1", "quality", "given", T0, "form")]
    assert read(make_project(), consents, [], T0 + DAY) == []


# --- objection and bases without consent -------------------------------------------------------
def test_an_objection_excludes_the_subject_where_objection_applies() -> None:
    project = make_project(QUALITY)
    objections = [Objection("s3", "quality", T0 + 2 * DAY, "letter")]
    assert read(project, [], objections, T0 + DAY) == ["s1", "s2", "s3", "s4"]
    assert read(project, [], objections, T0 + 3 * DAY) == ["s1", "s2", "s4"]
    rule = subject_filter(project, [], objections, at=T0 + 3 * DAY)
    assert rule.mode is FilterMode.DENY and rule.subject_ids == {"s3"}


def test_a_contract_basis_needs_no_consent_and_ignores_objections() -> None:
    care_billing = GovernedDataset(
        "patients",
        Purpose(
            "care",
            "Care",
            "public_task",
            special_categories=True,
            art9_condition="health_care",
            compatible_with={"billing"},
        ),
        PATIENTS.columns,
        "sid",
        PATIENTS.special_category_columns,
        version=2,
        kind="pseudonymize",
        raw=False,
    )
    project = make_project(BILLING)
    assert can_read(ANA, project, care_billing, at=T0 + DAY).allowed
    rule = subject_filter(project, [], [Objection("s1", "billing", T0, "letter")], at=T0 + DAY)
    assert rule.mode is FilterMode.ALL and rule.admits("s1")


def test_explicit_consent_under_article_9_requires_consent_even_on_a_public_task() -> None:
    purpose = Purpose(
        "registry",
        "Cancer registry",
        "public_task",
        special_categories=True,
        art9_condition="explicit_consent",
    )
    project = make_project(purpose, name="registry")
    consents = [
        Consent("s1", "registry", "given", T0, "form"),
        Consent("s2", "registry", "given", T0, "form"),
    ]
    rule = subject_filter(
        project, consents, [Objection("s2", "registry", T0, "letter")], at=T0 + DAY
    )
    assert rule.mode is FilterMode.ALLOW and rule.subject_ids == {"s1"}


def test_given_the_subjects_present_the_shorter_list_is_used_with_the_same_result() -> None:
    consents = [Consent(f"s{i}", "research", "given", T0, "form") for i in range(100)]
    consents += [Consent("s7", "research", "withdrawn", T0 + DAY, "portal")]
    present = [f"s{i}" for i in range(120)]
    plain = subject_filter(make_project(), consents, at=T0 + 2 * DAY)
    short = subject_filter(make_project(), consents, at=T0 + 2 * DAY, subjects=present)
    assert plain.mode is FilterMode.ALLOW and len(plain.subject_ids) == 99
    assert short.mode is FilterMode.DENY and short.subject_ids == {
        "s7",
        *(f"s{i}" for i in range(100, 120)),
    }
    assert plain.visible(present) == short.visible(present)
    assert short.to_dict()["count"] == 21 and "s7" not in str(short.to_dict())


# --- refusals ----------------------------------------------------------------------------------
def test_a_purpose_not_declared_compatible_is_refused() -> None:
    decision = can_read(ANA, make_project(MARKETING), PATIENTS, at=T0 + DAY)
    assert rules(decision) == [Rule.PURPOSE]
    assert "collected for purpose 'care'" in decision.reason and "'marketing'" in decision.reason
    assert can_read(ANA, make_project(QUALITY), PATIENTS, at=T0 + DAY).allowed


def test_compatibility_declared_by_the_reusing_purpose_does_not_count() -> None:
    sneaky = Purpose(
        "marketing", "Selling insurance", "legitimate_interests", compatible_with={"care"}
    )
    assert rules(can_read(ANA, make_project(sneaky), PATIENTS, at=T0 + DAY)) == [Rule.PURPOSE]


@pytest.mark.parametrize(
    ("at", "rule"),
    [
        (T0 + 30 * DAY, Rule.EXPIRED),
        (T0 + 400 * DAY, Rule.EXPIRED),
        (T0 - DAY, Rule.NOT_YET_VALID),
    ],
)
def test_a_project_outside_its_validity_is_refused(at: dt.datetime, rule: Rule) -> None:
    project = make_project(days=30)
    decision = can_read(ANA, project, PATIENTS, at=at)
    assert rule in rules(decision)
    with pytest.raises(AccessDenied) as info:
        decision.require()
    assert rule.value in [p.where.field for p in info.value.problems]


def test_an_unapproved_project_is_refused() -> None:
    decision = can_read(ANA, make_project(approved=False), PATIENTS, at=T0 + DAY)
    assert rules(decision) == [Rule.APPROVAL]
    assert "has not been approved by a custodian" in decision.reason


def test_an_approval_dated_after_the_read_does_not_cover_it() -> None:
    project = make_project(approved=False).approve(CUS, T0 + 10 * DAY)
    assert rules(can_read(ANA, project, PATIENTS, at=T0 + DAY)) == [Rule.APPROVAL]
    assert can_read(ANA, project, PATIENTS, at=T0 + 10 * DAY).allowed


def test_a_non_member_is_refused() -> None:
    decision = can_read(Actor("eve", Role.ANALYST), make_project(), PATIENTS, at=T0 + DAY)
    assert rules(decision) == [Rule.MEMBERSHIP]
    assert "'eve' is not a member of project 'cohort'" in decision.reason


def test_a_member_acting_under_another_role_is_refused() -> None:
    decision = can_read(Actor("ana", Role.CUSTODIAN), make_project(), PATIENTS, at=T0 + DAY)
    assert (
        rules(decision) == [Rule.MEMBERSHIP] and "as analyst, not as custodian" in decision.reason
    )
    assert can_read(CUS, make_project(), PATIENTS, at=T0 + DAY).allowed


def test_a_custodian_outside_the_project_reads_nothing_through_it() -> None:
    assert rules(
        can_read(Actor("boss", Role.CUSTODIAN), make_project(), PATIENTS, at=T0 + DAY)
    ) == [Rule.MEMBERSHIP]


def test_an_undeclared_column_is_refused() -> None:
    decision = can_read(ANA, make_project(), PATIENTS, ["age", "name"], at=T0 + DAY)
    assert rules(decision) == [Rule.COLUMN]
    assert "did not declare column(s) 'name'" in decision.reason and decision.columns == ()


def test_a_declared_column_missing_from_the_dataset_is_refused() -> None:
    decision = can_read(ANA, make_project(columns=("sid", "weight")), PATIENTS, at=T0 + DAY)
    assert rules(decision) == [Rule.COLUMN] and "has no column(s) 'weight'" in decision.reason


def test_a_dataset_outside_the_project_is_refused() -> None:
    other = GovernedDataset("stays", CARE, ("sid", "ward"), "sid")
    assert rules(can_read(ANA, make_project(), other, at=T0 + DAY)) == [Rule.DATASET]


def test_special_categories_need_an_article_9_condition_on_the_reading_purpose() -> None:
    decision = can_read(ANA, make_project(columns=("sid", "diagnosis")), PATIENTS, at=T0 + DAY)
    assert rules(decision) == [Rule.SPECIAL_CATEGORY]
    study = Purpose(
        "research",
        "Cohort study",
        "consent",
        special_categories=True,
        art9_condition="research_statistics",
    )
    assert can_read(
        ANA, make_project(study, columns=("sid", "diagnosis")), PATIENTS, at=T0 + DAY
    ).allowed


def test_personal_data_without_a_subject_column_cannot_serve_a_consent_purpose() -> None:
    no_ids = GovernedDataset(
        "patients",
        CARE,
        ("age", "zip"),
        subject_column=None,
        version=2,
        kind="pseudonymize",
        raw=False,
    )
    decision = can_read(ANA, make_project(columns=("age",)), no_ids, at=T0 + DAY)
    assert rules(decision) == [Rule.SUBJECT_COLUMN]
    released = GovernedDataset(
        "patients",
        CARE,
        ("age", "zip"),
        subject_column=None,
        personal=False,
        version=2,
        kind="pseudonymize",
        raw=False,
    )
    assert can_read(ANA, make_project(columns=("age",)), released, at=T0 + DAY).allowed


@pytest.mark.parametrize(
    ("role", "words"),
    [
        (Role.DPO, "reads the audit log"),
        (Role.SUBJECT, "own access report"),
        (Role.SYSTEM, "lineage"),
    ],
)
def test_roles_that_do_not_read_data_are_refused(role: Role, words: str) -> None:
    project = make_project(members={"ana": "analyst", "dora": "custodian"})
    decision = can_read(Actor("dora", role), project, PATIENTS, at=T0 + DAY)
    assert rules(decision) == [Rule.ROLE] and words in decision.reason


def test_every_failed_rule_is_reported_at_once() -> None:
    project = make_project(MARKETING, approved=False, days=10)
    decision = can_read(Actor("dora", Role.DPO), project, PATIENTS, ["name"], at=T0 + 20 * DAY)
    assert rules(decision) == [Rule.ROLE, Rule.APPROVAL, Rule.EXPIRED, Rule.COLUMN, Rule.PURPOSE]
    with pytest.raises(AccessDenied) as info:
        decision.require()
    assert len(info.value.problems) == 5 and info.value.to_dict()["code"] == "access_denied"
    assert decision.to_dict()["denials"][0]["rule"] == "role"


def test_a_naive_read_instant_is_refused() -> None:
    with pytest.raises(ValidationError, match="time zone"):
        can_read(ANA, make_project(), PATIENTS, at=dt.datetime(2026, 2, 1))


# --- other roles' rights -----------------------------------------------------------------------
def test_the_audit_log_is_for_the_dpo_and_custodians() -> None:
    assert can_view_audit_log(Actor("dora", Role.DPO)).allowed
    assert can_view_audit_log(CUS).allowed
    assert not can_view_audit_log(ANA).allowed
    assert not can_view_audit_log(Actor("s1", Role.SUBJECT)).allowed


def test_a_subject_reads_only_their_own_access_report() -> None:
    assert can_view_access_report(Actor("s1", Role.SUBJECT), "s1").allowed
    assert rules(can_view_access_report(Actor("s1", Role.SUBJECT), "s2")) == [Rule.SUBJECT]
    assert can_view_access_report(Actor("dora", Role.DPO), "s2").allowed
    assert rules(can_view_access_report(ANA, "s1")) == [Rule.ROLE]


def test_rights_are_exercised_by_the_person_or_on_their_request() -> None:
    assert can_act_for_subject(Actor("s1", Role.SUBJECT), "s1").allowed
    assert not can_act_for_subject(Actor("s1", Role.SUBJECT), "s2").allowed
    assert can_act_for_subject(CUS, "s2").allowed
    assert not can_act_for_subject(ANA, "s2").allowed


def test_only_a_custodian_approves() -> None:
    assert can_approve(CUS, make_project(approved=False)).allowed
    assert rules(can_approve(ANA, make_project(approved=False))) == [Rule.ROLE]
