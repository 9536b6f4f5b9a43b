"""The consent fold and the subject filter agree with a brute-force reading of the rules."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import duckdb
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from bulle.domain.consents import Consent, ConsentStatus, Objection, consent_state
from bulle.domain.projects import Project
from bulle.domain.purposes import Purpose
from bulle.governance.access import subject_filter
from bulle.governance.consent_ledger import ConsentLedger
from bulle.governance.subject_filter import FilterMode, SubjectFilter
from bulle.storage.consent_sql import subject_condition

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
SUBJECTS = [f"s{i}" for i in range(6)]
PURPOSES = ["research", "quality"]
PURPOSE_KINDS = {
    "consent": Purpose("research", "Study", "consent"),
    "objection": Purpose("research", "Study", "legitimate_interests"),
    "both": Purpose(
        "research",
        "Registry",
        "public_task",
        special_categories=True,
        art9_condition="explicit_consent",
    ),
    "neither": Purpose("research", "Billing", "contract"),
}

# few subjects, purposes and instants, so that histories interleave and instants collide
instants = st.integers(0, 4).map(lambda m: T0 + dt.timedelta(minutes=m))
consents = st.lists(
    st.builds(
        Consent,
        st.sampled_from(SUBJECTS),
        st.sampled_from(PURPOSES),
        st.sampled_from(list(ConsentStatus)),
        instants,
        st.just("form"),
    ),
    max_size=40,
)
objections = st.lists(
    st.builds(
        Objection, st.sampled_from(SUBJECTS), st.sampled_from(PURPOSES), instants, st.just("letter")
    ),
    max_size=8,
)


def brute_state(
    events: list[Consent], subject: str, purpose: str, at: dt.datetime
) -> ConsentStatus | None:
    """The rule as written: the last event at or before ``at``; recording order breaks ties."""
    candidates = [
        (e.at, i, e.status)
        for i, e in enumerate(events)
        if e.subject_id == subject and e.purpose == purpose and e.at <= at
    ]
    return max(candidates)[2] if candidates else None


def brute_visible(
    purpose: Purpose, events: list[Consent], objs: list[Objection], at: dt.datetime, subject: str
) -> bool:
    objected = purpose.objection_applies and any(
        o.subject_id == subject and o.purpose == purpose.name and o.at <= at for o in objs
    )
    if purpose.needs_consent:
        return (
            brute_state(events, subject, purpose.name, at) is ConsentStatus.GIVEN and not objected
        )
    return not objected


def project_for(purpose: Purpose) -> Project:
    return Project(
        "p", purpose, {"d@1": ["sid"]}, {"ana": "analyst"}, T0, T0 + dt.timedelta(days=1)
    )


@given(consents, instants)
def test_the_fold_is_the_last_event_at_or_before_t(events: list[Consent], at: dt.datetime) -> None:
    ledger = ConsentLedger(events)
    for subject in SUBJECTS:
        for purpose in PURPOSES:
            expected = brute_state(events, subject, purpose, at)
            assert consent_state(events, subject, purpose, at) == expected
            assert ledger.state(subject, purpose, at) == expected
        assert ledger.consenting("research", at) == {
            s for s in SUBJECTS if brute_state(events, s, "research", at) is ConsentStatus.GIVEN
        }
    stored = ConsentLedger.from_arrow(ledger.consent_table())
    for purpose in PURPOSES:
        assert stored.consenting(purpose, at) == ledger.consenting(purpose, at)


@given(consents, st.sampled_from(SUBJECTS), instants, instants)
def test_a_withdrawal_holds_until_the_next_consent(
    events: list[Consent], subject: str, withdrawn_at: dt.datetime, at: dt.datetime
) -> None:
    events = [*events, Consent(subject, "research", "withdrawn", withdrawn_at, "portal")]
    later_given = any(
        e.subject_id == subject
        and e.purpose == "research"
        and e.given
        and withdrawn_at < e.at <= at
        for e in events
    )
    if at >= withdrawn_at and not later_given:
        assert subject not in ConsentLedger(events).consenting("research", at)


@given(
    consents,
    objections,
    instants,
    st.sampled_from(sorted(PURPOSE_KINDS)),
    st.sets(st.sampled_from(SUBJECTS), max_size=6),
)
def test_the_visible_set_is_the_brute_force_one(
    events: list[Consent], objs: list[Objection], at: dt.datetime, kind: str, universe: set[str]
) -> None:
    purpose = PURPOSE_KINDS[kind]
    expected = {s for s in SUBJECTS if brute_visible(purpose, events, objs, at, s)}
    plain = subject_filter(project_for(purpose), events, objs, at=at)
    assert plain.visible(SUBJECTS) == expected  # exact for anyone without a universe
    assert (
        plain.mode
        is {
            "consent": FilterMode.ALLOW,
            "both": FilterMode.ALLOW,
            "objection": FilterMode.DENY,
            "neither": FilterMode.ALL,
        }[kind]
    )
    short = subject_filter(
        project_for(purpose), ConsentLedger(events, objs), at=at, subjects=universe
    )
    assert short.visible(universe) == expected & universe  # exact within the universe it was given
    if short.mode is not FilterMode.ALL:  # the shorter list, and only people from the universe
        listed, other = len(short.subject_ids), len(universe) - len(short.subject_ids)
        assert short.subject_ids <= universe
        assert listed <= other if short.mode is FilterMode.ALLOW else listed < other


POOL = [
    "1",
    "2",
    "3",
    "4",
    "5",
    "99",
]  # digits, so the same ids also serve an integer subject column
rows = st.lists(
    st.tuples(st.one_of(st.none(), st.sampled_from(POOL)), st.integers(0, 99)), max_size=30
)


@settings(max_examples=25)
@given(
    rows,
    st.sampled_from([FilterMode.ALLOW, FilterMode.DENY, FilterMode.ALL]),
    st.sets(st.sampled_from(POOL[:-1]), max_size=5),
    st.booleans(),
)
def test_engines_apply_the_filter_exactly(
    data: list[tuple[str | None, int]], mode: FilterMode, ids: set[str], integer_ids: bool
) -> None:
    # an id that an integer column cannot hold must simply match nothing
    rule = SubjectFilter(mode, frozenset(ids | {"not-a-number"}), "research", T0, "test")
    sid_type = pa.int64() if integer_ids else pa.string()

    def key(s: str | None) -> int | str | None:
        return None if s is None else (int(s) if integer_ids else s)

    table = pa.table(
        {
            "sid": pa.array([key(s) for s, _ in data], type=sid_type),
            "v": pa.array([v for _, v in data], type=pa.int64()),
        }
    )
    expected = Counter((key(s), v) for s, v in data if rule.admits(s))
    by_arrow = rule.apply_arrow(table, "sid")
    assert (
        Counter(zip(by_arrow["sid"].to_pylist(), by_arrow["v"].to_pylist(), strict=True))
        == expected
    )
    con = duckdb.connect()
    try:
        con.register("t", table)
        con.register("ids", rule.ids_table(sid_type))
        by_sql = con.sql(
            f"SELECT sid, v FROM t WHERE {subject_condition(rule, 'sid', 'ids')}"
        ).fetchall()
    finally:
        con.close()
    assert Counter(by_sql) == expected
