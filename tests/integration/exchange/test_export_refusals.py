"""An export is all or nothing, goes only to a new place, and only a custodian makes one."""

from __future__ import annotations

import pytest

from bulle.domain.actor import Actor, Role
from bulle.errors import AccessDenied, ConflictError, IntegrityError
from bulle.services.exchange import export_workspace, import_workspace
from bulle.services.vault import import_table
from bulle.workspace import Workspace

ALICE = Actor("alice", Role.CUSTODIAN)


@pytest.fixture
def small(tmp_path):
    csv = tmp_path / "t.csv"
    csv.write_text("id;ville\n1;Lyon\n2;Paris\n")
    root = tmp_path / "ws"
    with Workspace.init(root, ALICE) as ws:
        import_table(ws, csv, "t")
    return root


def _export_events(ws):
    return [e for e in ws.audit_log.read() if e.event["kind"] == "workspace.export"]


def test_non_empty_destination_refused_and_untouched(small, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with Workspace.open(small, ALICE) as ws, pytest.raises(ConflictError):
        export_workspace(ws, out)
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


def test_empty_destination_accepted(small, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    with Workspace.open(small, ALICE) as ws:
        export_workspace(ws, out)
    assert (out / "manifest.json").is_file()


def test_only_a_custodian_exports_or_imports(small, tmp_path):
    for role in (Role.ANALYST, Role.DPO, Role.SUBJECT):
        with Workspace.open(small, Actor("bob", role)) as ws, pytest.raises(AccessDenied):
            export_workspace(ws, tmp_path / "out")
        assert not (tmp_path / "out").exists()
    with Workspace.open(small, ALICE) as ws:
        export_workspace(ws, tmp_path / "out")
    with pytest.raises(AccessDenied):
        import_workspace(tmp_path / "out", tmp_path / "new", Actor("bob", Role.ANALYST))


def test_not_inside_the_workspace(small):
    with Workspace.open(small, ALICE) as ws, pytest.raises(ConflictError):
        export_workspace(ws, small / "artefacts" / "out")


def test_damaged_stored_file_refused_nothing_left_nothing_logged(small, tmp_path):
    with Workspace.open(small, ALICE) as ws:
        path = ws.path_of(ws.catalog.resolve("t"))
        data = bytearray(path.read_bytes())
        data[10] ^= 0xFF
        path.write_bytes(bytes(data))
        with pytest.raises(IntegrityError) as err:
            export_workspace(ws, tmp_path / "out")
        assert err.value.where.file == str(path)
        assert _export_events(ws) == []
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob("out.tmp-*"))


def test_broken_audit_log_refused(small, tmp_path):
    log = small / "audit" / "log.jsonl"
    lines = log.read_bytes().splitlines(keepends=True)
    lines[1] = lines[1].replace(b'"kind":"workspace.init"', b'"kind":"workspace.xxxx"')
    log.write_bytes(b"".join(lines))
    with Workspace.open(small, ALICE) as ws, pytest.raises(IntegrityError) as err:
        export_workspace(ws, tmp_path / "out")
    assert "event 1" in err.value.message
    assert not (tmp_path / "out").exists()


def test_two_exports_of_one_workspace_differ_only_where_documented(small, tmp_path):
    import json

    with Workspace.open(small, ALICE) as ws:
        export_workspace(ws, tmp_path / "a")
        export_workspace(ws, tmp_path / "b")
    a, b = (json.loads((tmp_path / d / "manifest.json").read_text()) for d in ("a", "b"))
    fa = {f["path"]: f["sha256"] for f in a["files"]}
    fb = {f["path"]: f["sha256"] for f in b["files"]}
    assert fa.keys() == fb.keys()
    assert {p for p in fa if fa[p] != fb[p]} == {
        "audit/log.jsonl"
    }  # b's log holds a's export event
    assert a["created_at"] != b["created_at"]
    assert b["audit"]["head"]["seq"] == a["audit"]["head"]["seq"] + 1
