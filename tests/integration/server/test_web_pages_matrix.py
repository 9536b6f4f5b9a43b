"""The web UI's pages in the authorization matrix: every page × every caller, from the one
permission table. Anonymous callers get 401 (a browser is sent to the sign-in page instead), a
caller without one of the page's roles 403 before any service runs, and a caller with one is let
through to the service: it may still be refused there (a non-member of the project, 403), or find
nothing (404), but never by the permission gate, and never with a server error.
"""

from __future__ import annotations

import re

import pytest

from bulle.server.permissions import PERMISSIONS
from bulle.web import page_routes

CALLERS = ("anonymous", "custodian", "analyst", "dpo", "other_analyst", "checker")
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
    "task_id": "0" * 32,
    "token_id": "t" * 16,
    "job": "j-0000000000000000",
}
QUERIES = {"/projects/{project}/rows": "?ref=patients@1", "/subjects/report": "?subject=P001"}
FORMS = {
    "/lang": {"lang": "en"},
    "/datasets/{name}/purpose": {"purpose": "care"},
    "/versions/{ref}/roles": {"role:age": "quasi_identifier"},
    "/versions/{ref}/anonymize": {"treat:age": "generalize", "kind:age": "flat", "model:k": "2"},
    "/purposes": {"name": "audit-test", "description": "Essai", "legal_basis": "public_task"},
    "/projects": {
        "name": "draft",
        "purpose": "care",
        "datasets": "patients@1: age",
        "members": "bob:analyst",
        "valid_from": "2020-01-01",
        "valid_until": "2099-01-01",
    },
    "/projects/{project}/approve": {"row_access": "view"},
    "/projects/{project}/sql": {"sql": "SELECT count(*) AS n FROM patients"},
    "/projects/{project}/jobs": {"data": "dummy", "language": "sql", "code": "SELECT 1 AS one"},
    "/jobs/{job}/outputs/{name}/exception": {"reason": "a justification long enough"},
    "/jobs/{job}/outputs/{name}/mitigate": {"method": "suppress"},
    "/jobs/{job}/outputs/{name}/review": {"decision": "approve", "comment": "fine"},
    "/subjects/erase": {"subject": "P001"},
    "/register/details": {"kind": "purpose", "name": "care", "retention": "5 ans", "next": "/"},
}
FILES = {
    "/upload/import": ({"dataset": "uploaded", "format": "csv"}, b"a,b\n1,2\n"),
    "/consents/import": ({}, b"subject_id,purpose,status\nP001,care,objected\n"),
}
MEMBERS_ONLY = {
    "/projects/{project}",
    "/projects/{project}/rows",
    "/projects/{project}/sql",
    "/projects/{project}/jobs",
}
PAGES = sorted(page_routes())
CASES = [(m, p, c) for m, p in PAGES if not PERMISSIONS[(m, p)].public for c in CALLERS]


def test_every_page_is_in_the_permission_table():
    assert set(PAGES) <= set(PERMISSIONS)


def call(served, method: str, path: str, caller: str):
    url = path.format(**VALUES) + QUERIES.get(path, "")
    kwargs = {"headers": served.as_(None if caller == "anonymous" else caller)}
    if path in FORMS:
        kwargs["data"] = FORMS[path]
    if path in FILES:
        fields, content = FILES[path]
        kwargs["data"] = fields
        kwargs["files"] = {"file": ("x.csv", content, "text/csv")}
    return served.client.request(method, url, follow_redirects=False, **kwargs)


@pytest.mark.parametrize(("method", "path", "caller"), CASES)
def test_page_answers_as_its_permission_says(served, method, path, caller):
    response = call(served, method, path, caller)
    perm = PERMISSIONS[(method, path)]
    if caller == "anonymous":
        assert response.status_code == 401, response.text
        assert response.json()["error"]["code"] == "unauthenticated"
    elif ROLE_OF[caller] not in {r.value for r in perm.roles}:
        assert response.status_code == 403, response.text
        assert "needs one of the roles" in response.json()["error"]["message"]
    elif caller in ("other_analyst",) and path in MEMBERS_ONLY:
        assert response.status_code == 403, response.text  # refused: not a member of "study"
    else:
        assert response.status_code < 500, response.text
        if response.status_code == 403:  # only a service's refusal, never the gate's
            assert "needs one of the roles" not in response.text


def test_a_browser_is_sent_to_sign_in_and_comes_back(served):
    r = served.client.get("/audit?who=bob", headers={"accept": "text/html"}, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=/audit%3Fwho%3Dbob"


def test_a_browser_refusal_is_a_page_that_says_why(served):
    r = served.client.get("/datasets", headers={"accept": "text/html", **served.as_("analyst")})
    assert r.status_code == 403
    assert r.headers["content-type"].startswith("text/html")
    assert re.search(r"needs one of the roles custodian", r.text)
    assert 'role="alert"' in r.text


def _session(served, user: str, password: str) -> str:
    r = served.client.post(
        "/login",
        data={"username": user, "password": password},
        headers={"accept": "text/html"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = served.client.get("/purposes", headers={"accept": "text/html"})
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def test_a_form_change_needs_the_session_csrf_token_in_its_first_field(served):
    csrf = _session(served, "alice", "alice-password")
    form = {"name": "csrf-probe", "description": "Essai", "legal_basis": "public_task"}
    try:
        for fields in (form, {**form, "csrf_token": "forged"}):
            r = served.client.post("/purposes", data=fields, follow_redirects=False)
            assert r.status_code == 403 and r.json()["error"]["code"] == "csrf"
        assert "csrf-probe" not in served.client.get("/purposes").text
        r = served.client.post(
            "/purposes", data={"csrf_token": csrf, **form}, follow_redirects=False
        )
        assert r.status_code == 303
        assert "csrf-probe" in served.client.get("/purposes").text
        # an upload carries the token as its first part; a file part first is refused
        csv = b"subject_id,purpose,status,at\nP002,care,objected,2026-01-01T00:00:00+00:00\n"
        files = {"file": ("c.csv", csv, "text/csv")}
        r = served.client.post("/consents/import", files=files, follow_redirects=False)
        assert r.status_code == 403
        r = served.client.post(
            "/consents/import", data={"csrf_token": csrf}, files=files, follow_redirects=False
        )
        assert r.status_code == 303, r.text
    finally:
        served.client.cookies.clear()


def test_a_bad_upload_is_named_as_its_sender_knows_it(served):
    csrf = _session(served, "alice", "alice-password")
    try:
        files = {"file": ("mes-choix.csv", b"subject_id,purpose\nP003,care\n", "text/csv")}
        r = served.client.post(
            "/consents/import", data={"csrf_token": csrf}, files=files, follow_redirects=False
        )
        assert r.status_code == 400
        error = r.json()["error"]
        assert error["where"]["file"] == "mes-choix.csv"
        assert ".tmp" not in r.text and str(served.root) not in r.text
        leftovers = [  # other tests' uploads may still be in their tasks: this one's only
            p
            for p in (served.root / "data" / ".tmp").glob("*/upload*")
            if p.is_file() and b"P003,care" in p.read_bytes()
        ]
        assert leftovers == []  # nothing of the upload is left behind
    finally:
        served.client.cookies.clear()
