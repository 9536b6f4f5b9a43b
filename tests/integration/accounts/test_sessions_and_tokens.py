"""Browser sessions and API tokens: random values shown once and kept hashed, idle and absolute
expiry (an injected clock, no sleeping), CSRF, revocation, role and project scopes, and the
catalog holding no password, token or session id in any of its bytes."""

from __future__ import annotations

import datetime as dt

import pytest
from tests.integration.accounts.conftest import PASSWORD, T0, events, later

from bulle.domain.accounts import AuthMethod
from bulle.domain.actor import Actor, Role
from bulle.errors import AccessDenied, InputError, NotFoundError, Unauthenticated
from bulle.services import accounts, auth, tokens
from bulle.services.settings import set_setting
from bulle.workspace import Workspace


@pytest.fixture
def bob(ws):
    accounts.create_user(ws, "bob", ["analyst", "checker"], PASSWORD)
    return "bob"


def catalog_bytes(ws) -> bytes:
    ws.catalog.con.execute("PRAGMA wal_checkpoint(FULL)")
    files = [ws.root / "catalog.sqlite", *ws.root.glob("catalog.sqlite-*")]
    return b"".join(p.read_bytes() for p in files if p.exists())


def test_a_session_lives_until_idle_and_touching_it_keeps_it_alive(ws, bob):
    s = auth.login(ws, "bob", PASSWORD, address="192.0.2.1", at=T0)
    assert len(s.session_id) >= 43 and s.csrf_token != s.session_id
    p = auth.lookup_session(ws, s.session_id, at=later(minutes=29))
    assert (p.name, p.method, p.roles) == ("bob", AuthMethod.SESSION, {Role.ANALYST, Role.CHECKER})
    assert p.csrf_token == s.csrf_token
    auth.lookup_session(ws, s.session_id, at=later(minutes=58))  # 29 min after the last use
    with pytest.raises(Unauthenticated, match="idle"):
        auth.lookup_session(ws, s.session_id, at=later(minutes=88))
    with pytest.raises(Unauthenticated, match="not signed in"):  # deleted when found expired
        auth.lookup_session(ws, s.session_id, at=later(minutes=89))
    [login] = events(ws, "auth.login")
    [out] = events(ws, "auth.logout")
    assert login["details"]["session"] == out["details"]["session"] == s.session
    assert out["details"]["reason"] == "idle" and login["details"]["address"] == "192.0.2.1"


def test_a_session_ends_at_its_absolute_expiry_however_active(ws, bob):
    set_setting(ws, "auth.session_max_s", "3600")
    s = auth.login(ws, "bob", PASSWORD, at=T0)
    for minutes in range(10, 60, 10):
        auth.lookup_session(ws, s.session_id, at=later(minutes=minutes))
    with pytest.raises(Unauthenticated, match="expired"):
        auth.lookup_session(ws, s.session_id, at=later(minutes=60))
    assert events(ws, "auth.logout")[-1]["details"]["reason"] == "absolute"


def test_logout_ends_the_session_and_a_forged_id_is_refused(ws, bob):
    s = auth.login(ws, "bob", PASSWORD, at=T0)
    with pytest.raises(Unauthenticated):
        auth.lookup_session(
            ws, s.session_id[:-1] + ("A" if s.session_id[-1] != "A" else "B"), at=T0
        )
    assert auth.logout(ws, s.session_id) is True
    assert auth.logout(ws, s.session_id) is False
    with pytest.raises(Unauthenticated):
        auth.lookup_session(ws, s.session_id, at=later(seconds=1))
    assert events(ws, "auth.logout")[-1]["details"]["reason"] == "logout"


def test_csrf_is_required_for_session_requests_only(ws, bob):
    s = auth.login(ws, "bob", PASSWORD, at=T0)
    p = auth.lookup_session(ws, s.session_id, at=T0)
    auth.check_csrf(p, s.csrf_token)
    for bad in (None, "", s.csrf_token[:-1], s.session_id):
        with pytest.raises(AccessDenied, match="CSRF"):
            auth.check_csrf(p, bad)
    t = tokens.create_token(ws, "bob")
    auth.check_csrf(tokens.verify_token(ws, t.token), None)


def test_disabling_or_resetting_ends_sessions(ws, bob):
    s = auth.login(ws, "bob", PASSWORD, at=T0)
    assert accounts.reset_password(ws, "bob", "a brand new password").sessions_ended == 1
    with pytest.raises(Unauthenticated):
        auth.lookup_session(ws, s.session_id, at=T0)
    s = auth.login(ws, "bob", "a brand new password", at=later(seconds=1))
    assert accounts.disable_user(ws, "bob").sessions_ended == 1
    with pytest.raises(Unauthenticated):
        auth.lookup_session(ws, s.session_id, at=later(seconds=2))


