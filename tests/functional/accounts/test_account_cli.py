"""``bulle user`` and ``bulle token`` in real processes: the exact forms of the issue, tokens
printed once in JSON, bad password files refused with exit 2 naming the file, refusals with the
exit code of AccessDenied, and what the catalog keeps."""

from __future__ import annotations

import sqlite3

import pytest

PASSWORD = "une phrase de passe assez longue"


@pytest.fixture
def ws(tmp_path):
    """Made in-process (with the tests' cheap key-sealing cost); the commands run in processes."""
    from bulle.domain.actor import Actor, Role
    from bulle.workspace import Workspace

    root = tmp_path / "ws"
    Workspace.init(root, Actor("carol", Role.CUSTODIAN)).close()
    return root


@pytest.fixture
def pwfile(tmp_path):
    p = tmp_path / "pw.txt"
    p.write_text(PASSWORD + "\n")
    return p


def test_the_first_custodian_then_an_analyst_and_their_tokens(ws, pwfile, bulle):
    w = ["-w", ws]
    r = bulle(
        *w,
        "user",
        "add",
        "alice",
        "--role",
        "custodian",
        "--role",
        "dpo",
        "--password-file",
        pwfile,
        "--json",
    )
    assert r.code == 0, r.err
    assert r.json()["roles"] == ["custodian", "dpo"] and r.json()["totp_required"] is True
    r = bulle(
        *w,
        "user",
        "add",
        "bob",
        "--role",
        "analyst",
        "--role",
        "checker",
        "--password-file",
        pwfile,
    )
    assert r.code == 0, r.err
    users = bulle(*w, "user", "list", "--json").json()["users"]
    assert [(u["name"], u["roles"]) for u in users] == [
        ("alice", ["custodian", "dpo"]),
        ("bob", ["analyst", "checker"]),
    ]
    r = bulle(*w, "token", "create", "bob", "--json")
    assert r.code == 0, r.err
    full = r.json()
    assert full["token"].startswith("bulle_") and full["roles"] == ["analyst", "checker"]
    r = bulle(*w, "token", "create", "bob", "--role", "checker", "--expires-days", "7", "--json")
    scoped = r.json()
    assert scoped["roles"] == ["checker"]
    listed = bulle(*w, "token", "list", "bob", "--json")
    assert (
        listed.code == 0 and full["token"] not in listed.out and scoped["token"] not in listed.out
    )
    assert {t["id"]: t["state"] for t in listed.json()["tokens"]} == {
        full["id"]: "active",
        scoped["id"]: "active",
    }
    r = bulle(*w, "token", "revoke", scoped["id"], "--json")
    assert r.code == 0 and r.json() == {
        "id": scoped["id"],
        "account": "bob",
        "already_revoked": False,
    }
    states = {t["id"]: t["state"] for t in bulle(*w, "token", "list", "--json").json()["tokens"]}
    assert states[scoped["id"]] == "revoked"
    con = sqlite3.connect(ws / "catalog.sqlite")
    try:
        stored = con.execute("SELECT token_sha256 FROM api_tokens").fetchall()
    finally:
        con.close()
    assert len(stored) == 2 and all(len(h) == 64 for (h,) in stored)
    raw = b"".join(p.read_bytes() for p in ws.glob("catalog.sqlite*"))
    assert PASSWORD.encode() not in raw and full["token"].encode() not in raw


