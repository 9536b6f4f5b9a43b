"""The job pages over HTTP, as a browser's forms send them: a job from an uploaded file or typed
code, bad input named where it is, and the pages' offers following the access rules."""

from __future__ import annotations

import re

import pytest

HTML = {"accept": "text/html"}


@pytest.fixture(scope="module")
def job(served, sandbox_host):
    """A job bob submitted as a .sql file, on dummy data."""
    r = served.client.post(
        "/projects/study/jobs",
        headers=served.as_("analyst"),
        data={"data": "dummy"},
        files={"file": ("compte.sql", b"SELECT count(*) AS n FROM patients\n", "text/plain")},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    found = re.fullmatch(r"/jobs/(j-[0-9a-f]{16})", r.headers["location"])
    assert found
    return found.group(1)


def test_an_uploaded_file_is_the_jobs_entry_point(served, job):
    page = served.client.get(f"/jobs/{job}", headers={**served.as_("analyst"), **HTML})
    assert page.status_code == 200
    assert "main.sql" in page.text and "SELECT count(*) AS n FROM patients" in page.text
    assert 'data-events="/api/v1/jobs/' in page.text  # followed live


def test_a_file_that_is_not_code_is_refused_with_its_name(served):
    r = served.client.post(
        "/projects/study/jobs",
        headers=served.as_("analyst"),
        data={"data": "dummy"},
        files={"file": ("notes.txt", b"hello", "text/plain")},
        follow_redirects=False,
    )
    assert r.status_code == 400 and r.json()["error"]["where"]["file"] == "notes.txt"
    empty = served.client.post(
        "/projects/study/jobs",
        headers=served.as_("analyst"),
        data={"data": "real", "code": "  "},
        follow_redirects=False,
    )
    assert empty.status_code == 400 and empty.json()["error"]["where"]["field"] == "code"


def test_another_analyst_and_the_dpo_do_not_see_the_job(served, job):
    other = served.client.get(f"/jobs/{job}", headers=served.as_("other_analyst"))
    assert other.status_code == 403  # the service's refusal: not carol's job
    assert "needs one of the roles" not in other.text
    dpo = served.client.get(f"/jobs/{job}", headers=served.as_("dpo"))
    assert dpo.status_code == 403 and "needs one of the roles" in dpo.text
