"""`bulle demo --serve`: the demo workspace behind a running server, the URL and the demo accounts
printed with passwords that sign in (slow: the demo itself takes about a minute)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_demo_serve_prints_the_url_and_accounts_that_sign_in(tmp_path):
    port = free_port()
    out = tmp_path / "out.txt"
    with out.open("w") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bulle", "demo", "--workspace-dir", str(tmp_path / "demo"),
             "--serve", "--port", str(port)],
            stdout=sink, stderr=subprocess.STDOUT, env={**os.environ, "COLUMNS": "200"},
        )  # fmt: skip
        try:
            url = f"http://127.0.0.1:{port}"
            for _ in range(600):
                if "Stop the server" in out.read_text():
                    break
                assert proc.poll() is None, out.read_text()
                time.sleep(0.5)
            text = out.read_text()
            assert f"{url}/" in text
            accounts = dict(re.findall(r"^\s+(\w+)\s+password\s+(\S+)", text, re.M))
            assert set(accounts) == {"alice", "bob", "chloe", "charles", "dora"}
            for _ in range(100):
                try:
                    if httpx.get(f"{url}/health").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            with httpx.Client(base_url=url) as client:
                r = client.post(
                    "/login",
                    data={"username": "bob", "password": accounts["bob"]},
                    headers={"accept": "text/html"},
                )
                assert r.status_code == 303 and r.headers["location"] == "/"
                page = client.get("/my/projects", headers={"accept": "text/html"})
                assert "etude-diabete" in page.text
                assert "etude-diabete" in client.get("/transparency").text
        finally:
            proc.terminate()
            proc.wait(timeout=30)
