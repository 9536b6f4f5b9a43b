"""An erasure killed mid-way (SIGKILL) is never half-done for readers: while it is pending, the
versions it affects are refused to everyone; the next open resumes it and stores its receipt."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from bulle.domain.actor import Actor, Role
from bulle.domain.consents import Consent
from bulle.errors import ConflictError, WithheldError
from bulle.services import governance as gov
from bulle.services import subject_rights as sr
from bulle.services import vault
from bulle.services.exchange import export_workspace
from bulle.services.pseudonymization import pseudonymize, reidentify
from bulle.services.vault import set_roles
from bulle.vault.pseudonymize import normalize, token
from bulle.workspace import Workspace

ALICE, BOB = Actor("alice", Role.CUSTODIAN), Actor("bob", Role.ANALYST)
NOW = dt.datetime.now(dt.UTC)

# The child erases P3 and stops at the N-th version rewrite (before or after it), writing a marker
# and sleeping until it is killed. Only this script reads the variable: Bulle has no test hook.
CHILD = """
import os, sys, time
from pathlib import Path
from bulle.domain.actor import Actor, Role
from bulle.services import subject_rights as sr
from bulle.workspace import Workspace

when, n = os.environ["ERASURE_TEST_STOP"].split(":")
marker = Path(os.environ["ERASURE_TEST_MARKER"])
original, calls = Workspace.rewrite_version, []

def stop():
    marker.write_text(str(os.getpid()))
    while True:
        time.sleep(60)

def rewrite_version(self, *args, **kwargs):
    calls.append(1)
    if when == "before" and len(calls) == int(n):
        stop()
    out = original(self, *args, **kwargs)
    if when == "after" and len(calls) == int(n):
        stop()
    return out

