"""Signing in: the password and one-time code checked, lockout per account name, a limit per
address, disabled accounts refused, every outcome recorded as a typed event."""

from __future__ import annotations

import pytest
from tests.integration.accounts.conftest import PASSWORD, T0, events, later

from bulle.auth import totp
from bulle.errors import RateLimited, SecondFactorRequired, Unauthenticated
from bulle.services import accounts, auth
from bulle.services.settings import set_setting


@pytest.fixture
def bob(ws):
    accounts.create_user(ws, "bob", ["analyst"], PASSWORD)
    return "bob"


def test_the_right_password_signs_in_and_a_wrong_one_does_not(ws, bob):
    assert auth.authenticate(ws, "bob", PASSWORD, at=T0).name == "bob"
    with pytest.raises(Unauthenticated, match="bad user name or password"):
        auth.authenticate(ws, "bob", PASSWORD + "x", at=T0)
    with pytest.raises(Unauthenticated, match="bad user name or password"):
        auth.authenticate(ws, "nobody", PASSWORD, at=T0)
    [failed, unknown] = events(ws, "auth.login_failed")
    assert failed["target"] == "account:bob" and failed["details"]["reason"] == "bad_credentials"
    assert unknown["target"] is None and unknown["details"]["known"] is False
    assert unknown["details"]["username_sha256"] == auth.username_hash(ws, "nobody")
    assert "nobody" not in str(unknown)  # a typed name may be a password typed in the wrong field


def test_lockout_after_n_failures_refuses_even_the_right_password_until_it_ends(ws, bob):
    set_setting(ws, "auth.lockout_failures", "3")
    for i in range(2):
        with pytest.raises(Unauthenticated):
            auth.authenticate(ws, "bob", "wrong password!", at=later(seconds=i))
    assert events(ws, "auth.lockout") == []
    with pytest.raises(Unauthenticated):
        auth.authenticate(ws, "bob", "wrong password!", at=later(seconds=2))
    [lock] = events(ws, "auth.lockout")
    assert lock["target"] == "account:bob"
    assert lock["details"]["failures"] == 3 and lock["details"]["until"] == later(
        seconds=902
    ).isoformat(timespec="microseconds")
    with pytest.raises(RateLimited, match="try again after") as err:
        auth.authenticate(ws, "bob", PASSWORD, at=later(seconds=60))
    assert err.value.http_status == 429 and err.value.exit_code == 5
    assert events(ws, "auth.login_failed")[-1]["details"]["reason"] == "locked"
    # the refusals during the lockout do not extend it: at its end the right password works
    assert auth.authenticate(ws, "bob", PASSWORD, at=later(seconds=903)).name == "bob"
    # and a success clears the count: two new failures do not lock
    for i in range(2):
        with pytest.raises(Unauthenticated):
            auth.authenticate(ws, "bob", "wrong again!!", at=later(seconds=910 + i))
    assert auth.authenticate(ws, "bob", PASSWORD, at=later(seconds=920)).name == "bob"
    assert len(events(ws, "auth.lockout")) == 1


def test_unknown_names_lock_like_accounts(ws):
    set_setting(ws, "auth.lockout_failures", "2")
    for i in range(2):
        with pytest.raises(Unauthenticated):
            auth.authenticate(ws, "ghost", "whatever pass", at=later(seconds=i))
    with pytest.raises(RateLimited):
        auth.authenticate(ws, "ghost", "whatever pass", at=later(seconds=5))
    [lock] = events(ws, "auth.lockout")
    assert lock["details"]["known"] is False and "ghost" not in str(lock)


def test_failures_older_than_the_window_are_forgotten(ws, bob):
    set_setting(ws, "auth.lockout_failures", "2")
    with pytest.raises(Unauthenticated):
        auth.authenticate(ws, "bob", "wrong password!", at=T0)
    with pytest.raises(Unauthenticated):
        auth.authenticate(ws, "bob", "wrong password!", at=later(seconds=901))
    assert events(ws, "auth.lockout") == []
    assert auth.authenticate(ws, "bob", PASSWORD, at=later(seconds=902)).name == "bob"


