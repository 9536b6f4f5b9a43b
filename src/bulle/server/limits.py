"""Security headers and request limits, as plain ASGI middleware around the whole application.

* Every answer carries a strict Content-Security-Policy (only this server's own scripts and
  styles: the docs are served from Bulle, never from a CDN), frame denial, ``nosniff``, no
  referrer, ``no-store`` for the API, and under TLS ``Strict-Transport-Security``.
* A request body is refused past ``server.request_max_bytes`` (an upload import past
  ``server.upload_max_bytes``), from its Content-Length when it has one and by counting the bytes
  otherwise: a client cannot make the server buffer more than the limit.
* A request that has not started answering after ``server.request_timeout_s`` gets 503; uploads
  and event streams, whose length is the client's, are bounded by size and by their task instead.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from bulle.errors import BulleError
from bulle.server.problems import TooLarge, TooSlow, body

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
# Swagger UI sets style attributes from its scripts: its page alone allows inline styles.
DOCS_CSP = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
UPLOAD_SUFFIX = "/import"
STREAM_SUFFIX = "/events"


def _is_upload(scope: dict[str, Any]) -> bool:
    return scope["method"] == "POST" and scope["path"].endswith(UPLOAD_SUFFIX)


async def _send_error(send: Any, exc: BulleError, headers: list | None = None) -> None:
    payload = json.dumps(body(exc)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": exc.http_status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


class SecurityHeaders:
    def __init__(self, app: Any, tls: bool):
        self.app, self.tls = app, tls

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        docs = scope["path"] == "/docs" or scope["path"].startswith("/docs/")

        async def with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0].lower() != b"server"]
                headers += [
                    (b"content-security-policy", (DOCS_CSP if docs else CSP).encode()),
                    (b"x-frame-options", b"DENY"),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"cross-origin-opener-policy", b"same-origin"),
                    (b"cross-origin-resource-policy", b"same-origin"),
                ]
                if scope["path"].startswith("/api/") or scope["path"] in ("/login", "/logout"):
                    headers.append((b"cache-control", b"no-store"))
                if self.tls:
                    headers.append(
                        (b"strict-transport-security", b"max-age=31536000; includeSubDomains")
                    )
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


class BodyLimit:
    def __init__(self, app: Any, request_max: int, upload_max: int):
        self.app, self.request_max, self.upload_max = app, request_max, upload_max

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.upload_max if _is_upload(scope) else self.request_max
        what = "an upload" if _is_upload(scope) else "a request body"
        too_large = TooLarge(
            f"{what} may hold at most {limit:,} bytes (setting "
            f"server.{'upload' if _is_upload(scope) else 'request'}_max_bytes)"
        )
        length = dict(scope.get("headers", [])).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            await _send_error(send, too_large, [(b"connection", b"close")])
            return
        seen = 0

        async def counted() -> dict:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    from starlette.exceptions import HTTPException

                    raise HTTPException(413, too_large.message)
            return message

        await self.app(scope, counted, send)


class TimeLimit:
    def __init__(self, app: Any, seconds: float):
        self.app, self.seconds = app, seconds

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or _is_upload(scope) or scope["path"].endswith(STREAM_SUFFIX):
            await self.app(scope, receive, send)
            return
        started = asyncio.Event()
        cut = False

        async def guarded(message: dict) -> None:
            if cut:
                return
            if message["type"] == "http.response.start":
                started.set()
            await send(message)

        task = asyncio.ensure_future(self.app(scope, receive, guarded))
        waiter = asyncio.ensure_future(started.wait())
        await asyncio.wait({task, waiter}, timeout=self.seconds, return_when="FIRST_COMPLETED")
        waiter.cancel()
        if not started.is_set() and not task.done():
            cut = True
            task.cancel()
            await _send_error(
                send,
                TooSlow(
                    f"the request took more than {self.seconds:g} s (setting "
                    "server.request_timeout_s): ask for less, or use a background task"
                ),
            )
            return
        await task
