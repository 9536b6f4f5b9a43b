"""Export then import-workspace gives the same workspace; exporting it again gives the same files."""

from __future__ import annotations

import json
import tomllib

from bulle.audit.keys import workspace_key_ring
from bulle.domain.actor import Actor, Role
from bulle.services.exchange import export_workspace, import_workspace
from bulle.workspace import Workspace

ALICE = Actor("alice", Role.CUSTODIAN)


def _log_lines(path):
    return path.read_bytes().splitlines(keepends=True)


def test_same_versions_hashes_roles_profiles_artefacts_and_rows(
    source, exported, tmp_path, helpers
):
    result = import_workspace(exported, tmp_path / "new", ALICE)
    new = tmp_path / "new"
    assert result.workspace == str(new)
    with Workspace.open(source, ALICE) as a, Workspace.open(new, ALICE) as b:
        assert b.id == a.id
        assert b.config == a.config  # same id, creation time, format and engine
        va, vb = a.catalog.versions(), b.catalog.versions()
        assert [v.to_dict() for v in vb] == [v.to_dict() for v in va]
        assert [v.ref for v in vb] == ["adult@1", "patients@1", "patients@2"]
        for v in va:
            assert b.catalog.roles(v.dataset, v.number) == a.catalog.roles(v.dataset, v.number)
            assert b.catalog.profile(v.dataset, v.number) == a.catalog.profile(v.dataset, v.number)
            assert b.path_of(v).read_bytes() == a.path_of(v).read_bytes()
        assert any(r.confirmed for r in b.catalog.roles("adult", 1))
        assert b.catalog.artefacts() == a.catalog.artefacts()
        assert [x["kind"] for x in b.catalog.artefacts()] == ["reid_table"]
    assert helpers.catalog_rows(new) == helpers.catalog_rows(source)
    assert helpers.file_hashes(new, "data", "artefacts") == helpers.file_hashes(
        source, "data", "artefacts"
    )
    assert result.versions == 3 and result.artefacts == 1
    assert not list(tmp_path.glob("new.tmp-*"))


def test_audit_log_carried_over_with_exactly_one_import_event(source, exported, tmp_path):
    result = import_workspace(exported, tmp_path / "new", ALICE)
    exported_log = _log_lines(exported / "audit" / "log.jsonl")
    new_log = _log_lines(tmp_path / "new" / "audit" / "log.jsonl")
    assert new_log[:-1] == exported_log  # byte for byte, then one more line
    last = json.loads(new_log[-1])
    assert last["seq"] == len(exported_log) and last["event"]["kind"] == "workspace.import"
    details = last["event"]["details"]
    assert details["manifest_sha256"] == result.manifest_sha256
    assert details["source_workspace_id"] == result.id and details["keys_restored"] is False
    with Workspace.open(tmp_path / "new", ALICE) as ws:
        report = ws.audit_log.verify(workspace_key_ring(ws.keys_dir))
        assert report.ok and report.head_checked and report.entries == len(exported_log)
        assert [k["key"] for k in report.keys] == [
            exported_key_id(exported),
            result.keys["audit_key"],
        ]
    # the source's own log names the same manifest in its export event: the two logs are linked
    with Workspace.open(source, ALICE) as ws:
        exports = [e for e in ws.audit_log.read() if e.event["kind"] == "workspace.export"]
    assert result.manifest_sha256 in {e.event["details"]["manifest_sha256"] for e in exports}


def exported_key_id(export):
    return json.loads((export / "manifest.json").read_text())["audit"]["signing_key"]


def test_export_event_recorded_after_the_snapshot(source, tmp_path):
    with Workspace.open(source, ALICE) as ws:
        before = ws.audit_log.head()[0]
        out = export_workspace(ws, tmp_path / "e")
        entries = list(ws.audit_log.read(before + 1))
    manifest = json.loads((tmp_path / "e" / "manifest.json").read_text())
    assert (
        manifest["audit"]["head"]["seq"] == before
    )  # the exported log ends before its export event
    assert [e.event["kind"] for e in entries] == ["workspace.export"]
    assert entries[0].event["details"]["manifest_sha256"] == out.manifest_sha256
    assert entries[0].event["details"]["include_keys"] is False


