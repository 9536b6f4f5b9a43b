"""The web UI: server-rendered pages over the same services, permissions and sessions as the API.

:func:`mount` is the one call the application factory makes: it adds the page routers (each page
declared in the server's permission table, like every API route), and the ASGI layer that lets
plain HTML forms work without JavaScript (:mod:`bulle.web.forms`).
"""

from __future__ import annotations

from typing import Any


def mount(app: Any) -> None:
    from bulle.web import (
        forms,
        pages_analyst,
        pages_anonymize,
        pages_common,
        pages_custodian,
        pages_dpo,
    )

    for module in (pages_common, pages_custodian, pages_anonymize, pages_analyst, pages_dpo):
        app.include_router(module.router)
    app.add_middleware(forms.WebForms)


def page_routes() -> set[tuple[str, str]]:
    """(method, path) of every page route, for the tests that cover them as a family."""
    from bulle.web import pages_analyst, pages_anonymize, pages_common, pages_custodian, pages_dpo

    out = set()
    for module in (pages_common, pages_custodian, pages_anonymize, pages_analyst, pages_dpo):
        for route in module.router.routes:
            for method in getattr(route, "methods", ()):
                if method != "HEAD":
                    out.add((method, route.path))
    return out
