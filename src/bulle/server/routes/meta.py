"""Health, the interactive docs (Swagger UI from the installed package, never a CDN), sign-in."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response

from bulle.errors import AccessDenied, NotFoundError, Where
from bulle.server import auth
from bulle.server.context import RequestContext, authorize

router = APIRouter()
Ctx = Annotated[RequestContext, Depends(authorize)]

DOCS_INIT = """window.onload = function () {
  window.ui = SwaggerUIBundle({url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: "StandaloneLayout"});
};
"""
DOCS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Bulle API</title>
<link rel="stylesheet" href="/docs/static/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/static/swagger-ui-bundle.js"></script>
<script src="/docs/static/swagger-ui-standalone-preset.js"></script>
<script src="/docs/static/bulle-init.js"></script>
</body></html>
"""
LOGIN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in to Bulle</title></head>
<body><main><h1>Sign in to Bulle</h1>{message}
<form method="post" action="/login">
<p><label for="username">User name</label>
<input id="username" name="username" autocomplete="username" required></p>
<p><label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required></p>
<p><label for="totp">One-time code (if asked)</label>
<input id="totp" name="totp" inputmode="numeric" autocomplete="one-time-code"></p>
<p><button type="submit">Sign in</button></p>
</form></main></body></html>
"""


def _swagger_dir() -> Path:
    import swagger_ui_bundle

    return Path(swagger_ui_bundle.swagger_ui_path)


@router.get("/health", tags=["meta"])
def health(ctx: Ctx) -> dict[str, str]:
    """The server is up and answering (no authentication, no workspace data)."""
    return {"status": "ok"}


@router.get("/docs", include_in_schema=False)
def docs(ctx: Ctx) -> HTMLResponse:
    return HTMLResponse(DOCS_PAGE)


@router.get("/docs/static/{name}", include_in_schema=False)
def docs_static(name: str, ctx: Ctx) -> Response:
    if name == "bulle-init.js":
        return Response(DOCS_INIT, media_type="text/javascript")
    folder = _swagger_dir()
    allowed = {p.name for p in folder.iterdir() if p.suffix in (".js", ".css", ".png")}
    if name not in allowed:  # a name from the package's own listing, never a path
        raise NotFoundError(f"no such file {name!r}", Where(field="name"))
    return FileResponse(folder / name)


@router.get("/login", include_in_schema=False)
def login_page(request: Request, ctx: Ctx, next: str | None = None) -> HTMLResponse:
    from bulle.web.errors import login_page as web_login

    return HTMLResponse(web_login(request.scope, next), headers={"cache-control": "no-store"})


@router.post("/login", tags=["session"])
def login(
    request: Request,
    ctx: Ctx,
    username: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1000)],
    totp: Annotated[str | None, Form(max_length=20)] = None,
    next: Annotated[str | None, Form(max_length=2000)] = None,
) -> Response:
    """Open a browser session: an HttpOnly, SameSite=Strict cookie and the CSRF token to send
    back in ``X-CSRF-Token`` with every change."""
    if not auth.same_origin(request):
        raise AccessDenied("a sign-in must be posted from this server's own page")
    signed = ctx.state.authenticator.sign_in(
        username, password, totp or None, auth.address_of(request)
    )
    if "text/html" in request.headers.get("accept", ""):
        from bulle.web.errors import safe_next

        response: Response = RedirectResponse(safe_next(next), status_code=303)
    else:
        response = JSONResponse({"user": username, "csrf_token": signed.csrf})
    auth.set_session_cookie(response, signed, ctx.state.tls)
    return response


@router.post("/logout", tags=["session"])
def logout(ctx: Ctx) -> JSONResponse:
    """End the caller's browser session (a token is revoked with `bulle token revoke`)."""
    if ctx.caller is not None and ctx.caller.session_id is not None:
        ctx.state.authenticator.sign_out(ctx.caller.session_id)
    response = JSONResponse({"signed_out": True})
    auth.clear_session_cookie(response, ctx.state.tls)
    return response


@router.get("/api/v1/whoami", tags=["session"])
def whoami(ctx: Ctx) -> dict:
    """Who the server takes the caller to be, and how it knows."""
    assert ctx.caller is not None and ctx.actor is not None
    return {
        "name": ctx.caller.principal.name,
        "roles": sorted(r.value for r in ctx.caller.roles),
        "project": ctx.caller.project,
        "via": ctx.caller.via,
    }


def escape(text: str) -> str:
    return html.escape(text, quote=True)
