"""A modified export is refused, naming the file, and nothing is left at the destination."""

from __future__ import annotations

import json

import pytest

from bulle.catalog.migrations import MIGRATIONS
from bulle.domain.actor import Actor, Role
from bulle.errors import ConflictError, IntegrityError, NotFoundError
from bulle.services.exchange import import_workspace, verify_export

ALICE = Actor("alice", Role.CUSTODIAN)


def _refused(export, tmp_path, exc=IntegrityError):
    with pytest.raises(exc) as err:
        import_workspace(export, tmp_path / "new", ALICE)
    assert not (tmp_path / "new").exists()
    assert not list(tmp_path.glob("new.tmp-*"))
    return err.value


def _a_version(export):
    return next(
        f["path"]
        for f in json.loads((export / "manifest.json").read_text())["files"]
        if f["kind"] == "dataset-version"
    )


def test_one_parquet_byte_changed(exported, copy_of, tmp_path):
    export = copy_of(exported)
    rel = _a_version(export)
    data = bytearray((export / rel).read_bytes())
    data[len(data) // 2] ^= 0x01
    (export / rel).write_bytes(bytes(data))
    err = _refused(export, tmp_path)
    assert err.where.file == rel and "does not match the manifest" in err.message


def test_file_removed(exported, copy_of, tmp_path):
    export = copy_of(exported)
    rel = next(
        f["path"]
        for f in json.loads((export / "manifest.json").read_text())["files"]
        if f["kind"] == "artefact"
    )
    (export / rel).unlink()
    err = _refused(export, tmp_path)
    assert err.where.file == rel and "missing" in err.message


def test_catalog_row_edited(exported, copy_of, tmp_path):
    export = copy_of(exported)
    path = export / "catalog" / "versions.jsonl"
    path.write_text(path.read_text().replace('"row_count":1000', '"row_count":999', 1))
    err = _refused(export, tmp_path)
    assert err.where.file == "catalog/versions.jsonl"


def test_audit_log_truncated(exported, copy_of, tmp_path):
    export = copy_of(exported)
    log = export / "audit" / "log.jsonl"
    lines = log.read_bytes().splitlines(keepends=True)
    log.write_bytes(b"".join(lines[:-1]))
    err = _refused(export, tmp_path)
    assert err.where.file == "audit/log.jsonl"


def test_file_added(exported, copy_of, tmp_path):
    export = copy_of(exported)
    (export / "data" / "adult" / "v9-planted.parquet").write_bytes(b"PAR1")
    err = _refused(export, tmp_path)
    assert err.where.file == "data/adult/v9-planted.parquet" and "not listed" in err.message


def test_manifest_edited_to_match_breaks_its_signature(exported, copy_of, tmp_path):
    import hashlib

    export = copy_of(exported)
    path = export / "catalog" / "versions.jsonl"
    path.write_text(path.read_text().replace('"row_count":1000', '"row_count":999', 1))
    manifest = json.loads((export / "manifest.json").read_text())
    for f in manifest["files"]:
        if f["path"] == "catalog/versions.jsonl":
            data = path.read_bytes()
            f["sha256"], f["size"] = hashlib.sha256(data).hexdigest(), len(data)
    (export / "manifest.json").write_text(json.dumps(manifest, indent=2))
    err = _refused(export, tmp_path)
    assert err.where.file == "manifest.json" and "signature" in err.message


def test_signature_removed(exported, copy_of, tmp_path):
    export = copy_of(exported)
    (export / "manifest.sig").unlink()
    err = _refused(export, tmp_path)
    assert err.where.file == "manifest.sig"


def test_cut_log_with_a_resigned_manifest_still_refused_by_the_head(
    exported_with_keys, copy_of, tmp_path, helpers
):
    """Even someone holding the audit key cannot cut the log unseen: the head recorded at export
    time is inside the signed manifest, and the chain is checked against it."""
    export = copy_of(exported_with_keys)
    log = export / "audit" / "log.jsonl"
    lines = log.read_bytes().splitlines(keepends=True)
    log.write_bytes(b"".join(lines[:-1]))
    helpers.resign(export, export / "keys")
    verify_export(export)  # every hash and the signature now agree...
    err = _refused(export, tmp_path)  # ...but the chain ends before its recorded head
    assert err.where.file == "audit/log.jsonl" and "cut off" in err.message


def test_catalog_hash_and_file_must_agree(exported_with_keys, copy_of, tmp_path, helpers):
    """A catalog row naming another content hash than its file's is refused, signature or not."""
    export = copy_of(exported_with_keys)
    path = export / "catalog" / "versions.jsonl"
    text = path.read_text()
    first = json.loads(text.splitlines()[0])
    path.write_text(text.replace(first["content_hash"], "sha256:" + "0" * 64, 1))
    helpers.resign(export, export / "keys")
    err = _refused(export, tmp_path)
    assert err.where.file == first["path"] and "content hash" in err.message


def test_newer_catalog_schema_refused(exported_with_keys, copy_of, tmp_path, helpers):
    from bulle.errors import ValidationError

    export = copy_of(exported_with_keys)
    manifest = json.loads((export / "manifest.json").read_text())
    manifest["catalog"]["schema_version"] = 999
    (export / "manifest.json").write_text(json.dumps(manifest))
    helpers.resign(export, export / "keys")
    err = _refused(export, tmp_path, ValidationError)
    assert any("upgrade Bulle" in p.message for p in err.problems)


def test_not_an_export_and_busy_destination(exported, tmp_path):
    with pytest.raises(NotFoundError):
        import_workspace(tmp_path, tmp_path / "new", ALICE)
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "x").write_text("mine")
    with pytest.raises(ConflictError):
        import_workspace(exported, busy, ALICE)
    assert (busy / "x").read_text() == "mine"