def test_a_token_is_shown_once_stored_hashed_and_stands_for_its_account(ws, bob):
    issued = tokens.create_token(ws, "bob")
    assert issued.roles == ["analyst", "checker"] and issued.project is None
    p = tokens.verify_token(ws, issued.token)
    assert (p.name, p.method, p.credential) == ("bob", AuthMethod.TOKEN, issued.id)
    assert p.actor_for("checker") == Actor("bob", Role.CHECKER)
    listed = tokens.list_tokens(ws, "bob")
    assert [t.id for t in listed] == [issued.id] and issued.token not in str(listed)
    assert issued.token.encode() not in catalog_bytes(ws)
    [ev] = events(ws, "auth.token_create")
    assert ev["details"]["token_id"] == issued.id and issued.token not in str(ev)


def test_a_scoped_token_cannot_use_a_role_it_was_not_given_nor_another_project(ws, bob):
    t = tokens.create_token(ws, "bob", roles=["checker"])
    p = tokens.verify_token(ws, t.token)
    assert p.roles == {Role.CHECKER}
    with pytest.raises(AccessDenied, match="may not act as analyst: this token carries checker"):
        p.actor_for("analyst")
    with pytest.raises(AccessDenied, match="does not hold role"):
        tokens.create_token(ws, "bob", roles=["custodian"])
    with pytest.raises(NotFoundError, match="unknown project"):
        tokens.create_token(ws, "bob", project="cohorte")


def test_revoked_expired_and_forged_tokens_are_refused(ws, bob):
    t = tokens.create_token(ws, "bob", expires_days=2, at=T0)
    assert tokens.verify_token(ws, t.token, at=later(days=1)).name == "bob"
    with pytest.raises(Unauthenticated, match="expired"):
        tokens.verify_token(ws, t.token, at=later(days=2))
    r = tokens.create_token(ws, "bob")
    tokens.revoke_token(ws, r.id)
    with pytest.raises(Unauthenticated, match="revoked") as err:
        tokens.verify_token(ws, r.token)
    assert err.value.code == "unauthenticated" and err.value.http_status == 401
    assert tokens.revoke_token(ws, r.id).already_revoked is True
    assert [e["details"]["token_id"] for e in events(ws, "auth.token_revoke")] == [r.id]
    good = tokens.create_token(ws, "bob").token
    forged = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
    for bad in (None, "", "Bearer " + good, forged, good.replace(good[6:22], "0" * 16)):
        with pytest.raises(Unauthenticated):
            tokens.verify_token(ws, bad)


def test_a_disabled_accounts_tokens_are_refused(ws, bob):
    t = tokens.create_token(ws, "bob")
    accounts.disable_user(ws, "bob")
    with pytest.raises(Unauthenticated, match="disabled"):
        tokens.verify_token(ws, t.token)
    with pytest.raises(AccessDenied, match="disabled"):
        tokens.create_token(ws, "bob")


def test_token_lifetime_is_bounded_by_the_settings(ws, bob):
    issued = tokens.create_token(ws, "bob", at=T0)
    assert issued.expires_at == later(days=90).isoformat(timespec="microseconds")
    with pytest.raises(InputError, match="at most 365 days"):
        tokens.create_token(ws, "bob", expires_days=366)
    with pytest.raises(InputError, match=">= 1"):
        tokens.create_token(ws, "bob", expires_days=0)


def test_only_a_custodian_administers_others_and_a_person_their_own_tokens(ws, bob, tmp_path):
    accounts.create_user(ws, "dan", ["analyst"], PASSWORD)
    mine = tokens.create_token(ws, "bob")
    ws.close()
    as_bob = Workspace.open(ws.root, Actor("bob", Role.ANALYST))
    try:
        with pytest.raises(AccessDenied, match="only a custodian"):
            accounts.create_user(as_bob, "eve", ["custodian"], PASSWORD)
        with pytest.raises(AccessDenied):
            accounts.disable_user(as_bob, "dan")
        with pytest.raises(AccessDenied):
            accounts.reset_password(as_bob, "dan", "taken over password")
        with pytest.raises(AccessDenied):
            tokens.create_token(as_bob, "dan")
        with pytest.raises(AccessDenied):
            accounts.list_users(as_bob)
        own = tokens.create_token(as_bob, "bob", roles=["analyst"])
        assert {t.id for t in tokens.list_tokens(as_bob, "bob")} == {mine.id, own.id}
        tokens.revoke_token(as_bob, own.id)
        accounts.change_password(as_bob, "bob", PASSWORD, "my own new password")
        with pytest.raises(Unauthenticated):
            accounts.change_password(as_bob, "bob", PASSWORD, "another new password")
    finally:
        as_bob.close()
    ws2 = Workspace.open(ws.root, Actor("carol", Role.CUSTODIAN))
    try:
        assert auth.authenticate(ws2, "bob", "my own new password", at=dt.datetime.now(dt.UTC))
    finally:
        ws2.close()