def test_exporting_the_imported_workspace_gives_the_same_files(exported, tmp_path, helpers):
    import_workspace(exported, tmp_path / "new", ALICE)
    with Workspace.open(tmp_path / "new", ALICE) as ws:
        export_workspace(ws, tmp_path / "again")
    again = tmp_path / "again"
    # Parquet, artefacts and every catalog table: byte-identical at the same paths
    same = ("data", "artefacts", "catalog")
    assert helpers.file_hashes(again, *same) == helpers.file_hashes(exported, *same)
    assert (
        helpers.file_hashes(again, "public-keys")["public-keys/custodian.pub"]
        != helpers.file_hashes(exported, "public-keys")["public-keys/custodian.pub"]
    )  # new keys
    # the log: the first export's log plus the import event
    first, second = _log_lines(exported / "audit/log.jsonl"), _log_lines(again / "audit/log.jsonl")
    assert second[:-1] == first and json.loads(second[-1])["event"]["kind"] == "workspace.import"
    m1, m2 = (json.loads((d / "manifest.json").read_text()) for d in (exported, again))
    assert m2["catalog"] == m1["catalog"]
    assert m2["workspace"] == m1["workspace"]
    assert m2["data"] == m1["data"]
    assert m2["audit"]["head"]["seq"] == m1["audit"]["head"]["seq"] + 1
    assert {k["key_id"] for k in m1["audit"]["public_keys"]} < {
        k["key_id"] for k in m2["audit"]["public_keys"]
    }


def test_manifest_lists_every_file_with_hash_and_size(exported):
    manifest = json.loads((exported / "manifest.json").read_text())
    assert manifest["format"] == "bulle.workspace-export" and manifest["format_version"] == 2
    assert manifest["contains_secret_keys"] is False and "warning" not in manifest
    listed = {f["path"] for f in manifest["files"]}
    on_disk = {p.relative_to(exported).as_posix() for p in exported.rglob("*") if p.is_file()}
    assert on_disk == listed | {"manifest.json", "manifest.sig"}
    kinds = {f["kind"] for f in manifest["files"]}
    assert kinds == {
        "dataset-version",
        "artefact",
        "catalog-table",
        "audit-log",
        "audit-public-key",
        "custodian-public-key",
    }
    tables = {t["name"]: t for t in manifest["catalog"]["tables"]}
    assert {"meta", "datasets", "versions", "column_roles", "profiles", "artefacts"} <= set(tables)
    assert [c["name"] for c in tables["versions"]["columns"]][:3] == ["dataset", "number", "kind"]
    first = json.loads((exported / "catalog" / "versions.jsonl").read_text().splitlines()[0])
    assert list(first) == [c["name"] for c in tables["versions"]["columns"]]  # column order kept
    assert isinstance(first["number"], int) and isinstance(first["row_count"], int)
    assert (
        exported / "catalog" / "meta.jsonl"
    ).read_text() == ""  # the chain head is in the manifest
    assert manifest["workspace"]["id"] == manifest["audit"]["workspace_id"]


def test_export_files_are_private(exported):
    assert (exported.stat().st_mode & 0o777) == 0o700
    for p in exported.rglob("*"):
        if p.is_dir() or "public-keys" not in p.parts:
            assert p.stat().st_mode & 0o077 == 0, p


def test_config_file_keeps_the_id(exported, tmp_path):
    import_workspace(exported, tmp_path / "new", ALICE)
    cfg = tomllib.loads((tmp_path / "new" / "bulle.toml").read_text())
    manifest = json.loads((exported / "manifest.json").read_text())
    assert cfg["workspace"]["id"] == manifest["workspace"]["id"]
    assert cfg["workspace"]["created_at"] == manifest["workspace"]["created_at"]
