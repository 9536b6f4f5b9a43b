"""Accounts through HTTP, with the real accounts service: sign-in, lockout, session expiry, token
revocation, TOTP required for custodians by default."""

from __future__ import annotations

import json
import time
import warnings

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

PASSWORD = "a long enough password for tests"


@pytest.fixture
def app(tmp_path, monkeypatch):
    from bulle.domain.actor import Actor, Role
    from bulle.server.app import create_app
    from bulle.services.accounts import create_user
    from bulle.services.tokens import create_token
    from bulle.workspace import Workspace

    monkeypatch.setenv("BULLE_SETTING_AUTH_LOCKOUT_FAILURES", "3")
    monkeypatch.setenv("BULLE_SETTING_AUTH_SESSION_IDLE_S", "1")
    ws = Workspace.init(tmp_path / "ws", Actor("root", Role.CUSTODIAN))
    try:
        create_user(ws, "bob", ["analyst"], PASSWORD)
        create_user(ws, "alice", ["custodian"], PASSWORD)
        issued = create_token(ws, "bob")
    finally:
        ws.close()
    server = create_app(tmp_path / "ws")
    with TestClient(server, base_url="http://testserver") as client:
        yield client, issued.token, tmp_path / "ws"


def sign_in(client, name, password):
    return client.post("/login", data={"username": name, "password": password})


def test_lockout_after_failures_refuses_even_the_right_password(app):
    client, _, _ = app
    for _ in range(3):
        r = sign_in(client, "bob", "wrong password, wrong password")
        assert r.status_code in (401, 429)
        assert set(r.json()["error"]) == {"code", "message", "where", "problems"}
    locked = sign_in(client, "bob", PASSWORD)
    assert locked.status_code in (401, 429)
    assert locked.json()["error"]["code"] in ("rate_limited", "unauthenticated")
    assert "bulle_session" not in locked.headers.get("set-cookie", "")


def test_an_idle_session_expires(app):
    client, _, _ = app
    r = sign_in(client, "bob", PASSWORD)
    assert r.status_code == 200, r.text
    assert client.get("/api/v1/whoami").json()["name"] == "bob"
    time.sleep(1.3)
    expired = client.get("/api/v1/whoami")
    assert expired.status_code == 401 and expired.json()["error"]["code"] == "unauthenticated"


def test_a_custodian_needs_a_second_factor_by_default(app):
    client, _, _ = app
    r = sign_in(client, "alice", PASSWORD)  # right password, no second factor enrolled
    assert r.status_code == 401, r.text
    assert r.json()["error"]["where"] == {"field": "totp"}
    assert "bulle_session" not in r.headers.get("set-cookie", "")


def test_a_revoked_token_is_refused_at_once(app):
    from bulle.domain.actor import Actor, Role
    from bulle.services.tokens import list_tokens, revoke_token
    from bulle.workspace import Workspace

    client, token, root = app
    h = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/whoami", headers=h).json() == {
        "name": "bob",
        "roles": ["analyst"],
        "project": None,
        "via": "token",
    }
    ws = Workspace.open(root, Actor("root", Role.CUSTODIAN))
    try:
        revoke_token(ws, list_tokens(ws, "bob")[0].id)
    finally:
        ws.close()
    refused = client.get("/api/v1/whoami", headers=h)
    assert refused.status_code == 401
    assert json.loads(refused.text)["error"]["code"] == "unauthenticated"
