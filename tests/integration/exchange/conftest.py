"""A workspace worth moving: adult (ARX), the French patients table pseudonymized with a
re-identification table, confirmed roles; exported once per module, with and without keys."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from bulle.domain.actor import Actor, Role
from bulle.services.exchange import export_workspace
from bulle.services.pseudonymization import pseudonymize
from bulle.services.vault import import_table, set_roles
from bulle.workspace import Workspace

PATIENTS = Path(__file__).resolve().parents[3] / "src" / "bulle" / "data" / "patients_fr.csv"
ALICE = Actor("alice", Role.CUSTODIAN)


@pytest.fixture(scope="module")
def source(tmp_path_factory, arx_data) -> Path:
    root = tmp_path_factory.mktemp("src") / "ws"
    with Workspace.init(root, ALICE) as ws:
        import_table(ws, arx_data / "adult.csv", "adult")
        set_roles(ws, "adult@1", {"salary-class": "special_category"}, confirm_all=True)
        import_table(ws, PATIENTS, "patients")
        set_roles(ws, "patients@1", confirm_all=True)
        pseudonymize(ws, "patients@1", reid_table=True)
    return root


@pytest.fixture(scope="module")
def exported(source, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("exp") / "export"
    with Workspace.open(source, ALICE) as ws:
        export_workspace(ws, out)
    return out


@pytest.fixture(scope="module")
def exported_with_keys(source, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("expk") / "export"
    with Workspace.open(source, ALICE) as ws:
        export_workspace(ws, out, include_keys=True)
    return out


@pytest.fixture
def copy_of(tmp_path):
    """A private copy of an export, to tamper with."""

    def make(export: Path) -> Path:
        dest = tmp_path / f"copy-{export.parent.name}"
        shutil.copytree(export, dest)
        return dest

    return make


def catalog_rows(root: Path) -> dict[str, list[tuple]]:
    """Every row of every catalog table with each value's SQLite type, the chain head left out."""
    con = sqlite3.connect(root / "catalog.sqlite")
    try:
        out = {}
        for (name,) in con.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        ):
            cols = [r[1] for r in con.execute(f'PRAGMA table_info("{name}")')]
            typed = ", ".join(f'"{c}", typeof("{c}")' for c in cols)
            try:
                rows = con.execute(f'SELECT {typed} FROM "{name}" ORDER BY rowid').fetchall()
            except sqlite3.OperationalError:  # WITHOUT ROWID: primary-key order
                rows = con.execute(f'SELECT {typed} FROM "{name}"').fetchall()
            if name == "meta":
                rows = [r for r in rows if r[0] != "audit_head"]
            out[name] = rows
        return out
    finally:
        con.close()


def file_hashes(root: Path, *tops: str) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for top in tops
        for p in sorted((root / top).rglob("*"))
        if p.is_file() and ".tmp" not in p.relative_to(root).parts
    }


def resign(export: Path, keys_dir: Path) -> None:
    """Recompute every hash in the manifest and sign it again with the audit key in ``keys_dir``:
    what an attacker holding the key could do, to reach the checks behind the manifest's."""
    from bulle.audit.keys import load_workspace_key
    from bulle.exchange import manifest as mf

    manifest = json.loads((export / mf.MANIFEST).read_text())
    for f in manifest["files"]:
        data = (export / f["path"]).read_bytes()
        f["sha256"], f["size"] = hashlib.sha256(data).hexdigest(), len(data)
    raw = mf.encode_manifest(manifest)
    (export / mf.MANIFEST).write_bytes(raw)
    (export / mf.SIGNATURE).write_text(
        load_workspace_key(keys_dir).sign(mf.signed_message(raw)).hex() + "\n"
    )


@pytest.fixture
def helpers():
    class H:
        pass

    h = H()
    h.catalog_rows = catalog_rows
    h.file_hashes = file_hashes
    h.resign = resign
    return h