def test_an_address_with_too_many_failures_is_refused_whatever_name_it_tries(ws, bob):
    set_setting(ws, "auth.address_failures", "3")
    for i, name in enumerate(["a1", "a2", "a3"]):  # spraying names: no one name locks
        with pytest.raises(Unauthenticated):
            auth.authenticate(
                ws, name, "guess guess guess", address="203.0.113.9", at=later(seconds=i)
            )
    with pytest.raises(RateLimited, match="from this address"):
        auth.authenticate(ws, "bob", PASSWORD, address="203.0.113.9", at=later(seconds=10))
    assert events(ws, "auth.login_failed")[-1]["details"]["reason"] == "address_limited"
    assert events(ws, "auth.lockout") == []
    # another address is not affected; this one recovers once its failures leave the window
    assert auth.authenticate(ws, "bob", PASSWORD, address="198.51.100.7", at=later(seconds=11))
    assert auth.authenticate(ws, "bob", PASSWORD, address="203.0.113.9", at=later(seconds=903))


def test_a_disabled_account_cannot_sign_in(ws, bob):
    accounts.disable_user(ws, "bob")
    with pytest.raises(Unauthenticated, match="disabled"):
        auth.authenticate(ws, "bob", PASSWORD, at=T0)
    with pytest.raises(Unauthenticated, match="bad user name"):  # not said without the password
        auth.authenticate(ws, "bob", "wrong password!", at=T0)


def test_custodians_need_a_one_time_code_by_default(ws):
    accounts.create_user(ws, "alice", ["custodian"], PASSWORD)
    with pytest.raises(Unauthenticated, match="user totp alice"):
        auth.authenticate(ws, "alice", PASSWORD, at=T0)  # none enrolled: refused, says how
    uri = accounts.enrol_totp(ws, "alice").uri
    key = totp.decode_secret(uri.split("secret=")[1].split("&")[0])
    with pytest.raises(SecondFactorRequired) as err:
        auth.authenticate(ws, "alice", PASSWORD, at=later(seconds=1))
    assert err.value.code == "totp_required"
    with pytest.raises(Unauthenticated, match="one-time code"):
        auth.authenticate(ws, "alice", PASSWORD, totp_code="000000", at=later(seconds=2))
    code = totp.totp(key, later(seconds=3))
    assert (
        auth.authenticate(ws, "alice", PASSWORD, totp_code=code, at=later(seconds=3)).name
        == "alice"
    )
    with pytest.raises(Unauthenticated, match="already used"):  # a replay within the window
        auth.authenticate(ws, "alice", PASSWORD, totp_code=code, at=later(seconds=4))
    reasons = [e["details"]["reason"] for e in events(ws, "auth.login_failed")]
    assert reasons == ["totp_not_enrolled", "totp_missing", "totp_bad", "totp_bad"]


def test_the_roles_needing_a_code_are_a_setting(ws, bob):
    set_setting(ws, "auth.totp_roles", "analyst")
    with pytest.raises(Unauthenticated, match="one-time code is required for analyst"):
        auth.authenticate(ws, "bob", PASSWORD, at=T0)
    set_setting(ws, "auth.totp_roles", "")
    accounts.create_user(ws, "alice", ["custodian"], PASSWORD)
    assert auth.authenticate(ws, "alice", PASSWORD, at=T0).name == "alice"


def test_a_correct_password_without_the_code_counts_as_a_failure(ws):
    """Otherwise an attacker could test passwords against the code prompt without ever locking."""
    set_setting(ws, "auth.lockout_failures", "2")
    accounts.create_user(ws, "alice", ["custodian"], PASSWORD)
    accounts.enrol_totp(ws, "alice")
    for i in range(2):
        with pytest.raises(SecondFactorRequired):
            auth.authenticate(ws, "alice", PASSWORD, at=later(seconds=i))
    with pytest.raises(RateLimited):
        auth.authenticate(ws, "alice", PASSWORD, at=later(seconds=3))
