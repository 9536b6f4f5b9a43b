"""The API through the real application: formats, row access, limits, headers, error shape, tasks."""

from __future__ import annotations

import io
import json
import time


def wait(served, task, who="custodian"):
    for _ in range(300):
        if task["state"] in ("done", "failed", "interrupted"):
            return task
        time.sleep(0.05)
        task = served.client.get(f"/api/v1/tasks/{task['id']}", headers=served.as_(who)).json()
    raise AssertionError(task)


def test_project_rows_in_every_format_agree(served):
    h = served.as_("analyst")
    url = "/api/v1/projects/study/datasets/patients/rows"
    shown = served.client.get(url, headers=h, params={"limit": 1000})
    assert shown.status_code == 200
    rows = shown.json()["data"]
    assert len(rows) == shown.json()["rows"] == 60


def test_row_access_view_refuses_files_and_none_refuses_rows(served):
    h = served.as_("analyst")
    url = "/api/v1/projects/study/datasets/patients/rows"
    for fmt in ("csv", "parquet", "arrow", "jsonl"):
        r = served.client.get(url, headers=h, params={"format": fmt})
        assert r.status_code == 403, fmt
        assert r.json()["error"]["problems"][0]["where"]["field"] == "row_access"
    accept = served.client.get(url, headers={**h, "Accept": "text/csv"})
    assert accept.status_code == 403
    # the custodian re-approves the project with no row access: rows and SQL are refused
    c = served.as_("custodian")
    approve = "/api/v1/projects/other/approve"
    assert (
        served.client.post(
            approve, headers=c, json={"allow_raw": True, "row_access": "none"}
        ).status_code
        == 200
    )
    carol = served.as_("other_analyst")
    assert (
        served.client.get(
            "/api/v1/projects/other/datasets/patients/rows", headers=carol
        ).status_code
        == 403
    )
    q = served.client.post(
        "/api/v1/projects/other/query", headers=carol, json={"sql": "SELECT count(*) FROM patients"}
    )
    assert q.status_code == 403 and "row access" in q.json()["error"]["message"]
    # export is refused at approval for personal data that is not anonymized
    bad = served.client.post(approve, headers=c, json={"allow_raw": True, "row_access": "export"})
    assert bad.status_code == 400 and bad.json()["error"]["where"]["field"] == "row_access"
    # without saying, personal data gets none
    served.client.post(approve, headers=c, json={"allow_raw": True})
    projects = served.client.get("/api/v1/projects", headers=c).json()["projects"]
    assert {p["name"]: p["approval"]["row_access"] for p in projects}["other"] == "none"
    served.client.post(approve, headers=c, json={"allow_raw": True, "row_access": "view"})


def test_row_access_decisions_for_each_delivery(served):
    """export lets files out only of anonymized versions; view shows rows; none lets none out."""
    import dataclasses

    from bulle.domain.actor import Actor, Role
    from bulle.domain.datasets import VersionKind
    from bulle.domain.projects import RowAccess
    from bulle.governance.access import can_receive_rows
    from bulle.services import governance as gov
    from bulle.workspace import Workspace

    ws = Workspace.open(served.root, Actor("alice", Role.CUSTODIAN))
    try:
        project = gov.store(ws).project("study")
        raw = ws.catalog.resolve("patients@1")
    finally:
        ws.close()
    anonymized = dataclasses.replace(raw, kind=VersionKind.ANONYMIZE)
    bob = Actor("bob", Role.ANALYST)

    def under(access):
        return dataclasses.replace(
            project, approval=dataclasses.replace(project.approval, row_access=access)
        )

    allowed = {
        (access, kind, delivery): can_receive_rows(bob, under(access), v, delivery).allowed
        for access in RowAccess
        for kind, v in (("raw", raw), ("anonymized", anonymized))
        for delivery in ("show", "file")
    }
    assert {k for k, ok in allowed.items() if ok} == {
        (RowAccess.VIEW, "raw", "show"),
        (RowAccess.VIEW, "anonymized", "show"),
        (RowAccess.EXPORT, "raw", "show"),
        (RowAccess.EXPORT, "anonymized", "show"),
        (RowAccess.EXPORT, "anonymized", "file"),
    }


