"""What lets plain HTML forms talk to the server, without JavaScript: an ASGI layer on the pages.

* **CSRF from a form field.** The server demands the session's CSRF secret in the
  ``X-CSRF-Token`` header of every change a cookie authenticates; a form cannot set headers, so
  each form carries it as its first field, ``csrf_token``. For a page's POST without the header,
  this layer reads that field (the whole body of a URL-encoded form, bounded by the server's
  request limit; only the first part of a multipart upload, so a file is never held in memory)
  and passes it on as the header. The server's own check then decides, exactly as for a script:
  a page of another site can neither read the secret nor make the browser send it.
* **Errors as pages.** A browser (``Accept: text/html``) asking for a page gets the refusal as a
  page that says why, in the user's language, instead of the API's JSON; an unauthenticated one
  is sent to the sign-in page, and a failed sign-in shows the sign-in form again with the reason.
  API paths (``/api/``) and scripts always get the JSON error, unchanged.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qs, quote

FIELD = "csrf_token"
HEADER = b"x-csrf-token"
MULTIPART_PEEK = 16 * 1024  # the first part (the token) is always within this many bytes


def _headers(scope: dict) -> dict[bytes, bytes]:
    return {k.lower(): v for k, v in scope.get("headers", [])}


def _is_page(scope: dict) -> bool:
    path = scope["path"]
    return not (path.startswith("/api/") or path.startswith("/docs") or path == "/openapi.json")


def token_in_urlencoded(body: bytes) -> str | None:
    values = parse_qs(body.decode("latin-1"), max_num_fields=10_000).get(FIELD)
    return values[0] if values else None


def token_in_multipart(head: bytes, content_type: bytes) -> str | None:
    found = re.search(rb'boundary="?([^";]+)"?', content_type)
    if found is None:
        return None
    boundary = re.escape(b"--" + found.group(1))
    first = re.match(
        boundary + rb'\r\ncontent-disposition: *form-data; *name="csrf_token"\r\n\r\n'
        rb"([A-Za-z0-9_\-]{1,200})\r\n" + boundary,
        head,
        re.IGNORECASE,
    )
    return first.group(1).decode() if first else None


class WebForms:
    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not _is_page(scope):
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        if scope["method"] == "POST" and HEADER not in headers:
            scope, receive = await self._token_from_form(scope, receive, headers)
        if b"text/html" in headers.get(b"accept", b""):
            send = _HtmlErrors(scope, send)
        await self.app(scope, receive, send)

    async def _token_from_form(self, scope: dict, receive: Any, headers: dict) -> tuple[dict, Any]:
        content_type = headers.get(b"content-type", b"").lower()
        urlencoded = content_type.startswith(b"application/x-www-form-urlencoded")
        multipart = content_type.startswith(b"multipart/form-data")
        if not (urlencoded or multipart):
            return scope, receive
        held: list[dict] = []
        data = b""
        more = True
        while more and (urlencoded or len(data) < MULTIPART_PEEK):
            message = await receive()
            held.append(message)
            if message["type"] != "http.request":
                break
            data += message.get("body", b"")
            more = message.get("more_body", False)
            if multipart and token_in_multipart(data, headers[b"content-type"]) is not None:
                break
        token = (
            token_in_urlencoded(data)
            if urlencoded
            else token_in_multipart(data, headers[b"content-type"])
        )
        if token:
            scope = {**scope, "headers": [*scope["headers"], (HEADER, token.encode())]}

        async def replay() -> dict:
            if held:
                return held.pop(0)
            return await receive()

        return scope, replay


class _HtmlErrors:
    """Wraps ``send``: a JSON error answer becomes an HTML page (or a redirect to sign in)."""

    def __init__(self, scope: dict, send: Any):
        self.scope, self.send = scope, send
        self.start: dict | None = None
        self.body = b""

    async def __call__(self, message: dict) -> None:
        if message["type"] == "http.response.start":
            headers = _headers(message)
            if message["status"] >= 400 and headers.get(b"content-type", b"").startswith(
                b"application/json"
            ):
                self.start = message
                return
        elif self.start is not None and message["type"] == "http.response.body":
            self.body += message.get("body", b"")
            if message.get("more_body", False):
                return
            await self._page()
            return
        await self.send(message)

    async def _page(self) -> None:
        assert self.start is not None
        status = self.start["status"]
        try:
            error = json.loads(self.body)["error"]
        except (ValueError, KeyError, TypeError):
            error = {"code": "error", "message": self.body.decode("utf-8", "replace")}
        path = self.scope["path"]
        if status == 401 and self.scope["method"] == "GET" and path != "/login":
            target = path + (
                "?" + self.scope["query_string"].decode() if self.scope.get("query_string") else ""
            )
            await self._answer(303, b"", [(b"location", f"/login?next={quote(target)}".encode())])
            return
        from bulle.web.errors import error_page

        html = error_page(self.scope, status, error)
        await self._answer(status, html.encode(), [(b"content-type", b"text/html; charset=utf-8")])

    async def _answer(self, status: int, body: bytes, extra: list) -> None:
        kept = [
            (k, v)
            for k, v in self.start["headers"]  # type: ignore[index]
            if k.lower() not in (b"content-type", b"content-length")
        ]
        headers = [*kept, *extra, (b"content-length", str(len(body)).encode())]
        await self.send({"type": "http.response.start", "status": status, "headers": headers})
        await self.send({"type": "http.response.body", "body": body})
