"""The request's context: its permission checked, its caller authenticated, its actor chosen.

:func:`authorize` is the one dependency every route takes. It finds the route's entry in the
permission table (none: refused, deny by default), authenticates the caller (unless the route is
public), picks the role the request acts as (the first of the route's roles the caller holds) and
confines a project-scoped token to its project. Routes then open a per-request workspace session
acting as that actor; the services make their own decisions with it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import Request

from bulle.errors import AccessDenied
from bulle.server import auth
from bulle.server.permissions import Permission, permission_of

if TYPE_CHECKING:
    from bulle.domain.actor import Actor
    from bulle.server.tasks import TaskRunner
    from bulle.workspace import Workspace


@dataclass
class ServerState:
    """What the server holds for its lifetime: the workspace folder, settings, accounts, tasks."""

    root: Path
    store: Any  # the one bulle.store.Store the server holds for its lifetime
    authenticator: auth.Authenticator
    settings: Any
    tls: bool
    tasks: TaskRunner

    @contextmanager
    def session(self, actor: Actor) -> Iterator[Workspace]:
        """A session acting as ``actor`` over the server's store, for one request or one task."""
        ws = self.store.session(actor)
        try:
            yield ws
        finally:
            ws.close()


@dataclass(frozen=True)
class RequestContext:
    state: ServerState
    permission: Permission
    caller: auth.Caller | None = None
    actor: Actor | None = None

    @contextmanager
    def session(self) -> Iterator[Workspace]:
        if self.actor is None:  # a public route never opens the workspace
            raise AccessDenied("this route is public and acts as no one")
        with self.state.session(self.actor) as ws:
            yield ws


def server_state(request: Request) -> ServerState:
    return request.app.state.bulle


def authorize(request: Request) -> RequestContext:
    state = server_state(request)
    route = request.scope.get("route")
    path = getattr(route, "path", None)
    permission = permission_of(request.method, path) if path else None
    if permission is None:
        raise AccessDenied(f"no permission is declared for {request.method} {path}: refused")
    if permission.public:
        return RequestContext(state, permission)
    found = auth.caller(request, state.authenticator)
    held = [r for r in permission.roles if r in found.roles]
    if not held:
        raise AccessDenied(
            f"{request.method} {path} needs one of the roles {permission.describe()}; "
            f"{found.principal.name} has {', '.join(sorted(r.value for r in found.roles)) or 'none'}"
        )
    scope = found.project
    asked = request.path_params.get("project")
    if scope is not None and asked != scope and path not in _UNSCOPED:
        raise AccessDenied(
            f"this token is scoped to project {scope!r}: it cannot call {request.method} {path}"
            + (f" for project {asked!r}" if asked else "")
        )
    return RequestContext(state, permission, found, found.principal.actor_for(held[0]))


# Routes a project-scoped token may still call: about the caller itself, not the workspace.
_UNSCOPED = frozenset(
    {"/api/v1/whoami", "/api/v1/tasks/{task_id}", "/api/v1/tasks/{task_id}/events", "/logout"}
)
