"""The web UI: server-rendered pages over the same services, permissions and sessions as the API.

:func:`mount` is the one call the application factory makes: it adds the page routers (each page
declared in the server's permission table, like every API route), and the ASGI layer that lets
plain HTML forms work without JavaScript (:mod:`bulle.web.forms`).
"""

from __future__ import annotations

from typing import Any


def page_modules() -> tuple[Any, ...]:
    from bulle.web import (
        pages_analyst,
        pages_anonymize,
        pages_checker,
        pages_common,
        pages_custodian,
        pages_dpo,
        pages_jobs,
    )

    return (
        pages_common,
        pages_custodian,
        pages_anonymize,
        pages_analyst,
        pages_jobs,
        pages_checker,
        pages_dpo,
    )


def mount(app: Any) -> None:
    from bulle.web import forms

    for module in page_modules():
        app.include_router(module.router)
    app.add_middleware(forms.WebForms)


def page_routes() -> set[tuple[str, str]]:
    """(method, path) of every page route, for the tests that cover them as a family."""
    out = set()
    for module in page_modules():
        for route in module.router.routes:
            for method in getattr(route, "methods", ()):
                if method != "HEAD":
                    out.add((method, route.path))
    return out
