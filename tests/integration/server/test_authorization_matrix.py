"""The authorization matrix, generated from the permission table: every route × every caller.

A route added without a permission cannot even be built (the application refuses to start), and
one whose permission is wrong shows here: anonymous callers get 401 on every non-public route, a
caller without one of the route's roles gets 403 before any service runs, a caller with one is
let through to the service, and an analyst of another project is refused by the service (403).
"""

from __future__ import annotations

import pytest

from bulle.server.permissions import PERMISSIONS
from bulle.web import page_routes

CALLERS = {
    "anonymous": None,
    "custodian": "custodian",
    "analyst": "analyst",
    "dpo": "dpo",
    "other_analyst": "other_analyst",
    "checker": "checker",
}
ROLE_OF = {
    "custodian": "custodian",
    "analyst": "analyst",
    "dpo": "dpo",
    "other_analyst": "analyst",
    "checker": "checker",
}
VALUES = {
    "name": "patients",
    "ref": "patients@1",
    "project": "study",
    "subject_id": "P999",
    "task_id": "0" * 32,
    "job": "j-0000000000000000",
    "dataset": "patients",
    "model": "nomodel",
    "receipt": "u-0000",
}
BODIES = {
    ("POST", "/api/v1/datasets/{ref}/roles"): {"confirm": True},
    ("POST", "/api/v1/datasets/{ref}/pseudonymize"): {},
    ("PUT", "/api/v1/datasets/{name}/purpose"): {"purpose": "care"},
    ("POST", "/api/v1/purposes"): {
        "name": "research",
        "description": "Recherche",
        "legal_basis": "public_task",
    },
    ("POST", "/api/v1/consents"): {
        "choices": [{"subject_id": "P001", "purpose": "care", "status": "objected"}]
    },
    ("POST", "/api/v1/projects"): {
        "name": "draft",
        "purpose": "care",
        "datasets": {"patients@1": ["age"]},
        "members": [{"name": "bob", "role": "analyst"}],
        "valid_from": "2020-01-01T00:00:00+00:00",
        "valid_until": "2099-01-01T00:00:00+00:00",
    },
    ("POST", "/api/v1/projects/{project}/approve"): {"allow_raw": True, "row_access": "view"},
    ("POST", "/api/v1/projects/{project}/query"): {"sql": "SELECT count(*) AS n FROM patients"},
    ("POST", "/api/v1/datasets/{ref}/anonymize"): {
        "hierarchies": {"age": {"kind": "interval", "width": "10"}},
        "k": 2,
        "drop": ["zip", "diagnosis"],
    },
    ("POST", "/api/v1/datasets/{ref}/risk"): {"quasi_identifiers": ["age", "zip"]},
    ("POST", "/api/v1/datasets/{ref}/hierarchy"): {
        "column": "age",
        "recipe": {"kind": "interval", "width": "10"},
    },
    ("POST", "/api/v1/datasets/{ref}/text-deidentify"): {"columns": ["diagnosis"]},
    ("POST", "/api/v1/projects/{project}/jobs"): {
        "files": {"main.py": "print('hello')\n"},
        "entry": "main.py",
    },
    ("POST", "/api/v1/jobs/{job}/outputs/{name}/review"): {"decision": "approve", "comment": "ok"},
    ("POST", "/api/v1/projects/{project}/models"): {"dataset": "patients", "target": "diagnosis"},
    ("POST", "/api/v1/models/{model}/predict"): {},
    ("POST", "/api/v1/models/{model}/audit"): {},
    ("POST", "/api/v1/models/{model}/forget"): {"subjects": ["P001"]},
    ("POST", "/api/v1/jobs/{job}/outputs/{name}/mitigate"): {"method": "suppress"},
    ("POST", "/api/v1/jobs/{job}/outputs/{name}/exception"): {
        "reason": "the cells are published counts of a public register"
    },
}
RAW_BODY = {("POST", "/api/v1/datasets/{name}/import"): b"a,b\n1,2\n"}
MEMBER_ROUTES = {k for k in PERMISSIONS if k[1].startswith("/api/v1/projects/{project}/") and
                 not k[1].endswith("/approve")}  # fmt: skip
PAGES = page_routes()  # the web UI's pages have their own matrix (test_web_pages_matrix.py)
CASES = [
    (method, path, caller)
    for (method, path), perm in sorted(PERMISSIONS.items())
    if not perm.public and (method, path) not in PAGES
    for caller in CALLERS
]


def expected(method: str, path: str, caller: str) -> set[int]:
    perm = PERMISSIONS[(method, path)]
    if caller == "anonymous":
        return {401}
    if ROLE_OF[caller] not in {r.value for r in perm.roles}:
        return {403}
    if caller != "analyst" and (method, path) in MEMBER_ROUTES:
        return {403}  # refused by the service: only bob is a member of project "study"
    if path.startswith("/api/v1/tasks/") or path == "/api/v1/export/{task_id}":
        return {404}  # the task does not exist (and another's would not be said to)
    if path == "/api/v1/subjects/{subject_id}/access-report" and caller == "dpo":
        return {200}
    if path.startswith(("/api/v1/models/{model}", "/api/v1/forget-receipts/")):
        return {404}  # no such model or receipt
    if path.startswith("/api/v1/jobs/{job}"):
        return {404}  # no such job (and another's would not be said to exist)
    if path == "/api/v1/datasets/{ref}/risk-report":
        return {404}  # patients@1 is an import: no risk report is stored with it
    return {200, 202}


@pytest.mark.parametrize(("method", "path", "caller"), CASES)
def test_route_answers_as_its_permission_says(served, method, path, caller):
    url = path.format(**VALUES)
    if path == "/api/v1/datasets/{name}/import":
        url += "?format=csv"
    kwargs = {"headers": served.as_(CALLERS[caller])}
    if (method, path) in BODIES:
        kwargs["json"] = BODIES[(method, path)]
    if (method, path) in RAW_BODY:
        kwargs["content"] = RAW_BODY[(method, path)]
    if path == "/logout":
        kwargs["headers"] = served.as_(CALLERS[caller])
    response = served.client.request(method, url, **kwargs)
    assert response.status_code in expected(method, path, caller), response.text
    if response.status_code >= 400:
        error = response.json()["error"]
        assert set(error) == {"code", "message", "where", "problems"}
        if response.status_code == 401:
            assert error["code"] == "unauthenticated"


def test_every_route_of_the_application_is_in_the_table(served):
    from bulle.server.app import _routes

    declared = set(_routes(served.client.app.fastapi))
    assert declared == set(PERMISSIONS)


def test_an_application_with_an_undeclared_route_refuses_to_start(served, monkeypatch):
    from bulle.server import permissions

    monkeypatch.delitem(permissions.PERMISSIONS, ("GET", "/api/v1/datasets"))
    with pytest.raises(RuntimeError, match="no permission for GET /api/v1/datasets"):
        from bulle.server.app import create_app

        create_app(served.root, authenticator=served.book)