def test_analyst_sql_answers_the_cli_shape(served):
    r = served.client.post(
        "/api/v1/projects/study/query",
        headers=served.as_("analyst"),
        json={"sql": "SELECT diagnosis, count(*) AS n FROM patients GROUP BY 1 ORDER BY 1"},
    )
    assert r.status_code == 200
    body = r.json()
    assert body["columns"] == ["diagnosis", "n"] and body["rows"] == 3
    assert sum(row["n"] for row in body["data"]) == 60


def test_upload_import_runs_as_a_task_and_commits_one_version(served):
    c = served.as_("custodian")
    r = served.client.post(
        "/api/v1/datasets/uploaded/import",
        headers={**c, "Content-Type": "text/csv"},
        content=b"id,x\n1,a\n2,b\n",
    )
    assert r.status_code == 202 and r.headers["location"].startswith("/api/v1/tasks/")
    task = wait(served, r.json())
    assert task["state"] == "done", task
    assert task["result"]["ref"] == "uploaded@1" and task["result"]["rows"] == 2
    # another account cannot see the task at all
    other = served.client.get(f"/api/v1/tasks/{task['id']}", headers=served.as_("dpo"))
    assert other.status_code == 404
    events = served.client.get(f"/api/v1/tasks/{task['id']}/events", headers=c)
    assert events.headers["content-type"].startswith("text/event-stream")
    last = [line for line in events.text.splitlines() if line.startswith("data: ")][-1]
    assert json.loads(last[6:])["state"] == "done"


def test_a_bad_upload_fails_its_task_with_the_error_and_leaves_nothing(served):
    c = served.as_("custodian")
    before = served.client.get("/api/v1/datasets", headers=c).json()
    r = served.client.post(
        "/api/v1/datasets/broken/import?format=parquet", headers=c, content=b"not parquet"
    )
    task = wait(served, r.json())
    assert task["state"] == "failed" and task["error"]["code"] in ("bad_input", "invalid")
    assert served.client.get("/api/v1/datasets", headers=c).json() == before
    assert not list((served.root / "data" / ".tmp").glob("*/upload*"))


def test_body_limits_refuse_large_requests_with_413(served, monkeypatch):
    c = served.as_("custodian")
    big = {"sql": "SELECT 1 -- " + "x" * (2 * 1024 * 1024)}
    r = served.client.post("/api/v1/projects/study/query", headers=served.as_("analyst"), json=big)
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"
    assert served.client.get("/api/v1/datasets", headers=c).status_code == 200


def test_security_headers_on_every_answer(served):
    for url, headers in (
        ("/health", {}),
        ("/api/v1/datasets", served.as_("custodian")),
        ("/nope", {}),
    ):
        r = served.client.get(url, headers=headers)
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "no-referrer"
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
        assert "strict-transport-security" not in r.headers  # only under TLS
    assert (
        served.client.get("/api/v1/datasets", headers=served.as_("custodian")).headers[
            "cache-control"
        ]
        == "no-store"
    )


def test_errors_keep_one_shape(served):
    c = served.as_("custodian")
    cases = [
        served.client.get("/nope"),
        served.client.get("/api/v1/datasets/missing/versions", headers=c),
        served.client.post("/api/v1/purposes", headers=c, json={"name": 3}),
        served.client.get("/api/v1/datasets", headers={"Authorization": "Basic abc"}),
    ]
    assert [r.status_code for r in cases] == [404, 404, 400, 401]
    for r in cases:
        assert set(r.json()["error"]) == {"code", "message", "where", "problems"}
    invalid = cases[2].json()["error"]
    assert invalid["code"] == "invalid" and invalid["problems"]


def test_docs_are_served_from_bulle_itself(served):
    page = served.client.get("/docs")
    assert page.status_code == 200 and "/docs/static/swagger-ui-bundle.js" in page.text
    assert "http" not in page.text.replace("http-equiv", "")  # no CDN
    assert served.client.get("/docs/static/swagger-ui-bundle.js").status_code == 200
    assert served.client.get("/docs/static/..%2Fapp.py").status_code == 404
    login = served.client.get("/login").text
    assert 'name="username"' in login and 'autocomplete="username"' in login
    assert 'name="password"' in login and 'autocomplete="current-password"' in login


