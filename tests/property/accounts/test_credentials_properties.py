"""Properties of credentials over many cases: a token never carries a role its account lacks, any
altered token is refused, and a session lives exactly as long as its idle and absolute limits
allow, whatever the rhythm of its requests."""

from __future__ import annotations

import datetime as dt
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bulle.domain.accounts import ACCOUNT_ROLES
from bulle.domain.actor import Actor, Role
from bulle.errors import AccessDenied, Unauthenticated
from bulle.services import accounts, auth, tokens
from bulle.services.settings import set_setting
from bulle.workspace import Workspace

T0 = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)
PASSWORD = "a long enough password"
ROLE_SETS = st.sets(st.sampled_from(ACCOUNT_ROLES), min_size=1)
SHARED = settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    from bulle.vault import custodian_key

    log2_n, custodian_key.SCRYPT_LOG2_N = custodian_key.SCRYPT_LOG2_N, 10
    try:
        w = Workspace.init(tmp_path_factory.mktemp("acc") / "ws", Actor("carol", Role.CUSTODIAN))
    finally:
        custodian_key.SCRYPT_LOG2_N = log2_n
    accounts.create_user(w, "bob", ["analyst", "checker"], PASSWORD)
    set_setting(w, "auth.session_max_s", "5000")  # reachable by a few gaps of up to 40 minutes
    yield w
    w.close()


@SHARED
@given(held=ROLE_SETS, asked=st.sets(st.sampled_from(ACCOUNT_ROLES)), data=st.data())
def test_a_token_carries_exactly_the_roles_asked_and_only_roles_of_its_account(
    ws, held, asked, data
):
    name = f"u{data.draw(st.integers(0, 10**9))}"
    if accounts.store(ws).find(name) is None:
        accounts.create_user(ws, name, held)  # no password: no hashing, the property is the scope
    held = accounts.store(ws).get(name).roles
    try:
        issued = tokens.create_token(ws, name, roles=asked or None)
    except AccessDenied:
        assert asked and not asked <= held
        return
    expected = asked or held
    assert asked <= held or not asked
    principal = tokens.verify_token(ws, issued.token)
    assert principal.roles == expected
    for role in ACCOUNT_ROLES:
        if role in expected:
            assert principal.actor_for(role) == Actor(name, role)
        else:
            with pytest.raises(AccessDenied):
                principal.actor_for(role)


ALPHABET = string.ascii_letters + string.digits + "_-"


@SHARED
@given(data=st.data())
def test_any_altered_token_is_refused(ws, data):
    issued = tokens.create_token(ws, "bob")
    token = issued.token
    i = data.draw(st.integers(0, len(token) - 1))
    # drawn without looking at the (random) token, so hypothesis replays the same draws
    c = data.draw(st.sampled_from(ALPHABET))
    if c == token[i]:
        c = ALPHABET[(ALPHABET.index(c) + 1) % len(ALPHABET)]
    altered = token[:i] + c + token[i + 1 :]
    cut = data.draw(st.integers(0, len(token) - 1))
    for bad in (altered, token[:cut], token + c):
        with pytest.raises(Unauthenticated):
            tokens.verify_token(ws, bad)
    assert tokens.verify_token(ws, token).name == "bob"


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(gaps=st.lists(st.integers(1, 2400), min_size=1, max_size=8))
def test_a_session_lives_while_each_gap_is_under_the_idle_limit_and_the_whole_under_the_max(
    ws, gaps
):
    idle, most = float(ws.settings["auth.session_idle_s"]), float(ws.settings["auth.session_max_s"])
    at = T0
    s = auth.login(ws, "bob", PASSWORD, at=at)
    alive = True
    for gap in gaps:
        at += dt.timedelta(seconds=gap)
        expected = alive and gap < idle and (at - T0).total_seconds() < most
        try:
            auth.lookup_session(ws, s.session_id, at=at)
            assert expected, (
                f"session still alive at +{(at - T0).total_seconds()} s after a {gap} s gap"
            )
        except Unauthenticated:
            assert not expected
            alive = False
