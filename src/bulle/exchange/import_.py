"""Rebuilding a workspace from a verified export, into a fresh folder the caller will rename.

The rebuilt workspace keeps the exported workspace's id: it is the same workspace moved, its
audit log's genesis is bound to that id, and re-identification tables are authenticated with it.

No SQL is ever taken from an export. The catalog is built by Bulle's own migrations up to the
export's schema version (``catalog.export_load.build``); the manifest's description of the catalog was checked
to be exactly that schema's (``validation``), so an unknown table, trigger, view or index was
refused before this point. Rows then go, with bound parameters, into Bulle's own tables and
columns only (triggers of Bulle's schema set aside meanwhile, so nothing is derived twice; foreign
keys checked once at the end), every bad line listed; then the catalog is migrated to this Bulle's
version.

Keys: restored from the export when it holds them; otherwise the new workspace gets new ones,
and the old audit public keys become trusted keys so the carried-over log still verifies.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bulle.catalog import export_load
from bulle.errors import InputError, IntegrityError, Where
from bulle.exchange import manifest as mf
from bulle.exchange.validation import path_problem
from bulle.fsutil import fsync_dir

if TYPE_CHECKING:
    from bulle.catalog.store import Catalog


def build_workspace(
    export_dir: Path, root: Path, manifest: dict[str, Any], custodian: Any = None
) -> dict[str, Any]:
    """Create ``root`` (which must not exist) from a verified export; returns what it did."""
    from bulle.catalog.store import SCHEMA_VERSION, Catalog
    from bulle.fsutil import atomic_write_text
    from bulle.services.settings import rewrite
    from bulle.store import CONFIG, FORMAT_VERSION
    from bulle.store_files import dump_config

    config = _config(manifest, FORMAT_VERSION)
    schema_version = manifest["catalog"][
        "schema_version"
    ]  # checked by validation.manifest_problems
    root.mkdir(exist_ok=True)  # the service makes it (marked as Bulle's temporary folder)
    for sub in ("data", "data/.tmp", "audit", "artefacts"):
        (root / sub).mkdir()
    keys = _keys(export_dir, root / "keys", manifest, custodian)

    catalog = Catalog(root / "catalog.sqlite")
    try:
        export_load.build(catalog, schema_version)  # Bulle's own schema the rows came from
        tables = export_load.load_catalog(catalog, export_dir, manifest, path_problem)
        catalog.migrate()
        files = _place_files(export_dir, root, manifest, catalog)
        files["model_states"] = _place_model_states(export_dir, root, manifest, catalog)
        audit = _adopt_log(export_dir, root, manifest, catalog)
    finally:
        catalog.close()
    text = dump_config(config)
    for name, value in (
        manifest["workspace"].get("settings") or {}
    ).items():  # checked by validation
        text = rewrite(text, name, value)
    atomic_write_text(root / CONFIG, text)
    return {
        "tables": tables,
        **files,
        "audit": audit,
        "keys": keys,
        "schema_version": {"exported": schema_version, "now": SCHEMA_VERSION},
    }


def _config(manifest: dict[str, Any], supported: int) -> dict[str, Any]:
    ws = manifest["workspace"]
    problems = [
        k for k in ("id", "created_at", "engine") if not isinstance(ws.get(k), str) or not ws.get(k)
    ]
    fmt = ws.get("format_version")
    if problems or not isinstance(fmt, int):
        raise InputError(
            f"the manifest's workspace section lacks {', '.join(problems) or 'format_version'}",
            Where(file=mf.MANIFEST, field="workspace"),
        )
    if fmt > supported:
        raise InputError(
            f"the exported workspace has format {fmt}, newer than this Bulle supports ({supported})",
            Where(file=mf.MANIFEST, field="workspace.format_version"),
        )
    if any(c in ws["id"] for c in '"\\\n') or any(c in ws["created_at"] for c in '"\\\n'):
        raise InputError(
            "the workspace id or creation time holds characters a configuration cannot",
            Where(file=mf.MANIFEST, field="workspace"),
        )
    return {
        "workspace": {
            "format_version": fmt,
            "id": ws["id"],
            "created_at": ws["created_at"],
            # never the export's engine: a hostile export could point Bulle at any cluster or URI
            "engine": "duckdb",
        }
    }


# -- keys -------------------------------------------------------------------------------------------


def _keys(
    export_dir: Path, keys_dir: Path, manifest: dict[str, Any], custodian: Any = None
) -> dict[str, Any]:
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
                raise IntegrityError(
                    "the key file changed while it was imported", Where(file=f["path"])
                )
        signing = key_id(load_workspace_key(keys_dir))
        if signing != manifest["audit"]["signing_key"]:
            raise IntegrityError(
                f"the exported audit signing key is key {signing}, not key "
                f"{manifest['audit']['signing_key']} named by the manifest",
                Where(file="keys/audit-ed25519.key"),
            )
        ring = workspace_key_ring(keys_dir)
        for pub in exported:
            if key_id(pub) not in ring:
                trust_public_key(keys_dir, pub)
        store = KeyStore(keys_dir)
        return {
            "restored": True,
            "audit_key": signing,
            "pseudonym_key_id": store.current_pseudonym_key_id(),
            "custodian_key": (keys_dir / "custodian.key").is_file(),
        }
    KeyStore(keys_dir).create(custodian)  # a new custodian key: sealed or written outside
    new = ensure_workspace_key(keys_dir)
    for pub in exported:
        trust_public_key(keys_dir, pub)
    return {
        "restored": False,
        "audit_key": key_id(new),
        "pseudonym_key_id": KeyStore(keys_dir).current_pseudonym_key_id(),
        "custodian_key": True,
        "trusted_audit_keys": sorted(key_id(p) for p in exported),
    }


# -- stored files -----------------------------------------------------------------------------------------


def _place_files(
    export_dir: Path, root: Path, manifest: dict[str, Any], catalog: Catalog
) -> dict[str, int]:
    """Copy versions and artefacts to their paths; each must be one the catalog references, with its hash."""
    expected = export_load.expected_files(catalog, mf.WITHHELD_STATUSES)
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
            raise IntegrityError(
                "the export holds a stored file that no catalog row of a version in use references",
                Where(file=rel),
            )
        if expected[rel] != "sha256:" + f["sha256"]:
            raise IntegrityError(
                "the file's hash differs from the content hash in the catalog", Where(file=rel)
            )
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
        raise IntegrityError(
            f"{len(missing)} file(s) the catalog references are not in the export",
            Where(file=missing[0]),
        )
    for d in {(root / p).parent for p in placed} | {root / "data", root / "artefacts"}:
        fsync_dir(d)
    return counts


def _place_model_states(
    export_dir: Path, root: Path, manifest: dict[str, Any], catalog: Catalog
) -> int:
    """Copy the models' shard states: each one an active version of the imported catalog uses,
    at its path, with the hash in its name and in the catalog; none missing, none extra."""
    from bulle.catalog.export_snapshot import model_states
    from bulle.exchange.validation import MODEL_STATE_PATH

    expected = dict(model_states(catalog.con))
    placed = set()
    for f in manifest["files"]:
        if f["kind"] != mf.KIND_MODEL_STATE:
            continue
        rel = f["path"]
        named = MODEL_STATE_PATH.match(rel)
        if named is None:
            raise InputError("a model state must be models/NAME/SHA256.state", Where(file=rel))
        if expected.get(rel) != named.group(1) or f["sha256"] != named.group(1):
            raise IntegrityError(
                "the export holds a model state that no active model version of its catalog uses "
                "with this hash",
                Where(file=rel),
            )
        target = root / rel
        for d in (root / "models", target.parent):
            d.mkdir(mode=0o700, exist_ok=True)
        digest, _ = mf.copy_hashed(export_dir / rel, target, 0o600)
        if digest != f["sha256"]:
            raise IntegrityError("the model state changed while it was imported", Where(file=rel))
        placed.add(rel)
    missing = sorted(set(expected) - placed)
    if missing:
        raise IntegrityError(
            f"{len(missing)} model state(s) the catalog's active versions use are not in the "
            "export",
            Where(file=missing[0]),
        )
    for d in {(root / p).parent for p in placed}:
        fsync_dir(d)
    return len(placed)


# -- audit log --------------------------------------------------------------------------------------------


def _adopt_log(
    export_dir: Path, root: Path, manifest: dict[str, Any], catalog: Any
) -> dict[str, Any]:
    from bulle.audit.heads import parse_head_json
    from bulle.audit.keys import KeyRing, load_public_key
    from bulle.audit.log import AuditLog
    from bulle.audit.workspace_log import LOG_FILE, CatalogHeadStore

    audit = manifest["audit"]
    logs = [f for f in manifest["files"] if f["kind"] == mf.KIND_AUDIT_LOG]
    if len(logs) != 1 or logs[0]["path"] != audit.get("log"):
        raise InputError(
            "the export must hold exactly one audit log, named in the audit section",
            Where(file=mf.MANIFEST, field="audit.log"),
        )
    head = parse_head_json(
        json.dumps(audit.get("head")), Where(file=mf.MANIFEST, field="audit.head")
    )
    ring = KeyRing(load_public_key(export_dir / rel) for _, rel in mf.public_key_files(manifest))
    target = root / "audit" / LOG_FILE
    digest, _ = mf.copy_hashed(export_dir / logs[0]["path"], target, 0o640)
    if digest != logs[0]["sha256"]:
        raise IntegrityError(
            "the audit log changed while it was imported", Where(file=logs[0]["path"])
        )
    fsync_dir(target.parent)
    found = AuditLog.open(target).workspace_id
    if found != manifest["workspace"]["id"]:
        raise IntegrityError(
            f"the audit log belongs to workspace {found!r}, not to the exported workspace "
            f"{manifest['workspace']['id']!r}",
            Where(file=logs[0]["path"], line=1),
        )
    try:  # verifies every hash, link and signature, and the head the export recorded
        log = AuditLog.adopt(target, None, CatalogHeadStore(catalog), ring, expected_head=head)
    except IntegrityError as exc:
        raise IntegrityError(
            f"the exported audit log is not intact: {exc.message}",
            Where(file=logs[0]["path"], line=exc.where.line),
        ) from None
    log.close()
    return {
        "events": head[0],
        "head": {"seq": head[0], "hash": head[1]},
        "trusted_keys": ring.ids(),
    }
