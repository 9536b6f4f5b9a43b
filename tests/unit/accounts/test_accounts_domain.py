"""The account model: roles an account may hold, a principal acting only in roles it holds and
projects its token allows, tokens and sessions expiring at their instants."""

from __future__ import annotations

import datetime as dt

import pytest

from bulle.domain.accounts import (
    Account,
    ApiToken,
    AuthMethod,
    BrowserSession,
    ExternalIdentity,
    Principal,
    account_roles,
)
from bulle.domain.actor import Actor, Role
from bulle.domain.projects import Member
from bulle.errors import AccessDenied, InputError, Unauthenticated, ValidationError

T0 = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)


def test_checker_is_a_role_and_a_project_member_role():
    assert Role("checker") is Role.CHECKER
    assert Member("carl", "checker").role is Role.CHECKER


def test_account_roles_refuse_subject_system_and_unknown_names_all_at_once():
    assert account_roles(["analyst", "checker"]) == {Role.ANALYST, Role.CHECKER}
    with pytest.raises(ValidationError) as err:
        account_roles(["subject", "system", "boss"])
    assert len(err.value.problems) == 3
    with pytest.raises(ValidationError, match="at least one role"):
        account_roles([])


@pytest.mark.parametrize("name", ["", " bob", "bob smith", "x" * 129, "-bob", "bob\n"])
def test_bad_account_names_are_refused(name):
    with pytest.raises(InputError):
        Account(name, frozenset({Role.ANALYST}), T0, "carol")


def test_an_external_identity_is_an_https_issuer_and_a_subject():
    ExternalIdentity("https://idp.chu.example/realms/bulle", "f81d4fae")
    with pytest.raises(InputError):
        ExternalIdentity("http://idp.example", "s")
    with pytest.raises(InputError):
        ExternalIdentity("https://idp.example", "")


def test_a_principal_acts_only_in_a_role_it_holds():
    p = Principal("bob", frozenset({Role.ANALYST, Role.CHECKER}), AuthMethod.TOKEN)
    assert p.actor_for("checker") == Actor("bob", Role.CHECKER)
    assert p.actor_for() == Actor("bob", Role.ANALYST)  # the least powerful by default
    with pytest.raises(AccessDenied, match="may not act as custodian") as err:
        p.actor_for(Role.CUSTODIAN)
    assert not isinstance(err.value, Unauthenticated)  # authenticated, but not allowed: 403
    assert err.value.http_status == 403
    with pytest.raises(AccessDenied):
        Principal("x", frozenset(), AuthMethod.TOKEN).actor_for()


def test_a_project_scoped_principal_is_refused_other_projects():
    p = Principal("bob", frozenset({Role.ANALYST}), AuthMethod.TOKEN, project="cohorte")
    p.require_project("cohorte")
    with pytest.raises(AccessDenied, match="limited to project 'cohorte'"):
        p.require_project("autre")
    Principal("bob", frozenset({Role.ANALYST}), AuthMethod.TOKEN).require_project("autre")


def test_unauthenticated_is_access_denied_with_its_own_code_and_status():
    e = Unauthenticated("no token")
    assert isinstance(e, AccessDenied)
    assert (e.code, e.exit_code, e.http_status) == ("unauthenticated", 5, 401)


def test_tokens_refuse_after_expiry_or_revocation():
    t = ApiToken(
        "0123456789abcdef", "bob", frozenset({Role.ANALYST}), T0, T0 + dt.timedelta(days=1)
    )
    assert t.refusal_at(T0 + dt.timedelta(hours=23)) is None
    assert "expired" in t.refusal_at(T0 + dt.timedelta(days=1))
    r = ApiToken(
        "0123456789abcdef",
        "bob",
        frozenset({Role.ANALYST}),
        T0,
        T0 + dt.timedelta(days=1),
        revoked_at=T0 + dt.timedelta(hours=1),
    )
    assert r.refusal_at(T0) is None and "revoked" in r.refusal_at(T0 + dt.timedelta(hours=2))
    with pytest.raises(InputError):
        ApiToken("xyz", "bob", frozenset({Role.ANALYST}), T0, T0 + dt.timedelta(days=1))
    with pytest.raises(InputError):
        ApiToken("0123456789abcdef", "bob", frozenset({Role.ANALYST}), T0, T0)


def test_sessions_expire_when_idle_and_at_their_absolute_end():
    s = BrowserSession(
        "ab" * 32, "bob", T0, T0 + dt.timedelta(minutes=50), T0 + dt.timedelta(hours=12)
    )
    idle = dt.timedelta(minutes=30)
    assert s.refusal_at(T0 + dt.timedelta(minutes=79), idle) is None
    assert s.refusal_at(T0 + dt.timedelta(minutes=80), idle) == "idle"
    assert s.refusal_at(T0 + dt.timedelta(hours=12), dt.timedelta(days=1)) == "absolute"
