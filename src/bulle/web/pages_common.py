"""Pages every account uses: home, sign-out, language, own API tokens, a background task's
progress, static files, and the public transparency register (no sign-in)."""

from __future__ import annotations

from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bulle.errors import NotFoundError, Where
from bulle.server import auth
from bulle.server.context import RequestContext, authorize
from bulle.web import i18n
from bulle.web.errors import safe_next
from bulle.web.render import page

router = APIRouter(include_in_schema=False)
Ctx = Annotated[RequestContext, Depends(authorize)]
STATIC_TYPES = {".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml"}
# Where each role starts (the first role held, in this order).
HOMES = (
    ("custodian", "/datasets"),
    ("dpo", "/audit"),
    ("analyst", "/my/projects"),
    ("checker", "/outputs"),
)


def see_other(target: str) -> RedirectResponse:
    return RedirectResponse(target, status_code=303)


@router.get("/")
def home(request: Request, ctx: Ctx) -> Response:
    assert ctx.caller is not None
    held = {r.value for r in ctx.caller.roles}
    target = next((path for role, path in HOMES if role in held), None)
    if target is not None:
        return see_other(target)
    return page(request, ctx, "home.html")


@router.post("/signout")
def signout(ctx: Ctx) -> Response:
    """End the browser session and go back to the sign-in page."""
    if ctx.caller is not None and ctx.caller.session_id is not None:
        ctx.state.authenticator.sign_out(ctx.caller.session_id)
    response = see_other("/login")
    auth.clear_session_cookie(response, ctx.state.tls)
    return response


@router.post("/lang")
def choose_language(
    ctx: Ctx,
    lang: Annotated[str, Form(max_length=5)],
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Remember the language chosen (a preference cookie, nothing in the workspace)."""
    response = see_other(safe_next(next))
    if lang in i18n.LANGUAGES:
        response.set_cookie(
            i18n.COOKIE, lang, max_age=365 * 86400, samesite="strict", secure=ctx.state.tls
        )
    return response


@router.get("/static/{name}")
def static(name: str, ctx: Ctx) -> Response:
    """The UI's own CSS and JavaScript (never a CDN); a name from the package's listing only."""
    folder = resources.files("bulle.web") / "static"
    allowed = {p.name for p in folder.iterdir() if p.name.endswith(tuple(STATIC_TYPES))}
    if name == "report.css":  # the risk report's own style, served for the embedded report
        from bulle.anonymization.report_html import CSS
        from bulle.web.pages_anonymize import scoped_css

        return Response(
            scoped_css(CSS), media_type="text/css", headers={"cache-control": "max-age=3600"}
        )
    if name not in allowed:
        raise NotFoundError(f"no such file {name!r}", Where(field="name"))
    suffix = "." + name.rsplit(".", 1)[-1]
    return Response(
        (folder / name).read_bytes(),
        media_type=STATIC_TYPES[suffix],
        headers={"cache-control": "max-age=3600"},
    )


# -- own API tokens ------------------------------------------------------------------------------
def _tokens(ctx: RequestContext) -> list[dict[str, Any]]:
    from bulle.services.tokens import list_tokens

    assert ctx.caller is not None
    with ctx.session() as ws:
        return [t.to_dict() for t in list_tokens(ws, ctx.caller.principal.name)]


@router.get("/me/tokens")
def tokens(request: Request, ctx: Ctx) -> Response:
    return page(request, ctx, "tokens.html", tokens=_tokens(ctx), issued=None)


@router.post("/me/tokens")
def create_token(
    request: Request,
    ctx: Ctx,
    expires_days: Annotated[int | None, Form(ge=1)] = None,
    role: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Mint a token for the signed-in account; it is shown on this page once, never again."""
    from bulle.services.tokens import create_token as run

    assert ctx.caller is not None
    with ctx.session() as ws:
        issued = run(ws, ctx.caller.principal.name, role or None, None, expires_days)
    return page(request, ctx, "tokens.html", status=201, tokens=_tokens(ctx), issued=issued)


@router.post("/me/tokens/{token_id}/revoke")
def revoke_token(token_id: str, ctx: Ctx) -> Response:
    from bulle.services.tokens import list_tokens
    from bulle.services.tokens import revoke_token as run

    assert ctx.caller is not None
    with ctx.session() as ws:
        mine = {t.id for t in list_tokens(ws, ctx.caller.principal.name)}
        if token_id not in mine:  # another account's token is not even said to exist
            raise NotFoundError(f"you hold no token {token_id!r}", Where(field="token_id"))
        run(ws, token_id)
    return see_other("/me/tokens")


# -- background tasks ----------------------------------------------------------------------------
@router.get("/tasks/{task_id}")
def task_page(task_id: str, request: Request, ctx: Ctx) -> HTMLResponse:
    """A task's progress: refreshed by the page's script, or by the browser itself without it;
    a reload finds it again (tasks live in the catalog)."""
    assert ctx.actor is not None
    task = ctx.state.tasks.get(task_id, ctx.actor).to_dict()
    return page(request, ctx, "task.html", task=task)


# -- public transparency register ------------------------------------------------------------------
@router.get("/transparency")
def transparency(request: Request, ctx: Ctx) -> HTMLResponse:
    """Approved projects as a public body publishes them: no sign-in, no personal data."""
    from bulle.domain.actor import Actor
    from bulle.services.register import public_register

    with ctx.state.session(Actor.system()) as ws:
        entries = public_register(ws)
    return page(request, ctx, "transparency.html", entries=entries)
