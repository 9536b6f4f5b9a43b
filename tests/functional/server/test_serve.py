"""`bulle serve` for real: a uvicorn process on a free 127.0.0.1 port, accounts and tokens made
with the CLI, requests with httpx."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import httpx
import pytest

ENV = {**os.environ, "BULLE_SETTING_AUTH_TOTP_ROLES": ""}


def bulle(*args, check=True):
    r = subprocess.run(
        [sys.executable, "-m", "bulle", *args], capture_output=True, text=True, env=ENV
    )
    if check and r.returncode != 0:
        raise AssertionError(r.stderr)
    return r


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    ws = tmp_path / "ws"
    bulle("init", str(ws))
    pw = tmp_path / "pw"
    pw.write_text("a long enough password for tests\n")
    pw.chmod(0o600)
    bulle("-w", str(ws), "user", "add", "alice", "--role", "custodian", "--password-file", str(pw))
    token = json.loads(bulle("-w", str(ws), "token", "create", "alice", "--json").stdout)["token"]
    port = free_port()
    log = open(tmp_path / "server.log", "wb")  # noqa: SIM115 - closed at teardown
    proc = subprocess.Popen(
        [sys.executable, "-m", "bulle", "-w", str(ws), "serve", "--port", str(port)],
        env=ENV,
        stderr=log,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if httpx.get(f"{url}/health").status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.1)
    else:
        proc.kill()
        proc.wait()
        log.close()
        raise AssertionError((tmp_path / "server.log").read_text())
    yield url, token, ws
    proc.terminate()
    proc.wait(timeout=20)
    log.close()
    sys.stderr.write((tmp_path / "server.log").read_text())


def test_a_token_made_by_the_cli_reaches_the_api_and_a_revoked_one_does_not(server):
    url, token, ws = server
    assert httpx.get(f"{url}/api/v1/datasets").status_code == 401
    ok = httpx.get(f"{url}/api/v1/datasets", headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200 and ok.json() == {"datasets": []}
    assert ok.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in ok.headers["content-security-policy"]
    import bulle as package
    from bulle.errors import NotFoundError, ServerUnreachable

    with package.connect(url, token=token) as remote:
        assert remote.datasets() == {"datasets": []}
        assert remote.whoami()["name"] == "alice"
        with pytest.raises(NotFoundError):
            remote.versions("missing")
    with (
        pytest.raises(ServerUnreachable),
        package.connect(f"http://127.0.0.1:{free_port()}", token="t") as gone,
    ):
        gone.datasets()
    listed = json.loads(bulle("-w", str(ws), "token", "list", "--json").stdout)
    token_id = (listed.get("tokens") or listed)[0]["id"]
    bulle("-w", str(ws), "token", "revoke", token_id)
    gone = httpx.get(f"{url}/api/v1/datasets", headers={"Authorization": f"Bearer {token}"})
    assert gone.status_code == 401
    assert gone.json()["error"]["code"] == "unauthenticated"
    assert httpx.get(f"{url}/openapi.json").status_code == 200


def test_a_browser_session_needs_its_csrf_token_for_changes(server):
    url, _, _ = server
    with httpx.Client(base_url=url) as c:
        r = c.post(
            "/login", data={"username": "alice", "password": "a long enough password for tests"}
        )
        assert r.status_code == 200, r.text
        cookie = r.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie
        csrf = r.json()["csrf_token"]
        assert c.get("/api/v1/datasets").status_code == 200
        body = {"name": "care", "description": "Soins", "legal_basis": "public_task"}
        refused = c.post("/api/v1/purposes", json=body)
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "csrf"
        assert (
            c.post("/api/v1/purposes", json=body, headers={"X-CSRF-Token": csrf}).status_code == 200
        )
        c.post("/logout", headers={"X-CSRF-Token": csrf})
        assert c.get("/api/v1/datasets").status_code == 401


CSV = "patient_id,age,zip\n" + "".join(
    f"P{i:03d},{20 + i % 50},{75000 + i % 7}\n" for i in range(40)
)


def test_the_cli_as_a_client_gives_the_local_json_and_exit_codes(server, tmp_path):
    url, token, ws = server
    data = tmp_path / "patients.csv"
    data.write_text(CSV)
    remote = ("--server", url, "--token", token)
    imported = json.loads(
        bulle(*remote, "import", str(data), "--dataset", "patients", "--json").stdout
    )
    assert imported["ref"] == "patients@1" and imported["rows"] == 40
    here = json.loads(bulle("-w", str(ws), "datasets", "--json").stdout)
    there = json.loads(bulle(*remote, "datasets", "--json").stdout)
    assert there == here
    confirmed = json.loads(bulle(*remote, "roles", "patients", "--confirm", "--json").stdout)
    assert all(r["confirmed"] for r in confirmed["roles"])
    verified = json.loads(bulle(*remote, "audit", "verify", "--json").stdout)
    assert verified["ok"] is True
    log = json.loads(bulle(*remote, "audit", "log", "--limit", "3", "--json").stdout)
    assert log["count"] == 3
    # a refusal: the same error code and exit code as the local refusal
    pw = tmp_path / "pw2"
    pw.write_text("another long password for bob\n")
    pw.chmod(0o600)
    bulle("-w", str(ws), "user", "add", "bob", "--role", "analyst", "--password-file", str(pw))
    bob = json.loads(bulle("-w", str(ws), "token", "create", "bob", "--json").stdout)["token"]
    far = bulle(
        "--server", url, "--token", bob, "roles", "patients", "--confirm", "--json", check=False
    )
    near = bulle(
        "-w",
        str(ws),
        "--user",
        "bob",
        "--role",
        "analyst",
        "roles",
        "patients",
        "--confirm",
        "--json",
        check=False,
    )
    assert far.returncode == near.returncode == 5
    assert json.loads(far.stderr)["error"]["code"] == json.loads(near.stderr)["error"]["code"]
    bad = bulle("--server", url, "--token", "not-a-token", "datasets", "--json", check=False)
    assert bad.returncode == 5 and json.loads(bad.stderr)["error"]["code"] == "unauthenticated"


def test_an_unreachable_server_exits_10_and_local_options_are_refused(tmp_path):
    gone = bulle(
        "--server",
        f"http://127.0.0.1:{free_port()}",
        "--token",
        "t",
        "datasets",
        "--json",
        check=False,
    )
    assert gone.returncode == 10
    assert json.loads(gone.stderr)["error"]["code"] == "server_unreachable"
    for extra in (("-w", str(tmp_path)), ("--user", "x"), ("--role", "analyst")):
        mixed = bulle(*extra, "--server", "http://127.0.0.1:1", "datasets", "--json", check=False)
        assert mixed.returncode == 2, mixed.stderr
        assert "--server cannot go with" in json.loads(mixed.stderr)["error"]["message"]
    local_only = bulle("--server", "http://127.0.0.1:1", "rotate-key", "--json", check=False)
    assert local_only.returncode == 2
