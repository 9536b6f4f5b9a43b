"""End to end, as the people involved type it: an analyst develops a job on dummy data, submits
it; one output passes and is approved twice and released, one is blocked by the threshold rule
(then mitigated), one needs a person (a figure) and is rejected."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

import pytest

from bulle.domain.actor import Actor, Role
from bulle.services import governance as gov
from bulle.services.vault import import_table
from bulle.workspace import Workspace

NOW = dt.datetime.now(dt.UTC)
JOB = """
import matplotlib.pyplot as plt
from bulle.job import read, crosstab, output_figure

df = read("cohort")
crosstab(df["sex"], df["band"], name="sex_by_band")                # every cell >= 10
crosstab(df["sex"], df["region"], name="sex_by_region")            # region "Z" holds 3 people
counts = df["band"].value_counts().sort_index()
plt.bar(counts.index.astype(str), counts.values)
plt.savefig("/tmp/bands.png")
output_figure("bands_plot", "/tmp/bands.png")                       # no table: needs a person
open("/outputs/stray.csv", "w").write("never leaves")
print("rows", len(df))
"""


def _rows() -> str:
    lines = ["id,sex,band,region"]
    for i in range(200):
        region = "Z" if i < 3 else ("A" if i % 2 else "B")
        lines.append(
            f"S{i:04d},{'F' if i % 2 else 'M'},{['young', 'middle', 'old'][i % 3]},{region}"
        )
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def bubble(tmp_path_factory, sandbox_host):
    d = tmp_path_factory.mktemp("bubble")
    (d / "cohort.csv").write_text(_rows())
    (d / "job.py").write_text(JOB)
    root = d / "ws"
    ws = Workspace.init(root, Actor("alice", Role.CUSTODIAN))
    try:
        import_table(ws, d / "cohort.csv", "cohort")
        gov.declare_purpose(ws, "research", "Recherche", "public_task")
        gov.set_dataset_purpose(ws, "cohort", "research")
        gov.create_project(
            ws,
            "study",
            "research",
            {"cohort@1": ["id", "sex", "band", "region"]},
            [("bob", "analyst")],
            NOW - dt.timedelta(days=1),
            NOW + dt.timedelta(days=30),
        )
        gov.approve_project(ws, "study", allow_raw=True)
    finally:
        ws.close()
    return d, root


def bulle(root, user, role, *args, ok=True):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bulle",
            "-w",
            str(root),
            "--user",
            user,
            "--role",
            role,
            *map(str, args),
            "--json",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "error"},
    )
    if ok:
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)
    return done


def test_develop_on_dummy_data_then_release_through_two_checkers(bubble, tmp_path):
    d, root = bubble
    # 1. on dummy data: runs, and its outputs may be downloaded at once
    dummy = bulle(
        root, "bob", "analyst", "job", "submit", "--project", "study", d / "job.py", "--dummy"
    )
    assert dummy["state"] == "succeeded", dummy
    got = bulle(
        root,
        "bob",
        "analyst",
        "output",
        "download",
        dummy["job"],
        "sex_by_band",
        "--to",
        tmp_path / "dummy",
    )
    assert (tmp_path / "dummy" / "sex_by_band" / "table.csv").is_file()
    assert got["job"] == dummy["job"]
    logs = bulle(root, "bob", "analyst", "job", "logs", dummy["job"])
    assert "rows 1000" in logs["stdout"]  # dummy rows, not the 200 real ones

    # 2. the real run
    job = bulle(root, "bob", "analyst", "job", "submit", "--project", "study", d / "job.py")["job"]
    status = bulle(root, "bob", "analyst", "job", "status", job)
    assert status["state"] == "succeeded" and status["versions"] == ["cohort@1"]
    # what a real run printed is unchecked output: its checkers read it, its analyst does not
    hidden = bulle(root, "bob", "analyst", "job", "logs", job, ok=False)
    assert hidden.returncode == 5 and "--dummy" in hidden.stderr
    assert "rows 200" in bulle(root, "carol", "checker", "job", "logs", job)["stdout"]
    outs = {o["name"]: o for o in bulle(root, "bob", "analyst", "job", "outputs", job)}
    assert set(outs) == {"sex_by_band", "sex_by_region", "bands_plot"}  # stray.csv never leaves
    assert outs["sex_by_band"]["status"] == "needs_review"
    assert outs["sex_by_region"]["status"] == "blocked"
    threshold = next(c for c in outs["sex_by_region"]["checks"] if c["rule"] == "threshold")
    assert threshold["passed"] is False
    assert outs["bands_plot"]["status"] == "needs_review"
    assert any(c["rule"] == "needs-person" for c in outs["bands_plot"]["checks"])

    # 3. nobody downloads before release; the analyst cannot review their own output
    early = bulle(
        root,
        "bob",
        "analyst",
        "output",
        "download",
        job,
        "sex_by_band",
        "--to",
        tmp_path / "x",
        ok=False,
    )
    assert early.returncode == 5
    own = bulle(
        root,
        "bob",
        "checker",
        "output",
        "review",
        job,
        "sex_by_band",
        "--approve",
        "--comment",
        "fine",
        ok=False,
    )
    assert own.returncode == 5 and "own outputs" in own.stderr

    # 4. two different checkers release the passing table
    first = bulle(
        root,
        "carol",
        "checker",
        "output",
        "review",
        job,
        "sex_by_band",
        "--approve",
        "--comment",
        "cells >= 10",
    )
    assert first["status"] == "needs_review"
    again = bulle(
        root,
        "carol",
        "checker",
        "output",
        "review",
        job,
        "sex_by_band",
        "--approve",
        "--comment",
        "again",
        ok=False,
    )
    assert again.returncode == 5
    second = bulle(
        root,
        "dave",
        "checker",
        "output",
        "review",
        job,
        "sex_by_band",
        "--approve",
        "--comment",
        "agreed",
    )
    assert second["status"] == "released"
    got = bulle(
        root, "bob", "analyst", "output", "download", job, "sex_by_band", "--to", tmp_path / "out"
    )
    table = (tmp_path / "out" / "sex_by_band" / "table.csv").read_text()
    assert "middle" in table and got["revision"] == 1

    # 5. the blocked table: not reviewable as it is; suppression makes a revision that passes
    blocked = bulle(
        root,
        "carol",
        "checker",
        "output",
        "review",
        job,
        "sex_by_region",
        "--approve",
        "--comment",
        "x",
        ok=False,
    )
    assert blocked.returncode == 4
    mitigated = bulle(
        root, "bob", "analyst", "output", "mitigate", job, "sex_by_region", "--method", "suppress"
    )
    assert mitigated["revision"] == 2 and mitigated["status"] == "needs_review"
    assert mitigated["reviews"] == []

    # 6. the figure with no table behind it is rejected by a person, with the reason
    rejected = bulle(
        root,
        "dave",
        "checker",
        "output",
        "review",
        job,
        "bands_plot",
        "--reject",
        "--comment",
        "publish the table behind it",
    )
    assert rejected["status"] == "rejected"
    refused = bulle(
        root,
        "bob",
        "analyst",
        "output",
        "download",
        job,
        "bands_plot",
        "--to",
        tmp_path / "y",
        ok=False,
    )
    assert refused.returncode == 5

    # 7. the audit trail has every step
    log = bulle(root, "alice", "custodian", "audit", "log")
    kinds = [e["event"]["kind"] if "event" in e else e.get("kind") for e in log["entries"]]
    for kind in (
        "job.submit",
        "job.finish",
        "output.check",
        "output.review",
        "output.release",
        "output.mitigate",
        "output.download",
    ):
        assert kind in kinds, kind


def test_a_member_of_no_project_cannot_submit(bubble):
    d, root = bubble
    done = bulle(
        root, "eve", "analyst", "job", "submit", "--project", "study", d / "job.py", ok=False
    )
    assert done.returncode == 5 and "not an analyst member" in done.stderr


def test_a_failing_job_says_why(bubble, tmp_path):
    _, root = bubble
    (tmp_path / "bad.py").write_text(
        "from bulle.job import read\nraise ValueError(read('cohort')['id'].tolist())\n"
    )
    job = bulle(root, "bob", "analyst", "job", "submit", "--project", "study", tmp_path / "bad.py")
    # the analyst is told how it ended, never what the job printed about real rows
    assert job["state"] == "failed" and job["reason"] == "the job exited with status 1"
    assert "S0001" not in bulle(root, "bob", "analyst", "job", "status", job["job"])["reason"]
    assert "S0001" in bulle(root, "carol", "checker", "job", "logs", job["job"])["reason"]


def test_an_sql_job_declares_tables_as_outputs(bubble, tmp_path):
    _, root = bubble
    (tmp_path / "counts.sql").write_text(
        "CREATE TABLE by_band AS SELECT band, count(*) AS n FROM cohort GROUP BY band ORDER BY band;\n"
        "-- kind: magnitude\nCREATE TABLE mean_by_band AS SELECT band, count(*) AS n FROM cohort GROUP BY band;\n"
    )
    job = bulle(
        root, "bob", "analyst", "job", "submit", "--project", "study", tmp_path / "counts.sql"
    )
    assert job["state"] == "succeeded", job
    outs = {o["name"]: o for o in bulle(root, "bob", "analyst", "job", "outputs", job["job"])}
    assert outs["by_band"]["kind"] == "frequency" and outs["by_band"]["status"] == "needs_review"
    assert outs["mean_by_band"]["kind"] == "file"
