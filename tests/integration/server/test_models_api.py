"""Models over HTTP: an analyst trains for their project (a task) and sees only their projects'
models; the custodian forgets a person with a receipt and verifies it byte for byte."""

from __future__ import annotations

import datetime as dt
import time
from types import SimpleNamespace

import pytest
from tests.integration.server.conftest import Principal, TestClient, TokenBook

NOW = dt.datetime.now(dt.UTC)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A workspace with a binary target: `smoker`, for project `study` (analyst bob)."""
    from bulle.domain.actor import Actor, Role
    from bulle.server.app import create_app
    from bulle.services import governance as gov
    from bulle.services.vault import import_table, set_roles
    from bulle.workspace import Workspace

    tmp = tmp_path_factory.mktemp("models-served")
    root = tmp / "ws"
    (tmp / "p.csv").write_text(
        "patient_id,age,zip,smoker\n"
        + "".join(
            f"P{i:03d},{20 + i % 50},{75000 + i % 7},{'yes' if i % 3 else 'no'}\n"
            for i in range(90)
        )
    )
    ws = Workspace.init(root, Actor("alice", Role.CUSTODIAN))
    try:
        import_table(ws, tmp / "p.csv", "patients")
        set_roles(ws, "patients", {"patient_id": "subject_id"}, confirm_all=True)
        gov.declare_purpose(ws, "care", "Soins", "public_task")
        gov.set_dataset_purpose(ws, "patients", "care")
        gov.create_project(
            ws, "study", "care", {"patients@1": ["patient_id", "age", "zip", "smoker"]},
            [("bob", "analyst")], NOW - dt.timedelta(days=1), NOW + dt.timedelta(days=30),
        )  # fmt: skip
        gov.approve_project(ws, "study", allow_raw=True, row_access="view")
    finally:
        ws.close()
    book = TokenBook()
    tokens = {
        "custodian": book.add(Principal("alice", frozenset({Role.CUSTODIAN}))),
        "analyst": book.add(Principal("bob", frozenset({Role.ANALYST}))),
        "other_analyst": book.add(Principal("carol", frozenset({Role.ANALYST}))),
    }
    with TestClient(create_app(root, authenticator=book), base_url="http://testserver") as client:
        yield SimpleNamespace(
            client=client,
            as_=lambda who: {"Authorization": f"Bearer {tokens[who]}"},
        )


def wait(served, task, who):
    for _ in range(1200):
        if task["state"] in ("done", "failed", "interrupted"):
            return task
        time.sleep(0.05)
        task = served.client.get(f"/api/v1/tasks/{task['id']}", headers=served.as_(who)).json()
    raise AssertionError(task)


def test_train_list_forget_and_verify(served):
    c = served.client
    body = {"dataset": "patients", "target": "smoker", "shards": 3, "name": "dx"}
    refused = c.post(
        "/api/v1/projects/study/models", json=body, headers=served.as_("other_analyst")
    )
    assert refused.status_code == 403  # not a member: refused before any task starts
    sent = c.post("/api/v1/projects/study/models", json=body, headers=served.as_("analyst"))
    assert sent.status_code == 202, sent.text
    task = wait(served, sent.json(), "analyst")
    assert task["state"] == "done", task.get("error")
    assert task["result"]["model"] == "dx@1" and task["result"]["shards"] == 3

    mine = c.get("/api/v1/models", headers=served.as_("analyst")).json()["models"]
    assert [m["name"] for m in mine] == ["dx"]
    theirs = c.get("/api/v1/models", headers=served.as_("other_analyst")).json()["models"]
    assert theirs == []  # a model of another project is not even named

    predicted = c.post("/api/v1/models/dx/predict", json={}, headers=served.as_("analyst"))
    assert predicted.status_code == 200 and predicted.json()["rows"] > 0
    assert (
        c.post(
            "/api/v1/models/dx/forget", json={"subjects": ["P001"]}, headers=served.as_("analyst")
        ).status_code
        == 403
    )
    forgotten = c.post(
        "/api/v1/models/dx/forget", json={"subjects": ["P001"]}, headers=served.as_("custodian")
    )
    assert forgotten.status_code == 200, forgotten.text
    receipt = forgotten.json()["forgotten"][0]["receipt"]
    verified = c.post(f"/api/v1/forget-receipts/{receipt}/verify", headers=served.as_("custodian"))
    assert verified.status_code == 200 and verified.json()["identical"] is True
    card = c.get("/api/v1/models/dx/card", headers=served.as_("custodian")).json()
    assert card["model"].startswith("dx@")