def test_a_project_scoped_token_reaches_only_its_project(served):
    h = served.as_("scoped_analyst")
    assert (
        served.client.get("/api/v1/projects/study/datasets/patients/rows", headers=h).status_code
        == 200
    )
    assert (
        served.client.get("/api/v1/projects/other/datasets/patients/rows", headers=h).status_code
        == 403
    )
    assert served.client.get("/api/v1/whoami", headers=h).json()["project"] == "study"


def test_the_actor_is_the_token_never_the_request(served):
    r = served.client.get(
        "/api/v1/datasets",
        headers={**served.as_("analyst"), "X-Bulle-User": "alice", "X-Bulle-Role": "custodian"},
        params={"user": "alice", "role": "custodian"},
    )
    assert r.status_code == 403
    log = served.client.get("/api/v1/audit/log", headers=served.as_("dpo"), params={"limit": 5})
    assert {e["event"]["actor"]["name"] for e in log.json()["entries"]} <= {
        "alice",
        "bob",
        "dora",
        "carol",
    }
    again = served.client.get("/api/v1/audit/log", headers=served.as_("dpo"), params={"limit": 1})
    assert again.json()["entries"][-1]["event"]["actor"] == {"name": "dora", "role": "dpo"}


def test_arrow_stream_chunks_are_one_valid_ipc_stream(tmp_path):
    import pyarrow as pa
    import pyarrow.ipc as ipc

    from bulle.server.formats import arrow_chunks, negotiate

    table = pa.table({"a": list(range(200_000)), "b": [str(i) for i in range(200_000)]})
    data = b"".join(arrow_chunks(table))
    assert ipc.open_stream(data).read_all().equals(table)
    assert negotiate(None, "application/vnd.apache.arrow.stream") == "arrow"
    assert negotiate(None, "text/html, text/csv;q=0.9") == "csv"
    assert negotiate("parquet", "text/csv") == "parquet"
    assert negotiate(None, None) == "json"


def test_anonymize_then_export_every_format_of_the_release(served):
    import pyarrow as pa
    import pyarrow.csv as pcsv
    import pyarrow.ipc as ipc
    import pyarrow.parquet as pq

    c = served.as_("custodian")
    body = {
        "hierarchies": {"age": {"kind": "interval", "width": "10"}},
        "k": 2,
        "drop": ["zip", "diagnosis"],
    }
    started = served.client.post("/api/v1/datasets/patients@1/anonymize", headers=c, json=body)
    assert started.status_code == 202, started.text
    task = wait(served, started.json())
    assert task["state"] == "done", task
    ref = task["result"]["version"]["ref"] if "version" in task["result"] else task["result"]["ref"]
    report = served.client.get(f"/api/v1/datasets/{ref}/risk-report", headers=c)
    assert report.status_code == 200 and report.headers["content-type"].startswith("text/html")
    assert "frame-ancestors 'none'" in report.headers["content-security-policy"]
    # a project bound to the release, approved with export: files leave, in every format
    project = {
        "name": "release",
        "purpose": "care",
        "datasets": {ref: ["age"]},
        "members": [{"name": "bob", "role": "analyst"}],
        "valid_from": "2020-01-01T00:00:00+00:00",
        "valid_until": "2099-01-01T00:00:00+00:00",
    }
    assert served.client.post("/api/v1/projects", headers=c, json=project).status_code == 200
    approved = served.client.post(
        "/api/v1/projects/release/approve", headers=c, json={"row_access": "export"}
    )
    assert approved.status_code == 200, approved.text
    h = served.as_("analyst")
    url = f"/api/v1/projects/release/datasets/{ref.split('@')[0]}/rows"
    shown = served.client.get(url, headers=h, params={"limit": 1000}).json()
    expected = pa.Table.from_pylist(shown["data"])
    arrow = ipc.open_stream(served.client.get(url, headers=h, params={"format": "arrow"}).content)
    parquet = pq.read_table(
        pa.BufferReader(
            served.client.get(
                url, headers={**h, "Accept": "application/vnd.apache.parquet"}
            ).content
        )
    )
    csv = pcsv.read_csv(
        pa.BufferReader(served.client.get(url, headers=h, params={"format": "csv"}).content)
    )
    lines = served.client.get(url, headers=h, params={"format": "jsonl"}).text.splitlines()
    for table in (arrow.read_all(), parquet, csv):
        assert table.num_rows == expected.num_rows == 60
        assert sorted(map(str, table.column("age").to_pylist())) == sorted(
            map(str, expected.column("age").to_pylist())
        )
    assert [json.loads(line) for line in lines] == shown["data"]


