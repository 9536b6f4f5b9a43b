"""The limit layers around a real (small) ASGI application: time, chunked bodies, headers."""

from __future__ import annotations

import asyncio
import json
import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from fastapi import FastAPI, Request

from bulle.server import problems
from bulle.server.limits import BodyLimit, SecurityHeaders, TimeLimit


async def slow_or_echo(scope, receive, send):
    """Reads the whole body, sleeps if asked (?sleep=S), answers the body's length."""
    if scope["type"] != "http":
        return
    size = 0
    while True:
        message = await receive()
        size += len(message.get("body", b""))
        if not message.get("more_body"):
            break
    query = dict(p.split("=") for p in scope["query_string"].decode().split("&") if "=" in p)
    await asyncio.sleep(float(query.get("sleep", 0)))
    payload = json.dumps({"size": size}).encode()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": payload})


def client(app):
    return TestClient(app, raise_server_exceptions=False)


def test_a_request_that_does_not_answer_in_time_gets_503():
    c = client(TimeLimit(slow_or_echo, 0.3))
    assert c.get("/x?sleep=0").status_code == 200
    late = c.get("/x?sleep=2")
    assert late.status_code == 503 and late.json()["error"]["code"] == "timeout"


def test_uploads_and_event_streams_are_not_cut_by_the_time_limit():
    c = client(TimeLimit(slow_or_echo, 0.3))
    assert c.post("/api/v1/datasets/d/import?sleep=0.6", content=b"abc").status_code == 200
    assert c.get("/api/v1/tasks/t/events?sleep=0.6").status_code == 200


def test_a_chunked_body_past_the_limit_is_refused_without_a_length():
    app = FastAPI()
    problems.install(app)

    @app.post("/echo")
    async def echo(request: Request) -> dict:
        return {"size": len(await request.body())}

    c = client(BodyLimit(app, request_max=1024, upload_max=10_000))

    def chunks(n):
        for _ in range(n):
            yield b"x" * 256

    assert c.post("/echo", content=chunks(2)).json() == {"size": 512}
    refused = c.post("/echo", content=chunks(10))  # no Content-Length: counted as it arrives
    assert refused.status_code == 413 and refused.json()["error"]["code"] == "too_large"
    declared = c.post("/echo", content=b"y" * 2048)
    assert declared.status_code == 413


def test_hsts_only_under_tls_and_no_server_header():
    plain = client(SecurityHeaders(slow_or_echo, tls=False)).get("/x")
    tls = client(SecurityHeaders(slow_or_echo, tls=True)).get("/x")
    assert "strict-transport-security" not in plain.headers
    assert tls.headers["strict-transport-security"].startswith("max-age=")
    assert "server" not in plain.headers
