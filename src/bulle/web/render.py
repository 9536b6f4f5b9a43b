"""Rendering a page: one Jinja2 environment, the caller's language, name, roles and CSRF token.

Every page is HTML escaped by default (autoescape), answered ``no-store`` (pages show personal
data and must not stay in a shared browser's cache), and carries the session's CSRF token in each
form that changes something, as a hidden ``csrf_token`` field (:mod:`bulle.web.forms` turns it
into the header the server checks).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from bulle.web import i18n

NO_STORE = {"cache-control": "no-store"}

# The menu of each role: (path, English label). A page appears for the roles that may open it.
MENUS: dict[str, list[tuple[str, str]]] = {
    "custodian": [
        ("/datasets", "Datasets"),
        ("/import", "Import"),
        ("/purposes", "Purposes"),
        ("/consents", "Consents"),
        ("/projects", "Projects"),
    ],
    "analyst": [("/my/projects", "My projects")],
    "checker": [("/outputs", "Review queue")],
    "dpo": [("/audit", "Audit log"), ("/subjects", "Data subjects"), ("/register", "Register")],
}


@cache
def environment() -> Any:
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=PackageLoader("bulle.web", "templates"),
        autoescape=select_autoescape(["html", "svg"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


# States and phases a live page (a task's, a job's) may show as they change: their translations go
# to the page with it, for its script.
LIVE = ("queued", "running", "done", "failed", "interrupted", "starting", "succeeded",
        "cancelled", "running in the sandbox", "importing", "searching", "erasing", "exporting")  # fmt: skip


def menu(roles: set[str]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for role in ("custodian", "analyst", "checker", "dpo"):
        if role in roles:
            out += [m for m in MENUS[role] if m not in out]
    if "custodian" in roles:  # the custodian also reads the log and answers the people
        out += [m for m in MENUS["dpo"] if m not in out]
    return out


def context(request: Request, ctx: Any = None) -> dict[str, Any]:
    lang = i18n.language_of(request.cookies)
    caller = getattr(ctx, "caller", None)
    roles = {r.value for r in caller.roles} if caller is not None else set()
    _ = i18n.gettext(lang)
    return {
        "_": _,
        "labels": {s: _(s) for s in LIVE},
        "lang": lang,
        "languages": i18n.NAMES,
        "path": request.url.path,
        "query": request.url.query,
        "user": caller.principal.name if caller is not None else None,
        "roles": sorted(roles),
        "csrf": caller.csrf if caller is not None and caller.csrf else "",
        "menu": menu(roles),
        "dt": lambda v: i18n.format_datetime(v, lang),
        "num": lambda v: i18n.format_number(v, lang),
    }


def page(
    request: Request, ctx: Any, template: str, *, status: int = 200, **values: Any
) -> HTMLResponse:
    html = render(template, {**context(request, ctx), **values})
    return HTMLResponse(html, status_code=status, headers=NO_STORE)


def render(template: str, values: dict[str, Any]) -> str:
    return environment().get_template(template).render(**values)