def test_no_password_token_session_id_or_totp_secret_in_the_catalog_or_the_log(ws, bob):
    accounts.create_user(ws, "alice", ["custodian", "dpo"], "alice's own long password")
    uri = accounts.enrol_totp(ws, "alice").uri
    secret = uri.split("secret=")[1].split("&")[0]
    accounts.reset_password(ws, "bob", "bob's second long password")
    s = auth.login(ws, "bob", "bob's second long password", at=T0)
    with pytest.raises(Unauthenticated):
        auth.login(ws, "bob", "a wrong guess of bob's", at=T0)
    with pytest.raises(Unauthenticated):
        auth.login(ws, "a password in the name field", "x" * 12, at=T0)
    t = tokens.create_token(ws, "bob")
    hashes = [r[0] for r in ws.catalog.con.execute("SELECT password_hash FROM accounts")]
    assert all(h.startswith("$argon2id$v=19$m=65536,t=3,p=4$") for h in hashes)
    secrets = [
        PASSWORD,
        "alice's own long password",
        "bob's second long password",
        "a wrong guess of bob's",
        "a password in the name field",
        s.session_id,
        s.csrf_token,
        t.token,
        t.token.split("_", 2)[2],  # the secret part (itself base64url: it may hold "_")
        secret,
    ]
    raw = catalog_bytes(ws)
    assert [x for x in secrets if x.encode() in raw] == []
    log = (ws.root / "audit" / "log.jsonl").read_text()
    assert [x for x in secrets if x in log] == []
    assert (ws.root / "keys").stat().st_mode & 0o077 == 0
    [key_file] = (ws.root / "keys").glob("totp-*.key")
    assert key_file.stat().st_mode & 0o777 == 0o600 and key_file.read_text() == secret
    # the search would find them: the session id's hash and the token's id are there
    assert t.id.encode() in raw and s.session.encode() in raw


def test_an_external_identity_maps_to_its_account_for_single_sign_on(ws):
    from bulle.domain.accounts import ExternalIdentity
    from bulle.errors import ConflictError

    idp = "https://idp.chu.example/realms/bulle"
    accounts.create_user(ws, "zoe", ["dpo"], external=ExternalIdentity(idp, "f81d4fae-7dec"))
    account = auth.account_for_identity(ws, idp, "f81d4fae-7dec")
    s = auth.begin_session(ws, account, at=T0)
    assert auth.lookup_session(ws, s.session_id, at=T0).name == "zoe"
    assert events(ws, "auth.login")[-1]["details"]["method"] == "identity_provider"
    with pytest.raises(Unauthenticated):
        auth.account_for_identity(ws, idp, "another-subject")
    with pytest.raises(Unauthenticated):
        auth.account_for_identity(ws, "https://evil.example", "f81d4fae-7dec")
    with pytest.raises(ConflictError):
        accounts.create_user(ws, "zoe2", ["dpo"], external=ExternalIdentity(idp, "f81d4fae-7dec"))
    with pytest.raises(Unauthenticated):  # no password: a password sign-in is refused
        auth.authenticate(ws, "zoe", "", at=T0)
    accounts.disable_user(ws, "zoe")
    with pytest.raises(Unauthenticated):
        auth.account_for_identity(ws, idp, "f81d4fae-7dec")


def test_once_there_are_accounts_project_members_name_them(ws, bob, tmp_path):
    from bulle.errors import ValidationError
    from bulle.services import governance, vault

    csv = tmp_path / "t.csv"
    csv.write_text("id,age\n1,40\n2,50\n")
    vault.import_table(ws, csv, dataset="t")
    governance.declare_purpose(ws, "etude", "Étude", "public_task")
    window = (T0, later(days=30))
    with pytest.raises(ValidationError) as err:
        governance.create_project(
            ws, "p", "etude", {"t@1": ["age"]}, [("bob", "custodian"), ("bbo", "analyst")], *window
        )
    messages = [p.message for p in err.value.problems]
    assert messages == [
        "account 'bob' does not hold role custodian (it holds analyst, checker)",
        "'bbo' is not an account of this workspace (`bulle user add`)",
    ]
    p = governance.create_project(ws, "p", "etude", {"t@1": ["age"]}, [("bob", "checker")], *window)
    assert [(m.name, m.role.value) for m in p.members] == [("bob", "checker")]
    accounts.disable_user(ws, "bob")
    with pytest.raises(ValidationError, match="1 problem"):
        governance.create_project(ws, "p", "etude", {"t@1": ["age"]}, [("bob", "analyst")], *window)
    accounts.enable_user(ws, "bob")
    assert [e["kind"] for e in events(ws)][-1] == "account.enable"
    governance.create_project(ws, "p", "etude", {"t@1": ["age"]}, [("bob", "analyst")], *window)


def test_a_tokens_last_use_is_kept_to_the_minute(ws, bob):
    t = tokens.create_token(ws, "bob", at=T0)
    tokens.verify_token(ws, t.token, at=later(seconds=10))
    tokens.verify_token(ws, t.token, at=later(seconds=40))
    [view] = tokens.list_tokens(ws, "bob")
    assert view.last_used_at == later(seconds=10).isoformat(timespec="microseconds")
    tokens.verify_token(ws, t.token, at=later(seconds=70))
    [view] = tokens.list_tokens(ws, "bob")
    assert view.last_used_at == later(seconds=70).isoformat(timespec="microseconds")
