"""A server killed with SIGKILL during an upload import restarts into a consistent workspace:
nothing half-written (no upload file, no version, no data file), its task marked `interrupted`,
the audit chain intact."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time

import httpx

from .test_serve import ENV, bulle, free_port


def start(ws, log_path):
    port = free_port()
    log = open(log_path, "ab")  # noqa: SIM115 - closed by stop()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bulle", "-w", str(ws), "serve", "--port", str(port)],
        env=ENV,
        stderr=log,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{url}/health").status_code == 200:
                return proc, url, log
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    log.close()
    raise AssertionError(log_path.read_text())


def kill(proc, log):
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    log.close()


def uploads(ws):
    return sorted(p.name for p in (ws / "data" / ".tmp").rglob("upload*"))


def test_sigkill_mid_upload_and_mid_import_leaves_nothing_half_written(tmp_path):
    ws = tmp_path / "ws"
    bulle("init", str(ws))
    pw = tmp_path / "pw"
    pw.write_text("a long enough password for tests\n")
    pw.chmod(0o600)
    bulle("-w", str(ws), "user", "add", "alice", "--role", "custodian", "--password-file", str(pw))
    token = json.loads(bulle("-w", str(ws), "token", "create", "alice", "--json").stdout)["token"]
    auth = {"Authorization": f"Bearer {token}", "Content-Type": "text/csv"}
    log_path = tmp_path / "server.log"

    # 1. killed while the body is still arriving
    proc, url, log = start(ws, log_path)
    sent = threading.Event()

    def slow_body():
        yield b"id,value\n"
        for i in range(10_000):
            yield f"{i},{i * 7}\n".encode() * 50
            sent.set()
            time.sleep(0.01)

    def upload():
        with contextlib.suppress(httpx.TransportError):  # the server dies under it
            httpx.post(
                f"{url}/api/v1/datasets/cut/import", headers=auth, content=slow_body(), timeout=30
            )

    t = threading.Thread(target=upload)
    t.start()
    sent.wait(10)
    for _ in range(100):
        if uploads(ws):
            break
        time.sleep(0.05)
    assert uploads(ws), "the upload never reached the disk"
    kill(proc, log)
    t.join(30)

    # 2. killed while the import task runs
    proc, url, log = start(ws, log_path)
    assert uploads(ws) == []  # recover() removed the dead server's upload
    big = tmp_path / "big.csv"
    with open(big, "w") as f:
        f.write("id,value,label\n")
        for i in range(400_000):
            f.write(f"{i},{i * 7},label {i % 97}\n")
    task = httpx.post(
        f"{url}/api/v1/datasets/big/import", headers=auth, content=big.read_bytes(), timeout=60
    ).json()
    for _ in range(400):
        state = httpx.get(f"{url}/api/v1/tasks/{task['id']}", headers=auth).json()["state"]
        if state != "queued":
            break
        time.sleep(0.01)
    kill(proc, log)

    # 3. after a restart: no version, no stray file, the task interrupted, the chain intact
    proc, url, log = start(ws, log_path)
    try:
        after = httpx.get(f"{url}/api/v1/tasks/{task['id']}", headers=auth).json()
        datasets = httpx.get(f"{url}/api/v1/datasets", headers=auth).json()["datasets"]
        if after["state"] == "done":  # the import won the race: then it is whole
            assert [d["name"] for d in datasets] == ["big"]
            assert datasets[0]["versions"][0]["rows"] == 400_000
        else:
            assert after["state"] == "interrupted"
            assert datasets == []
            assert not list((ws / "data").glob("big/*"))
        assert uploads(ws) == []
        verified = httpx.post(f"{url}/api/v1/audit/verify", headers=auth)
        assert verified.status_code == 200 and verified.json()["ok"] is True
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()
    local = bulle("-w", str(ws), "audit", "verify", "--json", check=False)
    assert local.returncode == 0, local.stderr
