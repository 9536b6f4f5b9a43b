"""The ASGI application: routes, the permission check, error mapping, headers and limits.

:func:`create_app` builds it for one workspace folder. On start-up it opens the workspace once as
the system, which runs ``recover()`` (removing what an interrupted writer left) and finishes an
erasure cut short, then marks the tasks a previous server never finished ``interrupted``.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

from bulle.server import limits, permissions, problems
from bulle.server.auth import Authenticator
from bulle.server.context import ServerState, authorize


def _all_routes(routes: list) -> list:
    """Every route, those of included routers too (our routers carry their whole path)."""
    out = []
    for route in routes:
        inner = getattr(route, "original_router", None)
        out += _all_routes(inner.routes) if inner is not None else [route]
    return out


def _routes(app: FastAPI) -> list[tuple[str, str]]:
    out = []
    for route in _all_routes(app.routes):
        for method in sorted(getattr(route, "methods", None) or ()):
            if method != "HEAD":
                out.append((method, route.path))  # type: ignore[attr-defined]
    return out


def _check_gated(app: FastAPI) -> None:
    """Every route of ours takes the one dependency that checks its permission."""
    for route in _all_routes(app.routes):
        if isinstance(route, APIRoute):
            calls = {d.call for d in route.dependant.dependencies}
            if authorize not in calls:
                raise RuntimeError(f"route {route.path} does not depend on authorize()")


def create_app(
    root: str | Path, *, authenticator: Authenticator | None = None, tls: bool = False
) -> Any:
    """The application for the workspace at ``root`` (wrapped in its header and limit layers)."""
    from bulle.server.routes import analysis, audit, governance, jobs, meta, models, vault
    from bulle.server.tasks import TaskRunner
    from bulle.store import Store
    from bulle.version import __version__

    root = Path(root)
    store = Store.open(root, recover=True)  # migrations, recover(), pending erasures: once
    state = None
    try:
        settings = store.settings
        if authenticator is None:
            from bulle.server.accounts import AccountsAuthenticator

            authenticator = AccountsAuthenticator(store)
        state = ServerState(root, store, authenticator, settings, tls, tasks=None)  # type: ignore[arg-type]
        state.tasks = TaskRunner(root, settings["server.task_workers"], state.session)
        state.tasks.recover()
        from bulle.domain.actor import Actor
        from bulle.services.jobs import recover_jobs

        with state.session(Actor.system()) as ws:  # jobs a stopped server left running end failed
            recover_jobs(ws)

        @asynccontextmanager
        async def lifespan(app: FastAPI):
            yield
            state.tasks.close()
            store.close()

        app = FastAPI(
            title="Bulle",
            version=__version__,
            description="The HTTP API of a Bulle workspace: a trusted data environment for personal "
            "data. Every route but /health, /openapi.json, /docs and /login needs a session or "
            "`Authorization: Bearer TOKEN`.",
            docs_url=None,
            redoc_url=None,
            openapi_url="/openapi.json",
            lifespan=lifespan,
            responses=problems.ERROR_RESPONSES,
        )
        app.state.bulle = state
        for module in (meta, vault, analysis, governance, audit, jobs, models):
            app.include_router(module.router)
        from bulle import web

        web.mount(app)  # the web UI's pages (their permissions are in the same table)
        problems.install(app)
        permissions.check(_routes(app))
        _check_gated(app)
        _add_error_schema(app)
        wrapped: Any = limits.TimeLimit(app, settings["server.request_timeout_s"])
        wrapped = limits.BodyLimit(
            wrapped, settings["server.request_max_bytes"], settings["server.upload_max_bytes"]
        )
        wrapped = limits.SecurityHeaders(wrapped, tls)
        wrapped.fastapi = app  # tests and the CLI reach the inner application through this
        return wrapped
    except BaseException:  # a server that cannot start leaves the workspace closed
        if state is not None and state.tasks is not None:
            state.tasks.close()
        store.close()
        raise


def _add_error_schema(app: FastAPI) -> None:
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = original()
            schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = (
                problems.ERROR_SCHEMA
            )
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