Workspace.rewrite_version = rewrite_version
ws = Workspace.open(sys.argv[1], Actor("alice", Role.CUSTODIAN))
sr.erase_subject(ws, "P3")
print("completed")
"""


def nir(i: int) -> str:
    base = f"2900475012{i:03d}"
    return f"{base}{97 - int(base) % 97:02d}"


def build(root: Path, tmp: Path) -> None:
    """patients (subject id + NIR) and admissions (NIR and name only), each pseudonymized; an
    approved project lets bob read patients."""
    with Workspace.init(root, ALICE) as ws:
        (tmp / "patients.csv").write_text(
            "id_patient,nir,diagnostic,age\n"
            + "".join(f"P{i},{nir(i)},{'E11' if i % 2 else 'I10'},{30 + i}\n" for i in range(1, 7))
        )
        (tmp / "admissions.csv").write_text(
            "nir,nom,service\n"
            + "".join(
                f"{nir(i)},Nom{i},{'cardio' if i % 2 else 'urgences'}\n" for i in (3, 1, 3, 2, 5)
            )
        )
        vault.import_table(ws, tmp / "patients.csv", "patients")
        vault.import_table(ws, tmp / "admissions.csv", "admissions")
        set_roles(ws, "patients@1", confirm_all=True)
        pseudonymize(ws, "patients@1", reid_table=True)  # patients@2
        set_roles(ws, "admissions@1", confirm_all=True)
        pseudonymize(ws, "admissions@1")  # admissions@2
        gov.declare_purpose(
            ws,
            "care",
            "Soins",
            "public_task",
            special_categories=True,
            art9_condition="health_care",
        )
        gov.set_dataset_purpose(ws, "patients", "care")
        gov.record_choices(ws, [Consent("P3", "care", "given", NOW - dt.timedelta(days=1), "form")])
        gov.create_project(
            ws,
            "suivi",
            "care",
            {"patients@2": ["id_patient", "diagnostic", "age"]},
            [("bob", "analyst")],
            NOW - dt.timedelta(days=10),
            NOW + dt.timedelta(days=30),
        )
        gov.approve_project(ws, "suivi")


def p3_values(ws: Workspace) -> set[str]:
    key_id, key = ws.keys.pseudonym_key()
    return {
        "P3",
        nir(3),
        token(key, key_id, normalize("P3", "text")),
        token(key, key_id, normalize(nir(3), "nir")),
    }


def cells(ws: Workspace, ref: str) -> set[str]:
    table = pq.read_table(ws.path_of(ws.catalog.resolve(ref)))
    return {str(v) for col in table.columns for v in col.to_pylist()}


def wait_for(marker: Path, child: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while not marker.exists():
        if child.poll() is not None:
            raise AssertionError(f"the erasure ended before its stop point: {child.communicate()}")
        if time.monotonic() > deadline:
            child.kill()
            raise AssertionError("the erasure never reached its stop point")
        time.sleep(0.05)


@pytest.mark.parametrize(
    "stop",
    [
        "after:1",  # one holder rewritten, the derived versions still hold the person
        "before:1",  # journaled, nothing rewritten yet
        pytest.param(
            "after:3", marks=pytest.mark.slow
        ),  # holders rewritten, one derived version recomputed
        # a derived version recomputed, its profile and re-identification table replaced, not committed
        pytest.param("before:3", marks=pytest.mark.slow),
    ],
)
def test_killed_erasure_blocks_reads_then_resumes_at_open(tmp_path, stop):
    root = tmp_path / "ws"
    build(root, tmp_path)
    with Workspace.open(root, BOB) as bob:
        assert gov.read_for_project(bob, "suivi", "patients@2").num_rows == 6
    marker = tmp_path / "stopped"
    env = {**os.environ, "ERASURE_TEST_STOP": stop, "ERASURE_TEST_MARKER": str(marker)}
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    child = subprocess.Popen(
        [sys.executable, str(script), str(root)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(marker, child)
        # pending: the erasing process is alive, so opening does not take the erasure over, and
        # every affected version is refused, to the analyst and to the custodian, naming it
        with Workspace.open(root, BOB) as bob, Workspace.open(root, ALICE) as alice:
            with pytest.raises(WithheldError) as refused:
                gov.read_for_project(bob, "suivi", "patients@2")
            (pending,) = alice.catalog.con.execute(
                "SELECT receipt_id, owner_pid FROM erasure_journal"
            ).fetchall()
            receipt, owner = pending
            assert owner == child.pid
            assert f"erasure {receipt} is pending" in refused.value.message
            for ref in ("patients@1", "patients@2", "admissions@1", "admissions@2"):
                with pytest.raises(
                    WithheldError, match=f"{ref} is withheld while erasure {receipt}"
                ):
                    vault.read_table(alice, ref)
            # one erasure at a time; and no export carries the person (or the journal) out
            with pytest.raises(ConflictError, match=f"erasure {receipt} is in progress"):
                sr.erase_subject(alice, "P1")
            with pytest.raises(ConflictError, match=f"erasure {receipt} is pending"):
                export_workspace(alice, tmp_path / "out")
            with pytest.raises(ConflictError, match=f"erasure {receipt} is in progress"):
                sr.access_report(alice, "P3")
        cli = subprocess.run(
            [
                sys.executable,
                "-m",
                "bulle",
                "--workspace",
                str(root),
                "--user",
                "alice",
                "--role",
                "custodian",
                "show",
                "admissions@2",
                "--json",
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert cli.returncode == 7 and json.loads(cli.stderr)["error"]["code"] == "withheld"
        assert receipt in json.loads(cli.stderr)["error"]["message"]
    finally:
        child.send_signal(signal.SIGKILL)
        child.communicate()  # reaped: a zombie would still count as alive
    # the next open (here an analyst's) resumes the erasure and completes it with a receipt
    with Workspace.open(root, BOB) as bob:
        assert gov.read_for_project(bob, "suivi", "patients@2").num_rows == 5
    with Workspace.open(root, ALICE) as ws:
        assert ws.catalog.con.execute("SELECT count(*) FROM erasure_journal").fetchone()[0] == 0
        assert (
            ws.catalog.con.execute("SELECT count(*) FROM erasure_pending_versions").fetchone()[0]
            == 0
        )
        (summary, by) = ws.catalog.con.execute(
            "SELECT summary_json, by_json FROM erasures WHERE receipt_id=?", (receipt,)
        ).fetchone()
        summary = json.loads(summary)
        assert summary["resumed"] is True and json.loads(by)["role"] == "system"
        assert summary["started_by"] == {"name": "alice", "role": "custodian"}
        assert {r["ref"] for r in summary["rewritten"]} == {"patients@1", "admissions@1"}
        assert {r["rows_removed"] for r in summary["rewritten"]} == {1, 2}
        assert {r["ref"] for r in summary["recomputed"]} == {"patients@2", "admissions@2"}
        forbidden = p3_values(ws)
        for v in ws.catalog.versions():
            assert not forbidden & cells(ws, v.ref), v.ref
            assert sum(t["receipt_id"] == receipt for t in v.tombstones) == 1  # each step done once
        assert not list((root / "data" / ".tmp").glob("*.parquet"))
        gone = [t for t in forbidden if t.startswith("bp1_")]
        assert reidentify(ws, "patients@2", gone).tokens == dict.fromkeys(gone)  # nor in its table
        assert not any(
            str(top["value"]) in forbidden
            for col in ws.catalog.profile("patients", 2)
            for top in col.get("top_values") or []
        )
        assert ws.audit_log.verify().ok
        log = (root / "audit" / "log.jsonl").read_text()
        assert nir(3) not in log and '"P3"' not in log
        (event,) = [
            e
            for e in (json.loads(line).get("event") for line in log.splitlines()[1:])
            if e["kind"] == "subject.erase"
        ]
        assert event["kind"] == "subject.erase" and event["actor"]["role"] == "system"
        assert event["details"]["receipt_id"] == receipt and event["details"]["resumed"] is True
