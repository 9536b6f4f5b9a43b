"""`bulle --server URL --token T consent import | subject access-report | project list`: the CLI
as a client prints what the local commands print, a bad CSV is refused before anything is sent
(every problem at once, the same exit code), and a refusal on the server comes back as the local
error would."""

from __future__ import annotations

import json

from tests.functional.server.test_serve import bulle, server  # noqa: F401 - the fixture

CHOICES = (
    "subject_id,purpose,status,at,source\n"
    "P001,care,given,2026-01-02T10:00:00+00:00,form\n"
    "P002,care,given,2026-01-02T10:00:00+00:00,form\n"
    "P002,care,withdrawn,2026-02-02T10:00:00+00:00,letter\n"
    "P003,care,objected,2026-02-03T10:00:00+00:00,letter\n"
)


def test_remote_consent_import_access_report_and_projects(server, tmp_path):  # noqa: F811
    url, token, ws = server
    remote = ["--server", url, "--token", token]
    bulle(
        "-w",
        str(ws),
        "purpose",
        "declare",
        "care",
        "--legal-basis",
        "consent",
        "--description",
        "Soins",
    )
    csv = tmp_path / "choices.csv"
    csv.write_text(CHOICES)
    r = bulle(*remote, "consent", "import", str(csv), "--json")
    out = json.loads(r.stdout)
    assert out["recorded"] == 4 and out["kinds"] == {"given": 2, "withdrawn": 1, "objected": 1}
    log = json.loads(bulle("-w", str(ws), "audit", "log", "--json").stdout)
    (batch,) = [e["event"] for e in log["entries"] if e["event"]["kind"] == "consent.change"]
    assert batch["details"]["kinds"] == out["kinds"] and batch["actor"]["name"] == "alice"

    report = json.loads(bulle(*remote, "subject", "access-report", "P002", "--json").stdout)
    local = json.loads(bulle("-w", str(ws), "subject", "access-report", "P002", "--json").stdout)
    assert report.keys() == local.keys()
    projects = json.loads(bulle(*remote, "project", "list", "--json").stdout)
    assert projects == json.loads(bulle("-w", str(ws), "project", "list", "--json").stdout)


def test_a_bad_consent_csv_is_refused_before_it_is_sent(server, tmp_path):  # noqa: F811
    url, token, ws = server
    csv = tmp_path / "bad.csv"
    csv.write_text(
        "subject_id,purpose,status,at\nP1,care,maybe,2026-01-01T00:00:00+00:00\nP2,,given,nope\n"
    )
    r = bulle(
        "--server", url, "--token", token, "consent", "import", str(csv), "--json", check=False
    )
    local = bulle("-w", str(ws), "consent", "import", str(csv), "--json", check=False)
    assert r.returncode == local.returncode == 2
    assert json.loads(r.stderr) == json.loads(local.stderr)  # errors go to stderr
    log = json.loads(bulle("-w", str(ws), "audit", "log", "--json").stdout)
    kinds = [e["event"]["kind"] for e in log["entries"]]
    assert "consent.change" not in kinds
