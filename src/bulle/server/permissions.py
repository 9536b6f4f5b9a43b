"""Who may call each route: ONE table, deny by default.

Each entry maps a route (method and path template, as FastAPI declares it) to the roles that may
call it, in the order in which the server picks the role a request acts as: a principal holding
several of them acts as the first one it holds (a custodian who is also an analyst reads a
project as the analyst listed first there, so that the project's membership rules apply). The
actor of the request is that role and the principal's name: nothing in the request names an actor
or a role.

``PUBLIC`` routes need no authentication (health, the OpenAPI document, the docs, the sign-in
page). A route missing from the table is refused with 403 at request time, and the application
refuses to start (:func:`check`), so that a route added without a permission fails every test.
The services still make their own access decisions (``governance/access.py``): the table is the
first gate, never the only one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bulle.domain.actor import Role

C, A, D = Role.CUSTODIAN, Role.ANALYST, Role.DPO
CHECKER = next((r for r in Role if r.value == "checker"), None)
EVERYONE: tuple[Role, ...] = tuple(
    r for r in (C, A, D, CHECKER) if r is not None
)  # any authenticated account


@dataclass(frozen=True)
class Permission:
    """The roles that may call a route (empty and ``public``: no authentication at all)."""

    roles: tuple[Role, ...] = ()
    public: bool = False
    why: str = ""

    def __post_init__(self) -> None:
        if self.public == bool(self.roles):
            raise TypeError("a permission is either public or names at least one role")

    def describe(self) -> str:
        return "public" if self.public else ", ".join(r.value for r in self.roles)


PUBLIC = Permission(public=True)


def roles(*allowed: Role | None, why: str = "") -> Permission:
    return Permission(tuple(r for r in allowed if r is not None), why=why)


V1 = "/api/v1"

PERMISSIONS: dict[tuple[str, str], Permission] = {
    # -- public ---------------------------------------------------------------------------------
    ("GET", "/health"): PUBLIC,
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/docs"): PUBLIC,
    ("GET", "/docs/static/{name}"): PUBLIC,
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    # -- any account ----------------------------------------------------------------------------
    ("POST", "/logout"): roles(*EVERYONE, why="ends the caller's own session"),
    ("GET", f"{V1}/whoami"): roles(*EVERYONE, why="the caller's own name and roles"),
    ("GET", f"{V1}/tasks/{{task_id}}"): roles(*EVERYONE, why="own tasks only (custodian: all)"),
    ("GET", f"{V1}/tasks/{{task_id}}/events"): roles(*EVERYONE, why="own tasks only"),
    ("GET", f"{V1}/legal-bases"): roles(*EVERYONE, why="the GDPR's list, no workspace data"),
    # -- vault: the custodian ---------------------------------------------------------------------
    ("GET", f"{V1}/datasets"): roles(C),
    ("GET", f"{V1}/datasets/{{name}}/versions"): roles(C),
    ("GET", f"{V1}/datasets/{{ref}}/profile"): roles(C),
    ("POST", f"{V1}/datasets/{{ref}}/roles"): roles(C),
    ("GET", f"{V1}/datasets/{{ref}}/preview"): roles(C, why="rows in clear: custodian only"),
    ("POST", f"{V1}/datasets/{{name}}/import"): roles(C),
    ("POST", f"{V1}/datasets/{{ref}}/pseudonymize"): roles(C),
    ("PUT", f"{V1}/datasets/{{name}}/purpose"): roles(C),
    ("POST", f"{V1}/datasets/{{ref}}/anonymize"): roles(C, why="a background task"),
    ("GET", f"{V1}/datasets/{{ref}}/risk-report"): roles(C),
    ("POST", f"{V1}/datasets/{{ref}}/risk"): roles(C),
    ("POST", f"{V1}/datasets/{{ref}}/hierarchy"): roles(C, why="reads a column's values"),
    ("GET", f"{V1}/hierarchies"): roles(C, why="the hierarchies releases used"),
    ("POST", f"{V1}/datasets/{{ref}}/text-deidentify"): roles(C, why="a background task"),
    # -- governance -------------------------------------------------------------------------------
    ("GET", f"{V1}/purposes"): roles(C, D),
    ("POST", f"{V1}/purposes"): roles(C),
    ("POST", f"{V1}/consents"): roles(C),
    ("GET", f"{V1}/projects"): roles(C, D),
    ("POST", f"{V1}/projects"): roles(C),
    ("POST", f"{V1}/projects/{{project}}/approve"): roles(C),
    ("GET", f"{V1}/projects/{{project}}/datasets/{{ref}}/rows"): roles(
        A, C, why="members only, as the project's row access allows"
    ),
    ("POST", f"{V1}/projects/{{project}}/query"): roles(A, C, why="members only"),
    ("GET", f"{V1}/subjects/{{subject_id}}/access-report"): roles(C, D),
    ("POST", f"{V1}/subjects/{{subject_id}}/erasure"): roles(C),
    # -- audit and exchange -----------------------------------------------------------------------
    ("GET", f"{V1}/audit/log"): roles(D, C),
    ("POST", f"{V1}/audit/verify"): roles(D, C),
    ("POST", f"{V1}/export"): roles(C),
    ("GET", f"{V1}/export/{{task_id}}"): roles(C),
    # -- the analysis bubble: analysts' jobs, checkers' reviews (services decide who exactly) ------
    ("POST", f"{V1}/projects/{{project}}/jobs"): roles(A, why="analyst members of the project"),
    ("GET", f"{V1}/projects/{{project}}/datasets/{{dataset}}/dummy"): roles(
        A, why="analyst members: rows made from the view's profile, no rare value"
    ),
    ("GET", f"{V1}/jobs"): roles(A, CHECKER, C, why="an analyst sees their own jobs"),
    ("GET", f"{V1}/jobs/{{job}}"): roles(A, CHECKER, C, why="its analyst, checkers, custodians"),
    ("GET", f"{V1}/jobs/{{job}}/events"): roles(
        A, CHECKER, C, why="as the job: server-sent events"
    ),
    ("GET", f"{V1}/jobs/{{job}}/logs"): roles(A, CHECKER, C, why="its analyst, checkers"),
    ("GET", f"{V1}/jobs/{{job}}/code"): roles(A, CHECKER, C, why="checkers review the code"),
    ("POST", f"{V1}/jobs/{{job}}/cancel"): roles(A, C, why="its analyst (or a custodian)"),
    ("GET", f"{V1}/jobs/{{job}}/outputs"): roles(A, CHECKER, C, why="its analyst, checkers"),
    ("GET", f"{V1}/jobs/{{job}}/outputs/{{name}}/content"): roles(
        CHECKER, C, A, why="its reviewers; its analyst for a dummy-data run"
    ),
    ("GET", f"{V1}/outputs/queue"): roles(CHECKER, why="outputs waiting for this checker"),
    ("POST", f"{V1}/jobs/{{job}}/outputs/{{name}}/review"): roles(
        CHECKER, why="two checkers, never the output's analyst"
    ),
    ("POST", f"{V1}/jobs/{{job}}/outputs/{{name}}/mitigate"): roles(A, why="its analyst"),
    ("POST", f"{V1}/jobs/{{job}}/outputs/{{name}}/exception"): roles(A, why="its analyst"),
    ("GET", f"{V1}/jobs/{{job}}/outputs/{{name}}/download"): roles(
        A, why="its analyst, once released (dummy-data jobs: at once)"
    ),
    # -- models that can forget ---------------------------------------------------------------------
    ("POST", f"{V1}/projects/{{project}}/models"): roles(A, C, why="reads the project's rows"),
    ("GET", f"{V1}/models"): roles(C, A, D, why="an analyst: the models of their projects"),
    ("POST", f"{V1}/models/{{model}}/predict"): roles(A, C, why="members of its project"),
    ("GET", f"{V1}/models/{{model}}/card"): roles(C),
    ("GET", f"{V1}/models/{{model}}/card.html"): roles(C),
    ("POST", f"{V1}/models/{{model}}/audit"): roles(C),
    ("POST", f"{V1}/models/{{model}}/forget"): roles(C),
    ("GET", f"{V1}/subjects/{{subject_id}}/models"): roles(
        D, why="a subject's membership-audit scores: the dpo answers the person"
    ),
    ("POST", f"{V1}/forget-receipts/{{receipt}}/verify"): roles(C),
    # -- web UI pages (bulle.web): the same roles as the API routes they show ---------------------
    ("GET", "/static/{name}"): PUBLIC,
    ("POST", "/lang"): Permission(public=True, why="a language preference cookie, no data"),
    ("GET", "/transparency"): Permission(public=True, why="approved projects, no personal data"),
    ("GET", "/"): roles(*EVERYONE),
    ("POST", "/signout"): roles(*EVERYONE, why="ends the caller's own session"),
    ("GET", "/me/tokens"): roles(*EVERYONE, why="the caller's own tokens"),
    ("POST", "/me/tokens"): roles(*EVERYONE, why="a token of the caller's own account"),
    ("POST", "/me/tokens/{token_id}/revoke"): roles(*EVERYONE, why="own tokens only"),
    ("GET", "/tasks/{task_id}"): roles(*EVERYONE, why="own tasks only (custodian: all)"),
    ("GET", "/datasets"): roles(C),
    ("GET", "/datasets/{name}"): roles(C),
    ("POST", "/datasets/{name}/purpose"): roles(C),
    ("GET", "/import"): roles(C),
    ("POST", "/upload/import"): roles(C),
    ("GET", "/versions/{ref}/profile"): roles(C),
    ("POST", "/versions/{ref}/roles"): roles(C),
    ("POST", "/versions/{ref}/pseudonymize"): roles(C),
    ("GET", "/versions/{ref}/anonymize"): roles(C),
    ("POST", "/versions/{ref}/anonymize"): roles(C),
    ("GET", "/versions/{ref}/report"): roles(C),
    ("GET", "/purposes"): roles(C, D),
    ("POST", "/purposes"): roles(C),
    ("GET", "/consents"): roles(C),
    ("POST", "/consents/import"): roles(C),
    ("GET", "/projects"): roles(C, D),
    ("POST", "/projects"): roles(C),
    ("POST", "/projects/{project}/approve"): roles(C),
    ("GET", "/my/projects"): roles(A),
    ("GET", "/projects/{project}"): roles(A, C, why="members only (and the custodian)"),
    ("GET", "/projects/{project}/rows"): roles(A, C, why="members, as the row access allows"),
    ("POST", "/projects/{project}/sql"): roles(A, C, why="members only"),
    ("GET", "/projects/{project}/jobs"): roles(A, why="analyst members: their own jobs"),
    ("POST", "/projects/{project}/jobs"): roles(A, why="analyst members of the project"),
    ("GET", "/jobs/{job}"): roles(A, CHECKER, C, why="its analyst, checkers, custodians"),
    ("POST", "/jobs/{job}/outputs/{name}/exception"): roles(A, why="its analyst"),
    ("POST", "/jobs/{job}/outputs/{name}/mitigate"): roles(A, why="its analyst"),
    ("GET", "/outputs"): roles(CHECKER, why="outputs waiting for this checker"),
    ("GET", "/jobs/{job}/outputs/{name}"): roles(
        CHECKER, C, why="its reviewers: content, checks and code"
    ),
    ("POST", "/jobs/{job}/outputs/{name}/review"): roles(
        CHECKER, why="two checkers, never the output's analyst"
    ),
    ("GET", "/audit"): roles(D, C),
    ("POST", "/audit/verify"): roles(D, C),
    ("GET", "/subjects"): roles(D, C),
    ("GET", "/subjects/report"): roles(D, C),
    ("POST", "/subjects/erase"): roles(C),
    ("GET", "/register"): roles(D, C),
    ("GET", "/register.csv"): roles(D, C),
    ("POST", "/register/details"): roles(C),
}


def permission_of(method: str, path: str) -> Permission | None:
    return PERMISSIONS.get((method.upper(), path))


def check(routes: Iterable[tuple[str, str]]) -> None:
    """Refuse an application whose routes and table differ (a route without a permission, or a
    permission for a route that no longer exists)."""
    declared = {(m.upper(), p) for m, p in routes}
    missing = sorted(declared - set(PERMISSIONS))
    stale = sorted(set(PERMISSIONS) - declared)
    if missing or stale:
        raise RuntimeError(
            "the permission table and the routes differ: "
            + "; ".join(
                [f"no permission for {m} {p}" for m, p in missing]
                + [f"permission for a missing route {m} {p}" for m, p in stale]
            )
        )


def markdown() -> str:
    """The permission table as docs/server.md shows it (a test keeps the page equal to it)."""
    lines = ["| Method | Path | Who may call it | Why |", "|---|---|---|---|"]
    for (method, path), perm in sorted(PERMISSIONS.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        lines.append(f"| {method} | `{path}` | {perm.describe()} | {perm.why} |")
    return "\n".join(lines) + "\n"
