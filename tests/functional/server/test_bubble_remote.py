"""The analysis bubble through a real `bulle serve`, as analysts and checkers use it remotely:
`bulle --server URL --token T job submit ...`, reviews by two checker accounts, a download."""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import subprocess
import sys
import time

import httpx
import pytest

ENV = {**os.environ, "BULLE_SETTING_AUTH_TOTP_ROLES": ""}
NOW = dt.datetime.now(dt.UTC)
JOB = """\
from bulle.job import read, crosstab
df = read("cohort")
crosstab(df["sex"], df["band"], name="sex_by_band")
crosstab(df["sex"], df["region"], name="sex_by_region")
"""


def bulle(*args, check=True):
    r = subprocess.run(
        [sys.executable, "-m", "bulle", *map(str, args)], capture_output=True, text=True, env=ENV
    )
    if check and r.returncode != 0:
        raise AssertionError(r.stderr)
    return r


def remote(url, token, *args, check=True):
    r = bulle("--server", url, "--token", token, *args, "--json", check=check)
    return json.loads(r.stdout) if check else r


@pytest.fixture(scope="module")
def served(tmp_path_factory, sandbox_host):
    from bulle.domain.actor import Actor, Role
    from bulle.services import governance as gov
    from bulle.services.vault import import_table
    from bulle.workspace import Workspace

    tmp = tmp_path_factory.mktemp("bubble-served")
    root = tmp / "ws"
    pw = tmp / "pw"
    pw.write_text("a long enough password for tests\n")
    pw.chmod(0o600)
    bulle("init", root)
    tokens = {}
    for name, role in (
        ("alice", "custodian"),
        ("bob", "analyst"),
        ("carol", "checker"),
        ("dave", "checker"),
    ):
        bulle("-w", root, "user", "add", name, "--role", role, "--password-file", pw)
        tokens[name] = json.loads(bulle("-w", root, "token", "create", name, "--json").stdout)[
            "token"
        ]
    rows = "id,sex,band,region\n" + "".join(
        f"S{i:04d},{'FM'[i % 2]},{['young', 'old'][i % 3 == 0]},{'Z' if i < 3 else 'AB'[i % 2]}\n"
        for i in range(200)
    )
    (tmp / "cohort.csv").write_text(rows)
    ws = Workspace.open(root, Actor("alice", Role.CUSTODIAN))
    try:
        import_table(ws, tmp / "cohort.csv", "cohort")
        gov.declare_purpose(ws, "research", "Recherche", "public_task")
        gov.set_dataset_purpose(ws, "cohort", "research")
        gov.create_project(
            ws, "study", "research", {"cohort@1": ["id", "sex", "band", "region"]},
            [("bob", "analyst")], NOW - dt.timedelta(days=1), NOW + dt.timedelta(days=30),
        )  # fmt: skip
        gov.approve_project(ws, "study", allow_raw=True)
    finally:
        ws.close()
    (tmp / "job.py").write_text(JOB)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = open(tmp / "server.log", "wb")  # noqa: SIM115 - closed at teardown
    proc = subprocess.Popen(
        [sys.executable, "-m", "bulle", "-w", str(root), "serve", "--port", str(port)],
        env=ENV,
        stderr=log,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{url}/health").status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.1)
    else:
        proc.kill()
        raise AssertionError((tmp / "server.log").read_text())
    yield url, tokens, tmp
    proc.terminate()
    proc.wait(timeout=30)
    log.close()


def _wait(url, token, job):
    for _ in range(600):
        status = remote(url, token, "job", "status", job)
        if status["state"] not in ("queued", "running"):
            return status
        time.sleep(0.2)
    raise AssertionError("the job never ended")


def test_submit_review_twice_and_download_remotely(served, tmp_path):
    url, tokens, tmp = served
    sent = remote(url, tokens["bob"], "job", "submit", "--project", "study", tmp / "job.py")
    assert set(sent) >= {"job"}
    status = _wait(url, tokens["bob"], sent["job"])
    assert status["state"] == "succeeded", status
    outs = {o["name"]: o for o in remote(url, tokens["bob"], "job", "outputs", sent["job"])}
    assert outs["sex_by_band"]["status"] == "needs_review"
    assert outs["sex_by_region"]["status"] == "blocked"
    assert {"rule", "passed", "detail"} <= set(outs["sex_by_region"]["checks"][0])

    # a dummy-data run of the same code: its outputs go to the analyst, never to the checkers
    trial = remote(
        url, tokens["bob"], "job", "submit", "--project", "study", "--dummy", tmp / "job.py"
    )
    assert _wait(url, tokens["bob"], trial["job"])["state"] == "succeeded"
    queue = remote(url, tokens["carol"], "output", "queue")
    assert [(o["job"], o["name"]) for o in queue] == [(sent["job"], "sex_by_band")]
    # the analyst's token cannot review (no checker role); the custodian cannot either
    refused = remote(
        url,
        tokens["bob"],
        "output",
        "review",
        sent["job"],
        "sex_by_band",
        "--approve",
        "--comment",
        "x",
        check=False,
    )
    assert refused.returncode == 5
    early = remote(
        url,
        tokens["bob"],
        "output",
        "download",
        sent["job"],
        "sex_by_band",
        "--to",
        tmp_path,
        check=False,
    )
    assert early.returncode == 5 and json.loads(early.stderr)["error"]["code"] == "access_denied"
    remote(
        url,
        tokens["carol"],
        "output",
        "review",
        sent["job"],
        "sex_by_band",
        "--approve",
        "--comment",
        "cells >= 10",
    )
    done = remote(
        url,
        tokens["dave"],
        "output",
        "review",
        sent["job"],
        "sex_by_band",
        "--approve",
        "--comment",
        "agreed",
    )
    assert done["status"] == "released"
    got = remote(
        url, tokens["bob"], "output", "download", sent["job"], "sex_by_band", "--to", tmp_path
    )
    assert (tmp_path / "sex_by_band" / "table.csv").is_file() and got["revision"] == 1
    # a checker cannot take outputs out
    stolen = remote(
        url,
        tokens["carol"],
        "output",
        "download",
        sent["job"],
        "sex_by_band",
        "--to",
        tmp_path,
        check=False,
    )
    assert stolen.returncode == 5


def test_a_bad_token_is_unauthenticated(served, tmp_path):
    url, _, tmp = served
    r = remote(
        url,
        "bulle_0000000000000000_nope",
        "job",
        "submit",
        "--project",
        "study",
        tmp / "job.py",
        check=False,
    )
    assert r.returncode == 5 and json.loads(r.stderr)["error"]["code"] == "unauthenticated"
