"""The public register never shows a person: whoever the members, the approver, the people whose
choices are recorded and the sources of those choices, none of them appears in what anyone may
read without signing in."""

from __future__ import annotations

import datetime as dt
import itertools
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bulle.domain.actor import Actor, Role
from bulle.domain.consents import Consent
from bulle.services import governance as gov
from bulle.services.accounts import create_user
from bulle.services.register import public_register
from bulle.services.vault import import_table, set_roles
from bulle.workspace import Workspace

NOW = dt.datetime.now(dt.UTC)
COUNTER = itertools.count()
names = st.text("abcdefghijklmnopqrstuvwxyz", min_size=6, max_size=10).map(lambda s: "zq" + s)
subjects = st.lists(st.from_regex(r"S[0-9]{6,9}", fullmatch=True), min_size=1, max_size=5)
sources = st.text("abcdefghijklmnopqrstuvwxyz ", min_size=8, max_size=20).map(lambda s: "xw" + s)


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("register")
    data = tmp / "patients.csv"
    data.write_text("patient_id,age\n" + "".join(f"S{100000 + i},{30 + i}\n" for i in range(20)))
    w = Workspace.init(tmp / "ws", Actor("custodian", Role.CUSTODIAN))
    import_table(w, data, "patients")
    set_roles(w, "patients", {"patient_id": "subject_id"}, confirm_all=True)
    gov.declare_purpose(w, "study", "Étude", "consent")
    gov.set_dataset_purpose(w, "patients", "study")
    yield w
    w.close()


@settings(max_examples=15, deadline=None)
@given(member=names, approver=names, people=subjects, source=sources)
def test_no_person_reaches_the_public_register(ws, member, approver, people, source):
    n = next(COUNTER)
    project, member = f"p{n}", f"{member}{n}"  # each example its own account
    create_user(ws, member, ["analyst"])
    gov.record_choices(ws, [Consent(s, "study", "given", NOW, source) for s in people])
    gov.create_project(
        ws, project, "study", {"patients@1": ["patient_id", "age"]}, [(member, "analyst")],
        NOW - dt.timedelta(days=1), NOW + dt.timedelta(days=30),
    )  # fmt: skip
    with Workspace.open(ws.root, Actor(approver, Role.CUSTODIAN)) as custodian:
        gov.approve_project(custodian, project, allow_raw=True, row_access="none")
    shown = json.dumps([e.to_dict() for e in public_register(ws)], ensure_ascii=False)
    assert project in shown  # the approved project is there...
    for secret in (member, approver, source.strip(), *people):  # ...and nobody in it
        assert secret not in shown