def test_a_whole_catalog_table_left_out_is_refused(exported_with_keys, copy_of, tmp_path, helpers):
    """Dropping a table from the manifest and the folder (and re-signing) does not pass either."""
    from bulle.errors import ValidationError

    export = copy_of(exported_with_keys)
    manifest = json.loads((export / "manifest.json").read_text())
    manifest["catalog"]["tables"] = [
        t for t in manifest["catalog"]["tables"] if t["name"] != "column_roles"
    ]
    manifest["files"] = [f for f in manifest["files"] if f["path"] != "catalog/column_roles.jsonl"]
    (export / "catalog" / "column_roles.jsonl").unlink()
    (export / "manifest.json").write_text(json.dumps(manifest))
    helpers.resign(export, export / "keys")
    err = _refused(export, tmp_path, ValidationError)
    assert [p.message for p in err.problems] == [
        f"the export lacks the catalog table 'column_roles' of its schema version {len(MIGRATIONS)}"
    ]


def test_every_file_problem_named_at_once_and_links_not_followed(exported, copy_of, tmp_path):
    export = copy_of(exported)
    manifest = json.loads((export / "manifest.json").read_text())
    versions = [f["path"] for f in manifest["files"] if f["kind"] == "dataset-version"]
    (export / versions[0]).write_bytes(b"changed")
    (export / versions[1]).unlink()
    (export / "extra.txt").write_text("added")
    err = _refused(export, tmp_path)
    assert sorted(p.where.file for p in err.problems) == sorted(
        [versions[0], versions[1], "extra.txt"]
    )
    assert "2 more problem(s)" in err.message

    import shutil

    linked = tmp_path / "linked"
    shutil.copytree(exported, linked)
    (linked / "catalog").rename(tmp_path / "outside")
    (linked / "catalog").symlink_to(
        tmp_path / "outside"
    )  # the catalog files now read from elsewhere
    err = _refused(linked, tmp_path)
    assert err.where.file == "catalog" and "symbolic link" in err.message
