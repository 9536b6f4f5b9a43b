"""Rebuilding a workspace from a verified export, into a fresh folder the caller will rename.

The rebuilt workspace keeps the exported workspace's id: it is the same workspace moved, its
audit log's genesis is bound to that id, and re-identification tables are authenticated with it.

The catalog is rebuilt by creating it at the export's schema version (the same migrations), then
loading every exported table as is (triggers set aside while the rows go in, so nothing is
derived twice, foreign keys checked once at the end), then migrating to this Bulle's version. A
table the migrations do not know (one added by a newer component) is created from the SQL the
export recorded, with its indexes and triggers.

Keys: restored from the export when it holds them; otherwise the new workspace gets new ones,
and the old audit public keys become trusted keys so the carried-over log still verifies.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from bulle.errors import InputError, IntegrityError, Where
from bulle.exchange import manifest as mf
from bulle.exchange.tables import live_columns, load_rows, quote, table_list
from bulle.fsutil import fsync_dir


def build_workspace(export_dir: Path, root: Path, manifest: dict[str, Any]) -> dict[str, Any]:
    """Create ``root`` (which must not exist) from a verified export; returns what it did."""
    from bulle.catalog.migrations import MIGRATIONS
    from bulle.catalog.store import SCHEMA_VERSION, Catalog
    from bulle.fsutil import atomic_write_text
    from bulle.workspace import CONFIG, FORMAT_VERSION, _dump_config

    config = _config(manifest, FORMAT_VERSION)
    schema_version = manifest["catalog"].get("schema_version")
    if not isinstance(schema_version, int) or not 0 <= schema_version <= SCHEMA_VERSION:
        raise InputError(f"the export's catalog schema version {schema_version!r} is newer than this "
                         f"Bulle ({SCHEMA_VERSION}): upgrade Bulle to import it",
                         Where(file=mf.MANIFEST, field="catalog.schema_version"))
    root.mkdir()
    for sub in ("data", "data/.tmp", "audit", "artefacts"):
        (root / sub).mkdir()
    keys = _keys(export_dir, root / "keys", manifest)

    catalog = Catalog(root / "catalog.sqlite")
    try:
        for number in range(schema_version):  # exactly the schema the rows were exported from
            catalog.con.executescript(
                f"BEGIN IMMEDIATE;\n{MIGRATIONS[number]}\nPRAGMA user_version={number + 1};\nCOMMIT;")
        tables = _load_catalog(catalog.con, export_dir, manifest)
        catalog.migrate()
        files = _place_files(export_dir, root, manifest, catalog.con)
        audit = _adopt_log(export_dir, root, manifest, catalog)
    finally:
        catalog.close()
    atomic_write_text(root / CONFIG, _dump_config(config))
    return {"tables": tables, **files, "audit": audit, "keys": keys,
            "schema_version": {"exported": schema_version, "now": SCHEMA_VERSION}}


def _config(manifest: dict[str, Any], supported: int) -> dict[str, Any]:
    ws = manifest["workspace"]
    problems = [k for k in ("id", "created_at", "engine") if not isinstance(ws.get(k), str) or not ws.get(k)]
    fmt = ws.get("format_version")
    if problems or not isinstance(fmt, int):
        raise InputError(f"the manifest's workspace section lacks {', '.join(problems) or 'format_version'}",
                         Where(file=mf.MANIFEST, field="workspace"))
    if fmt > supported:
        raise InputError(f"the exported workspace has format {fmt}, newer than this Bulle supports ({supported})",
                         Where(file=mf.MANIFEST, field="workspace.format_version"))
    if any(c in ws["id"] for c in '"\\\n') or any(c in ws["created_at"] for c in '"\\\n'):
        raise InputError("the workspace id or creation time holds characters a configuration cannot",
                         Where(file=mf.MANIFEST, field="workspace"))
    return {"workspace": {"format_version": fmt, "id": ws["id"], "created_at": ws["created_at"],
                          "engine": ws["engine"]}}


# -- keys -------------------------------------------------------------------------------------------

def _keys(export_dir: Path, keys_dir: Path, manifest: dict[str, Any]) -> dict[str, Any]:
    from bulle.audit.keys import (
        ensure_workspace_key,
        key_id,
        load_public_key,
        load_workspace_key,
        trust_public_key,
        workspace_key_ring,
    )
    from bulle.vault.keys import KeyStore

    exported = [load_public_key(export_dir / rel) for _, rel in mf.public_key_files(manifest)]
    secret = [f for f in manifest["files"] if f["kind"] == mf.KIND_SECRET]
    if secret:
        keys_dir.mkdir(mode=0o700)
        for f in secret:
            if not f["path"].startswith("keys/"):
                raise InputError("a secret key must lie under keys/", Where(file=f["path"]))
            rel = Path(f["path"]).relative_to("keys")
            target = keys_dir / rel
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            digest, _ = mf.copy_hashed(export_dir / f["path"], target, 0o600)
            if digest != f["sha256"]:
                raise IntegrityError("the key file changed while it was imported", Where(file=f["path"]))
        signing = key_id(load_workspace_key(keys_dir))
        if signing != manifest["audit"]["signing_key"]:
            raise IntegrityError(f"the exported audit signing key is key {signing}, not key "
                                 f"{manifest['audit']['signing_key']} named by the manifest",
                                 Where(file="keys/audit-ed25519.key"))
        ring = workspace_key_ring(keys_dir)
        for pub in exported:
            if key_id(pub) not in ring:
                trust_public_key(keys_dir, pub)
        store = KeyStore(keys_dir)
        return {"restored": True, "audit_key": signing, "pseudonym_key_id": store.current_pseudonym_key_id(),
                "custodian_key": (keys_dir / "custodian.key").is_file()}
    KeyStore(keys_dir).create()
    new = ensure_workspace_key(keys_dir)
    for pub in exported:
        trust_public_key(keys_dir, pub)
    return {"restored": False, "audit_key": key_id(new),
            "pseudonym_key_id": KeyStore(keys_dir).current_pseudonym_key_id(),
            "custodian_key": True, "trusted_audit_keys": sorted(key_id(p) for p in exported)}


# -- catalog -----------------------------------------------------------------------------------------

def _load_catalog(con: sqlite3.Connection, export_dir: Path, manifest: dict[str, Any]) -> list[dict[str, Any]]:
    tables = manifest["catalog"].get("tables")
    if not isinstance(tables, list):
        raise InputError("the manifest lists no catalog tables", Where(file=mf.MANIFEST, field="catalog.tables"))
    listed = {f["path"] for f in manifest["files"] if f["kind"] == mf.KIND_CATALOG}
    con.execute("PRAGMA foreign_keys=OFF")  # rows go in table by table; checked once at the end
    con.execute("BEGIN IMMEDIATE")
    try:
        known = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        triggers = con.execute("SELECT name, sql FROM sqlite_master WHERE type='trigger' AND sql IS NOT NULL").fetchall()
        for name, _ in triggers:  # a trigger firing on reload would derive its rows a second time
            con.execute(f"DROP TRIGGER {quote(name)}")
        exported = {t.get("name") for t in tables if isinstance(t, dict)}
        absent = sorted(t["name"] for t in table_list(con) if t["name"] not in exported)
        if absent:
            raise IntegrityError(f"the export lacks the catalog table(s) {', '.join(absent)} of its schema "
                                 "version", Where(file=mf.MANIFEST, field="catalog.tables"))
        loaded, extra = [], set()
        for i, t in enumerate(tables):
            where = Where(file=mf.MANIFEST, field=f"catalog.tables[{i}]")
            name, file, columns = _table_fields(t, where, listed)
            if name not in known:
                _create(con, t.get("sql"), ("CREATE TABLE", "CREATE VIRTUAL TABLE"), where)
                extra.add(name)
            live = live_columns(con, name)
            if live != columns:
                raise IntegrityError(f"catalog table {name!r} has the columns {columns} in the export but "
                                     f"{live} in this Bulle's catalog at the same schema version", where)
            n = load_rows(con, t, export_dir / file, file)
            if n != t.get("rows"):
                raise IntegrityError(f"{n} rows, but the manifest says {t.get('rows')}", Where(file=file))
            if n and name in ("erasure_journal", "erasure_pending_versions"):  # an export waits for erasures
                raise InputError("an export never carries a pending erasure: this one was not made by Bulle",
                                 Where(file=file))
            loaded.append({"name": name, "rows": n, "created": name in extra})
        for _name, sql in triggers:
            con.execute(sql)
        for i, obj in enumerate(manifest["catalog"].get("objects") or []):
            if isinstance(obj, dict) and obj.get("table") in extra:
                kind = str(obj.get("type", "")).upper()
                prefixes = {"INDEX": ("CREATE INDEX", "CREATE UNIQUE INDEX"), "TRIGGER": ("CREATE TRIGGER",),
                            "VIEW": ("CREATE VIEW",)}.get(kind, ())
                _create(con, obj.get("sql"), prefixes, Where(file=mf.MANIFEST, field=f"catalog.objects[{i}]"))
        bad = con.execute("PRAGMA foreign_key_check").fetchone()
        if bad is not None:
            raise IntegrityError(f"catalog table {bad[0]!r} row {bad[1]} refers to a missing row of {bad[2]!r}",
                                 Where(file=f"catalog/{bad[0]}.jsonl"))
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        con.execute("PRAGMA foreign_keys=ON")
    return loaded


def _table_fields(t: Any, where: Where, listed: set[str]) -> tuple[str, str, list[str]]:
    if not isinstance(t, dict) or not isinstance(t.get("name"), str) or not isinstance(t.get("columns"), list):
        raise InputError("a catalog table needs a name and columns", where)
    columns = [c.get("name") if isinstance(c, dict) else None for c in t["columns"]]
    if not all(isinstance(c, str) for c in columns):
        raise InputError("every column needs a name", where)
    if t.get("file") not in listed:
        raise InputError(f"the file of table {t['name']!r} is not among the export's catalog files", where)
    return t["name"], t["file"], columns  # type: ignore[return-value]


def _create(con: sqlite3.Connection, sql: Any, prefixes: tuple[str, ...], where: Where) -> None:
    """Run one recorded CREATE statement; anything else in its place is refused."""
    head = " ".join(str(sql).split()[:3]).upper() if isinstance(sql, str) else ""
    if not prefixes or not any(head.startswith(p) for p in prefixes):
        raise InputError(f"expected a {' or '.join(prefixes) or 'known'} statement, got {head[:40]!r}", where)
    try:
        con.execute(sql)  # one statement only: sqlite3 refuses a second one
    except sqlite3.Error as exc:
        raise IntegrityError(f"the recorded schema cannot be created: {exc}", where) from None


# -- stored files -----------------------------------------------------------------------------------------

def _place_files(export_dir: Path, root: Path, manifest: dict[str, Any], con: sqlite3.Connection) -> dict[str, int]:
    """Copy versions and artefacts to their paths; each must be one the catalog references, with its hash."""
    marks = ", ".join("?" for _ in mf.WITHHELD_STATUSES)
    live = f"(SELECT dataset, number FROM versions WHERE status NOT IN ({marks}))"
    expected = dict(con.execute(f"SELECT path, content_hash FROM versions WHERE (dataset, number) IN {live}",
                                mf.WITHHELD_STATUSES))
    expected.update(con.execute(f"SELECT path, content_hash FROM artefacts WHERE (dataset, number) IN {live}",
                                mf.WITHHELD_STATUSES))
    counts = {"versions": 0, "artefacts": 0, "bytes": 0}
    placed = set()
    for f in manifest["files"]:
        if f["kind"] not in (mf.KIND_VERSION, mf.KIND_ARTEFACT):
            continue
        rel = f["path"]
        top = "data" if f["kind"] == mf.KIND_VERSION else "artefacts"
        if not rel.startswith(top + "/") or rel.startswith("data/.tmp/"):
            raise InputError(f"a {f['kind']} must lie under {top}/", Where(file=rel))
        if rel not in expected:
            raise IntegrityError("the export holds a stored file that no catalog row of a version in use "
                                 "references", Where(file=rel))
        if expected[rel] != "sha256:" + f["sha256"]:
            raise IntegrityError("the file's hash differs from the content hash in the catalog", Where(file=rel))
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        digest, size = mf.copy_hashed(export_dir / rel, target)
        if digest != f["sha256"]:
            raise IntegrityError("the file changed while it was imported", Where(file=rel))
        placed.add(rel)
        counts["versions" if f["kind"] == mf.KIND_VERSION else "artefacts"] += 1
        counts["bytes"] += size
    missing = sorted(set(expected) - placed)
    if missing:
        raise IntegrityError(f"{len(missing)} file(s) the catalog references are not in the export",
                             Where(file=missing[0]))
    for d in {(root / p).parent for p in placed} | {root / "data", root / "artefacts"}:
        fsync_dir(d)
    return counts


# -- audit log --------------------------------------------------------------------------------------------

def _adopt_log(export_dir: Path, root: Path, manifest: dict[str, Any], catalog: Any) -> dict[str, Any]:
    from bulle.audit.heads import parse_head_json
    from bulle.audit.keys import KeyRing, load_public_key
    from bulle.audit.log import AuditLog
    from bulle.audit.workspace_log import LOG_FILE, CatalogHeadStore

    audit = manifest["audit"]
    logs = [f for f in manifest["files"] if f["kind"] == mf.KIND_AUDIT_LOG]
    if len(logs) != 1 or logs[0]["path"] != audit.get("log"):
        raise InputError("the export must hold exactly one audit log, named in the audit section",
                         Where(file=mf.MANIFEST, field="audit.log"))
    head = parse_head_json(json.dumps(audit.get("head")), Where(file=mf.MANIFEST, field="audit.head"))
    ring = KeyRing(load_public_key(export_dir / rel) for _, rel in mf.public_key_files(manifest))
    target = root / "audit" / LOG_FILE
    digest, _ = mf.copy_hashed(export_dir / logs[0]["path"], target, 0o640)
    if digest != logs[0]["sha256"]:
        raise IntegrityError("the audit log changed while it was imported", Where(file=logs[0]["path"]))
    fsync_dir(target.parent)
    found = AuditLog.open(target).workspace_id
    if found != manifest["workspace"]["id"]:
        raise IntegrityError(f"the audit log belongs to workspace {found!r}, not to the exported workspace "
                             f"{manifest['workspace']['id']!r}", Where(file=logs[0]["path"], line=1))
    try:  # verifies every hash, link and signature, and the head the export recorded
        log = AuditLog.adopt(target, None, CatalogHeadStore(catalog), ring, expected_head=head)
    except IntegrityError as exc:
        raise IntegrityError(f"the exported audit log is not intact: {exc.message}",
                             Where(file=logs[0]["path"], line=exc.where.line)) from None
    log.close()
    return {"events": head[0], "head": {"seq": head[0], "hash": head[1]}, "trusted_keys": ring.ids()}
