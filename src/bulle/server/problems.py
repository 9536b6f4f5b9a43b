"""Errors as HTTP answers, mapped in one place: the status is the error class's ``http_status``.

Every refusal has the CLI's shape, ``{"error": {"code", "message", "where", "problems"}}``, so a
client (the CLI in ``--server`` mode among them) turns it back into the same error and exit code.
Request bodies that do not match a route's model become ``bad_input`` with one problem per field;
an unknown route is ``not_found``; anything else is a bug, answered 500 without its details (they
stay in the server's log).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from bulle.errors import (
    BulleError,
    ConflictError,
    InputError,
    NotFoundError,
    Problem,
    ValidationError,
    Where,
    as_resource_limit,
)

log = logging.getLogger("bulle.server")

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "where", "problems"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "where": {"type": ["object", "null"]},
                "problems": {"type": "array", "items": {"type": "object"}},
            },
        }
    },
}

# Statuses any route may answer with the error body (declared in the OpenAPI document).
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {
        "description": text,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    for status, text in (
        (400, "Bad input"),
        (401, "Not authenticated"),
        (403, "Refused"),
        (404, "Not found"),
        (409, "Conflict or withheld"),
        (413, "Request too large"),
        (422, "Resource limit"),
        (503, "Request took too long"),
    )
}


def body(exc: BulleError) -> dict[str, Any]:
    """The error's mapping with ``problems`` always present (an empty list when there are none)."""
    d = exc.to_dict()
    d.setdefault("problems", [])
    return {"error": d}


def response(exc: BulleError, status: int | None = None) -> JSONResponse:
    return JSONResponse(body(exc), status_code=status or exc.http_status)


class TooLarge(InputError):
    """A request body past its limit (``server.request_max_bytes``, ``server.upload_max_bytes``)."""

    code = "too_large"
    http_status = 413


class TooSlow(BulleError):
    """A request past ``server.request_timeout_s``."""

    code = "timeout"
    exit_code = 8
    http_status = 503


def install(app: FastAPI) -> None:
    """Register the handlers: the only place where an exception becomes an HTTP status."""

    @app.exception_handler(BulleError)
    async def bulle_error(request: Request, exc: BulleError) -> JSONResponse:
        return response(exc)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            Problem(
                str(e.get("msg", "invalid")),
                Where(field=".".join(str(p) for p in e.get("loc", ()) if p != "body") or None),
            )
            for e in exc.errors()
        ]
        return response(ValidationError.from_problems("invalid request", problems))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 404:
            err: BulleError = NotFoundError(f"no such route: {request.url.path}")
        elif exc.status_code == 405:
            err = ConflictError(f"{request.method} is not allowed on {request.url.path}")
            err.code = "method_not_allowed"
        elif exc.status_code == 413:  # a body counted past its limit as it arrived
            err = TooLarge(str(exc.detail))
        else:
            err = InputError(str(exc.detail))
        return response(err, exc.status_code)

    @app.exception_handler(Exception)
    async def bug(request: Request, exc: Exception) -> JSONResponse:
        limit = as_resource_limit(exc)
        if limit is not None:
            return response(limit)
        log.exception("internal error on %s %s", request.method, request.url.path)
        internal = BulleError("internal error (a bug in Bulle; the server's log has the details)")
        internal.code = "internal"
        return response(internal, 500)
