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
    proc = subprocess.Popen(
        [sys.executable, "-m", "bulle", "-w", str(ws), "serve", "--port", str(port)],
        env=ENV,
        stderr=subprocess.PIPE,
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
        err = proc.stderr.read().decode()
        proc.stderr.close()
        raise AssertionError(err)
    yield url, token, ws
    proc.terminate()
    proc.wait(timeout=20)
    proc.stderr.close()


def test_a_token_made_by_the_cli_reaches_the_api_and_a_revoked_one_does_not(server):
    url, token, ws = server
    assert httpx.get(f"{url}/api/v1/datasets").status_code == 401
    ok = httpx.get(f"{url}/api/v1/datasets", headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200 and ok.json() == {"datasets": []}
    assert ok.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in ok.headers["content-security-policy"]
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
