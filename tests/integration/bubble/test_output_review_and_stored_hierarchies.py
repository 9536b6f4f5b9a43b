"""What a checker reads of an output (and who may), and the hierarchies the workspace stores."""

from __future__ import annotations

import datetime as dt

import pytest

from bulle.domain.actor import Actor, Role
from bulle.errors import AccessDenied, NotFoundError
from bulle.services import governance as gov
from bulle.services import jobs
from bulle.services.output_review import output_content
from bulle.services.vault import import_table
from bulle.workspace import Workspace

NOW = dt.datetime.now(dt.UTC)
JOB = """\
from bulle.job import read, crosstab
df = read("t")
crosstab(df["x"], df["y"], name="x_by_y")
"""


@pytest.fixture(scope="module")
def ran(tmp_path_factory, sandbox_host):
    d = tmp_path_factory.mktemp("review")
    (d / "t.csv").write_text(
        "id,x,y\n" + "".join(f"S{i},{'ab'[i % 2]},{'cd'[i // 2 % 2]}\n" for i in range(80))
    )
    (d / "job.py").write_text(JOB)
    root = d / "ws"
    ws = Workspace.init(root, Actor("alice", Role.CUSTODIAN))
    try:
        import_table(ws, d / "t.csv", "t")
        gov.declare_purpose(ws, "research", "Recherche", "public_task")
        gov.set_dataset_purpose(ws, "t", "research")
        gov.create_project(
            ws, "p", "research", {"t@1": ["id", "x", "y"]}, [("bob", "analyst")],
            NOW - dt.timedelta(days=1), NOW + dt.timedelta(days=1),
        )  # fmt: skip
        gov.approve_project(ws, "p", allow_raw=True)
    finally:
        ws.close()
    bob = Workspace.open(root, Actor("bob", Role.ANALYST))
    try:
        real = jobs.submit_job(bob, "p", d / "job.py")
        dummy = jobs.submit_job(bob, "p", d / "job.py", dummy=True)
    finally:
        bob.close()
    return root, real.id, dummy.id


def test_a_checker_reads_the_table_the_checks_judged(ran):
    root, real, _ = ran
    ws = Workspace.open(root, Actor("carol", Role.CHECKER))
    try:
        content = output_content(ws, real, "x_by_y")
    finally:
        ws.close()
    assert content.table is not None and content.table_rows == 2
    assert {row[0] for row in content.table[1:]} == {"a", "b"}
    assert content.table[1][1:] == ["20", "20"]


def test_the_analyst_reads_a_dummy_runs_output_never_a_real_ones_before_release(ran):
    root, real, dummy = ran
    ws = Workspace.open(root, Actor("bob", Role.ANALYST))
    try:
        assert output_content(ws, dummy, "x_by_y").table is not None
        with pytest.raises(AccessDenied, match="released"):
            output_content(ws, real, "x_by_y")
    finally:
        ws.close()


def test_a_release_keeps_its_hierarchies_and_only_they_are_read_as_such(ran):
    from bulle.domain.anonymization_requests import AnonymizeRequest, HierarchyRecipe
    from bulle.services.anonymization_file import anonymize_version
    from bulle.services.hierarchies import stored_hierarchies, stored_hierarchy_file
    from bulle.services.vault import set_roles

    root, _, _ = ran
    ws = Workspace.open(root, Actor("alice", Role.CUSTODIAN))
    try:
        assert stored_hierarchies(ws) == []  # no release yet
        set_roles(ws, "t", {"id": "subject_id"}, confirm_all=True)
        request = AnonymizeRequest.from_options(recipes={"x": HierarchyRecipe("flat")}, k=2)
        anonymize_version(ws, "t@1", request, keep=["y"], drop=["id"])
        (kept,) = stored_hierarchies(ws)
        assert kept.column == "x" and kept.version.startswith("t@")
        h, path = stored_hierarchy_file(ws, kept.id)
        assert h == kept and path.read_text().splitlines()[0].split(";")[-1] == "*"
        others = [a for a in ws.catalog.artefacts() if not a["kind"].startswith("hierarchy:")]
        assert others  # the release's risk report, kept beside it
        with pytest.raises(NotFoundError):  # never read as a hierarchy
            stored_hierarchy_file(ws, others[0]["id"])
    finally:
        ws.close()
    ws = Workspace.open(root, Actor("bob", Role.ANALYST))
    try:
        with pytest.raises(AccessDenied):
            stored_hierarchies(ws)
    finally:
        ws.close()