def test_export_runs_as_a_task_and_downloads_as_a_tar_without_keys(served):
    import tarfile

    c = served.as_("custodian")
    started = served.client.post("/api/v1/export", headers=c)
    assert started.status_code == 202
    task = wait(served, started.json())
    assert task["state"] == "done", task
    got = served.client.get(f"/api/v1/export/{task['id']}", headers=c)
    assert got.status_code == 200 and got.headers["content-type"] == "application/x-tar"
    with tarfile.open(fileobj=io.BytesIO(got.content)) as tar:
        names = tar.getnames()
    assert any(n.endswith("manifest.json") for n in names), names
    assert not any(n.split("/")[0] == "keys" for n in names)  # public-keys/ only
    assert (
        served.client.get(f"/api/v1/export/{task['id']}", headers=served.as_("dpo")).status_code
        == 403
    )


def test_an_analyst_downloads_the_projects_dummy_rows_as_csv(served):
    import csv

    url = "/api/v1/projects/study/datasets/patients/dummy"
    r = served.client.get(url, headers=served.as_("analyst"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert 'filename="patients-1-dummy.csv"' in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert list(rows[0]) == ["patient_id", "age", "zip", "diagnosis"] and len(rows) == 1000
    real_ids = {f"P{i:03d}" for i in range(60)}  # each id is one person: never in dummy rows
    assert not real_ids & {row["patient_id"] for row in rows}
    outsider = served.client.get(
        "/api/v1/projects/other/datasets/patients/dummy", headers=served.as_("analyst")
    )
    assert outsider.status_code == 403  # bob is not a member of "other"


def test_a_release_reuses_a_hierarchy_the_workspace_stored(served):
    c = served.as_("custodian")
    body = {
        "hierarchies": {"age": {"kind": "interval", "width": "20"}},
        "k": 2,
        "drop": ["zip", "diagnosis"],
    }
    first = wait(
        served,
        served.client.post("/api/v1/datasets/patients@1/anonymize", headers=c, json=body).json(),
    )
    assert first["state"] == "done", first["error"]
    listed = served.client.get("/api/v1/hierarchies?dataset=patients", headers=c).json()
    stored = next(h for h in listed["hierarchies"] if h["column"] == "age")
    assert (
        served.client.get("/api/v1/hierarchies", headers=served.as_("analyst")).status_code == 403
    )
    again = {"stored": {"age": stored["id"]}, "k": 2, "drop": ["zip", "diagnosis"]}
    second = wait(
        served,
        served.client.post("/api/v1/datasets/patients@1/anonymize", headers=c, json=again).json(),
    )
    assert second["state"] == "done", second["error"]
    ids = {
        h["id"]: h
        for h in served.client.get("/api/v1/hierarchies", headers=c).json()["hierarchies"]
    }
    newest = served.client.get("/api/v1/hierarchies", headers=c).json()["hierarchies"][0]
    assert newest["column"] == "age" and newest["id"] != stored["id"] and stored["id"] in ids
    unknown = served.client.post(
        "/api/v1/datasets/patients@1/anonymize",
        headers=c,
        json={"stored": {"age": "no-such-artefact"}, "k": 2},
    )
    assert unknown.status_code == 404 and "stored hierarchy" in unknown.text
