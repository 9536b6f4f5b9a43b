"""Server-sent events of a task and of a job: pushed as they change, ended when their subject
ends, cut after ``server.events_max_seconds`` with a ``timeout`` event (the browser reconnects),
and authorised like the pages that show them."""

from __future__ import annotations

import threading

import pytest
from tests.integration.server.conftest import Principal, TestClient, TokenBook, make_workspace


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    from bulle.domain.actor import Actor, Role
    from bulle.server.app import create_app
    from bulle.services.settings import set_setting
    from bulle.workspace import Workspace

    tmp = tmp_path_factory.mktemp("live")
    root = tmp / "ws"
    make_workspace(root, tmp)
    ws = Workspace.open(root, Actor("alice", Role.CUSTODIAN))
    try:
        set_setting(ws, "server.events_max_seconds", "1")
    finally:
        ws.close()
    book = TokenBook()
    tokens = {
        "alice": book.add(Principal("alice", frozenset({Role.CUSTODIAN}))),
        "bob": book.add(Principal("bob", frozenset({Role.ANALYST}))),
        "dora": book.add(Principal("dora", frozenset({Role.DPO}))),
    }
    with TestClient(create_app(root, authenticator=book), base_url="http://testserver") as client:
        yield client, tokens


def events(client, url: str, token: str) -> list[tuple[str, str]]:
    """Every (event, data) of the stream, read until the server ends it."""
    out, name = [], None
    with client.stream("GET", url, headers={"Authorization": f"Bearer {token}"}) as r:
        assert r.status_code == 200, r.read()
        assert r.headers["content-type"].startswith("text/event-stream")
        for line in r.iter_lines():
            if line.startswith("event: "):
                name = line[len("event: ") :]
            elif line.startswith("data: "):
                out.append((name, line[len("data: ") :]))
    return out


def test_a_task_stream_is_cut_at_its_time_limit_then_ends_with_the_task(live):
    from bulle.domain.actor import Actor, Role

    client, tokens = live
    release = threading.Event()
    app = client.app
    while not hasattr(app, "state"):  # through the server's ASGI layers to the application
        app = app.app
    tasks = app.state.bulle.tasks
    task = tasks.submit("export", Actor("bob", Role.ANALYST), lambda ws, p: release.wait(60))
    url = f"/api/v1/tasks/{task['id']}/events"
    try:
        cut = events(client, url, tokens["bob"])  # the task runs on: the stream ends anyway
        assert cut[-1][0] == "timeout" and cut[0][0] == "task"
        assert '"state": "done"' not in "".join(d for _, d in cut)
        refused = client.get(url, headers={"Authorization": f"Bearer {tokens['dora']}"})
        assert refused.status_code == 404  # another account's task is not even said to exist
    finally:
        release.set()
    done = []
    while not done or done[-1][0] == "timeout":  # reconnect, as a browser does, until the end
        done = events(client, url, tokens["bob"])
    assert done[-1][0] == "task" and '"state": "done"' in done[-1][1]


def test_a_job_stream_is_authorised_like_the_job_page(live):
    client, tokens = live
    url = "/api/v1/jobs/j-0000000000000000/events"
    assert client.get(url).status_code == 401
    dpo = client.get(url, headers={"Authorization": f"Bearer {tokens['dora']}"})
    assert dpo.status_code == 403 and "needs one of the roles" in dpo.text
    missing = client.get(url, headers={"Authorization": f"Bearer {tokens['bob']}"})
    assert missing.status_code == 404  # no such job: refused before any event is sent
