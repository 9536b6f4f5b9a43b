"""Over any series of versions, a project's binding admits at most one version, the right one,
and never a raw one unless the approval allows raw data."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from bulle.domain.actor import Actor, Role
from bulle.domain.datasets import VersionKind
from bulle.domain.governance import DatasetUse, GovernedDataset, Project, Purpose
from bulle.governance.access import Rule, can_read

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
CARE = Purpose("care", "Care", "public_task", compatible_with={"study"})
STUDY = Purpose("study", "Study", "contract")
ANA = Actor("ana", Role.ANALYST)

versions = st.lists(
    st.tuples(st.sampled_from(list(VersionKind)), st.booleans()), min_size=1, max_size=8
)


@st.composite
def cases(draw):
    series = draw(versions)  # (kind, raw) of patients@1, patients@2, ...
    if draw(st.booleans()):
        use = DatasetUse("patients", ("age",), version=draw(st.integers(1, len(series) + 1)))
    else:
        use = DatasetUse("patients", ("age",), kind=draw(st.sampled_from(list(VersionKind))))
    return series, use, draw(st.booleans())


@given(cases())
def test_a_binding_admits_exactly_its_version_and_raw_only_when_allowed(case):
    series, use, allow_raw = case
    project = Project(
        "p", STUDY, (use,), {"ana": "analyst"}, T0, T0 + dt.timedelta(days=9)
    ).approve(Actor("cus", Role.CUSTODIAN), T0, allow_raw=allow_raw)
    of_kind = [n for n, (kind, _) in enumerate(series, 1) if kind is use.kind]
    latest = max(of_kind) if of_kind else None
    bound = use.version if use.version is not None else latest
    allowed = []
    for number, (kind, raw) in enumerate(series, 1):
        ds = GovernedDataset("patients", CARE, ("age",), version=number, kind=kind, raw=raw)
        decision = can_read(ANA, project, ds, at=T0 + dt.timedelta(days=1), latest_of_kind=latest)
        rules = {d.rule for d in decision.denials}
        assert (Rule.VERSION in rules) == (number != bound)
        assert (Rule.RAW in rules) == (raw and not allow_raw)
        assert decision.allowed == (number == bound and (allow_raw or not raw))
        if decision.allowed:
            allowed.append(number)
    assert len(allowed) <= 1  # `read NAME` and `query` cannot disagree on the version served
