"""An export never carries a pending erasure (Bulle refuses to export one): an export holding an
erasure journal is not Bulle's, and importing it is refused before anything could resume it."""

from __future__ import annotations

import json

import pytest

from bulle.domain.actor import Actor, Role
from bulle.errors import InputError
from bulle.services.exchange import import_workspace


def test_an_export_with_an_erasure_journal_is_refused(
    exported_with_keys, copy_of, tmp_path, helpers
):
    export = copy_of(exported_with_keys)
    row = {
        "receipt_id": "erasure-0",
        "subject_ref": "subj_x",
        "identifiers_json": "{}",
        "plan_json": '{"roots": ["patients@1"]}',
        "started_at": "2026-01-01T00:00:00+00:00",
        "by_json": '{"name": "mallory", "role": "custodian"}',
        "owner_pid": 1,
    }
    (export / "catalog" / "erasure_journal.jsonl").write_text(json.dumps(row) + "\n")
    manifest = json.loads((export / "manifest.json").read_text())
    for t in manifest["catalog"]["tables"]:
        if t["name"] == "erasure_journal":
            t["rows"] = 1
    (export / "manifest.json").write_text(json.dumps(manifest))
    helpers.resign(export, export / "keys")
    with pytest.raises(InputError, match="never carries a pending erasure") as err:
        import_workspace(export, tmp_path / "new", Actor("alice", Role.CUSTODIAN))
    assert [p.where.file for p in err.value.problems] == ["catalog/erasure_journal.jsonl"]
    assert not (tmp_path / "new").exists()
