"""Any field of an export's manifest, or any line of its catalog files, replaced by any JSON value
(and the manifest re-signed, as anyone can): the import ends in one of Bulle's errors or
succeeds, never in a crash, and a refused import leaves nothing behind."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bulle.domain.actor import Actor, Role
from bulle.errors import BulleError
from bulle.services.exchange import export_workspace, import_workspace
from bulle.services.vault import import_table
from bulle.workspace import Workspace

ALICE = Actor("alice", Role.CUSTODIAN)
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.sampled_from(
        [
            "",
            "../x",
            "/etc/passwd",
            "x" * 5000,
            "a\x00b",
            "\ud800",
            "data/t/v1.parquet",
            "CREATE TRIGGER t AFTER INSERT ON subject_events BEGIN SELECT 1; END",
        ]
    )
    | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=5,
)


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    base = tmp_path_factory.mktemp("hostile")
    (base / "t.csv").write_text("id;ville\n1;Lyon\n2;Paris\n")
    with Workspace.init(base / "ws", ALICE) as ws:
        import_table(ws, base / "t.csv", "t")
        export_workspace(ws, base / "out", include_keys=True)
    return base / "out"


def _paths(o, pre=()):
    if pre:
        yield pre
    if isinstance(o, dict):
        for k, v in o.items():
            yield from _paths(v, (*pre, k))
    elif isinstance(o, list):
        for i, v in enumerate(o):
            yield from _paths(v, (*pre, i))


def _resign(export: Path, raw: bytes) -> None:
    from bulle.audit.keys import load_workspace_key
    from bulle.exchange import manifest as mf

    (export / mf.MANIFEST).write_bytes(raw)
    (export / mf.SIGNATURE).write_text(
        load_workspace_key(export / "keys").sign(mf.signed_message(raw)).hex()
    )


def _import_never_crashes(export: Path, work: Path) -> None:
    try:
        import_workspace(export, work / "new", ALICE)
    except BulleError:
        assert not (work / "new").exists() and not list(work.glob("new.tmp-*"))


@given(data=st.data())
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_any_manifest_field_replaced(export, data):
    manifest = json.loads((export / "manifest.json").read_text())
    paths = list(_paths(manifest))
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(paths))
        parent = manifest
        try:
            for k in path[:-1]:
                parent = parent[k]
            parent[path[-1]] = data.draw(JSON)
        except (KeyError, IndexError, TypeError):  # an earlier replacement changed the shape
            pass
    with tempfile.TemporaryDirectory() as d:
        work = Path(d)
        shutil.copytree(export, work / "e")
        _resign(work / "e", json.dumps(manifest).encode("utf-8", "surrogatepass"))
        _import_never_crashes(work / "e", work)


@given(data=st.data())
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_any_catalog_line_replaced(export, data):
    import hashlib

    manifest = json.loads((export / "manifest.json").read_text())
    tables = [f for f in manifest["files"] if f["kind"] == "catalog-table"]
    target = data.draw(st.sampled_from(tables))
    with tempfile.TemporaryDirectory() as d:
        work = Path(d)
        shutil.copytree(export, work / "e")
        path = work / "e" / target["path"]
        lines = path.read_bytes().splitlines(keepends=True) or [b""]
        i = data.draw(st.integers(0, len(lines) - 1))
        value = data.draw(JSON)
        if isinstance(value, dict) and lines[i].strip() and data.draw(st.booleans()):
            row = json.loads(lines[i])  # keep the columns, change one value
            row[data.draw(st.sampled_from(sorted(row)))] = data.draw(JSON)
            value = row
        lines[i] = json.dumps(value).encode("utf-8", "surrogatepass") + b"\n"
        path.write_bytes(b"".join(lines))
        blob = path.read_bytes()
        target_entry = next(f for f in manifest["files"] if f["path"] == target["path"])
        target_entry["sha256"], target_entry["size"] = hashlib.sha256(blob).hexdigest(), len(blob)
        _resign(work / "e", json.dumps(manifest).encode())
        _import_never_crashes(work / "e", work)