def test_a_token_without_role_carries_all_and_a_role_the_account_lacks_is_refused(
    ws, pwfile, bulle
):
    w = ["-w", ws]
    assert bulle(*w, "user", "add", "bob", "--role", "analyst", "--password-file", pwfile).code == 0
    r = bulle(*w, "token", "create", "bob", "--role", "custodian", "--json")
    assert r.code == 5 and r.error()["code"] == "access_denied"
    assert "does not hold role(s) custodian" in r.error()["message"]
    r = bulle(*w, "token", "create", "nobody", "--json")
    assert r.code == 3
    r = bulle(*w, "token", "create", "bob", "--project", "nope", "--json")
    assert r.code == 3 and "unknown project" in r.error()["message"]
    r = bulle(*w, "token", "revoke", "not-an-id", "--json")
    assert r.code == 2


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "password file not found"), ("", "empty"), ("\n", "empty"), ("court\n", "too short")],
)
def test_a_bad_password_file_exits_2_naming_the_file_and_adds_nothing(
    ws, tmp_path, bulle, content, message
):
    p = tmp_path / "secret.txt"
    if content is not None:
        p.write_text(content)
    r = bulle("-w", ws, "user", "add", "bob", "--role", "analyst", "--password-file", p, "--json")
    assert r.code == 2
    assert message in r.error()["message"] and r.error()["where"]["file"] == str(p)
    assert bulle("-w", ws, "user", "list", "--json").json()["users"] == []
    plain = bulle("-w", ws, "user", "add", "bob", "--role", "analyst", "--password-file", p)
    assert plain.code == 2 and str(p) in plain.err and "Traceback" not in plain.err


def test_disable_reset_and_totp_enrolment(ws, pwfile, tmp_path, bulle):
    w = ["-w", ws]
    assert bulle(*w, "user", "add", "bob", "--role", "analyst", "--password-file", pwfile).code == 0
    new = tmp_path / "new.txt"
    new.write_text("un autre mot de passe long")
    r = bulle(*w, "user", "password", "bob", "--password-file", new, "--json")
    assert r.code == 0 and r.json()["reset"] is True
    r = bulle(*w, "user", "totp", "bob")
    assert r.code == 0 and r.out.startswith("otpauth://totp/Bulle:bob?secret=")
    assert "not shown again" in r.err
    secret = r.out.split("secret=")[1].split("&")[0]
    users = bulle(*w, "user", "list", "--json").json()["users"]
    assert users[0]["totp_enrolled"] is True and secret not in str(users)
    r = bulle(*w, "user", "disable", "bob", "--json")
    assert r.code == 0 and r.json()["already_disabled"] is False
    assert bulle(*w, "user", "list", "--json").json()["users"][0]["disabled"] is True
    r = bulle(*w, "token", "create", "bob", "--json")
    assert r.code == 5
    kinds = [
        line
        for line in (ws / "audit" / "log.jsonl").read_text().splitlines()
        if '"account.' in line or '"auth.' in line
    ]
    assert len(kinds) == 4  # create, password, totp_enrol, disable
    assert all(secret not in k and "un autre mot" not in k for k in kinds)


def test_only_a_custodian_administers_accounts(ws, pwfile, bulle):
    r = bulle(
        "-w",
        ws,
        "--role",
        "analyst",
        "user",
        "add",
        "eve",
        "--role",
        "custodian",
        "--password-file",
        pwfile,
        "--json",
    )
    assert r.code == 5 and "only a custodian may add a user account" in r.error()["message"]
    r = bulle("-w", ws, "--role", "checker", "user", "list", "--json")
    assert r.code == 5


def test_checker_is_a_project_member_role(ws, pwfile, bulle, tmp_path):
    w = ["-w", ws]
    csv = tmp_path / "t.csv"
    csv.write_text("id,age\n1,40\n2,50\n")
    assert bulle(*w, "import", csv, "--dataset", "t", "--json").code == 0
    assert (
        bulle(
            *w,
            "purpose",
            "declare",
            "etude",
            "--description",
            "Étude",
            "--legal-basis",
            "public_task",
            "--json",
        ).code
        == 0
    )
    r = bulle(
        *w, "project", "create", "p1", "--purpose", "etude", "--dataset", "t@1=age",
        "--member", "bob:analyst", "--member", "carl:checker",
        "--from", "2026-01-01T00:00:00+00:00", "--until", "2030-01-01T00:00:00+00:00", "--json",
    )  # fmt: skip
    assert r.code == 0, r.err
    assert {"name": "carl", "role": "checker"} in r.json()["members"]
