"""Writing a whole workspace into an export folder (the caller holds the workspace lock).

What is written, and why it can be trusted on the other side:

* every stored Parquet file and artefact byte for byte, at the same relative path, each checked
  against the content hash the catalog recorded for it while it is copied (a damaged file is
  refused here rather than discovered after a move);
* the shard states of every active model version (``models/NAME/HASH.state``), each checked
  against its hash; a model's placement file, held-out probabilities and audit pages are derived
  and rebuilt on demand, so they stay behind (the per-record audit scores too: audit again);
* every catalog table as JSON Lines (``tables.py``), read in one SQLite read transaction so the
  tables and the audit chain head are one consistent snapshot;
* the audit log exactly up to that head (entries appended meanwhile by readers belong to the
  next export), verified, with the public keys that check it;
* secret keys only when asked, and then the manifest says so at its top;
* ``manifest.json`` listing every file with its SHA-256 and size, signed by the audit key.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bulle.catalog import export_schema as schema
from bulle.catalog.export_snapshot import CatalogSnapshot
from bulle.catalog.export_tables import WORKSPACE_SPECIFIC_META
from bulle.errors import ConflictError, IntegrityError, NotFoundError, Where
from bulle.exchange import manifest as mf

if TYPE_CHECKING:
    from bulle.workspace import Workspace

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600  # an export holds personal data: readable by its owner only


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def bulle_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("bulle")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        from bulle.version import __version__

        return __version__


class _Writer:
    """Creates the export's files and remembers each one's hash, size and kind."""

    def __init__(self, root: Path):
        self.root = root
        self.files: list[dict[str, Any]] = []

    def _target(self, rel: str) -> Path:
        p = self.root / rel
        missing = [
            d for d in p.parents if d != self.root and self.root in d.parents and not d.exists()
        ]
        for d in reversed(missing):  # mkdir(parents=True) would give the ancestors the default mode
            d.mkdir(mode=PRIVATE_DIR)
        return p

    def copy(self, src: Path, rel: str, kind: str, mode: int = PRIVATE_FILE) -> dict[str, Any]:
        digest, size = mf.copy_hashed(src, self._target(rel), mode)
        return self._add(rel, kind, digest, size)

    def write(self, rel: str, data: bytes, kind: str, mode: int = PRIVATE_FILE) -> dict[str, Any]:
        digest, size = mf.write_new(self._target(rel), data, mode)
        return self._add(rel, kind, digest, size)

    def _add(self, rel: str, kind: str, digest: str, size: int) -> dict[str, Any]:
        entry = {"path": rel, "kind": kind, "sha256": digest, "size": size}
        self.files.append(entry)
        return entry

    def sync_dirs(self) -> None:
        dirs = {self.root} | {(self.root / f["path"]).parent for f in self.files}
        for d in sorted(dirs, key=lambda p: len(p.parts), reverse=True):
            fd = os.open(d, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


def write_export(ws: Workspace, dest: Path, *, include_keys: bool) -> dict[str, Any]:
    """Fill the new folder ``dest``; returns the manifest and its exact bytes' SHA-256."""
    import hashlib

    if not dest.is_dir():  # the service makes it (marked as Bulle's temporary folder)
        dest.mkdir(mode=PRIVATE_DIR)
    os.chmod(dest, PRIVATE_DIR)
    w = _Writer(dest)
    with CatalogSnapshot(ws.catalog.path) as snap:
        schema_version = snap.schema_version()
        problems = snap.schema_problems(schema_version)
        if problems:  # an import would refuse it: say so now, and never carry foreign SQL along
            raise IntegrityError(
                f"the catalog's schema is not Bulle's own at schema version {schema_version} (it was "
                "changed outside Bulle's migrations): nothing exported",
                Where(file=str(ws.catalog.path)),
                problems=problems,
            )
        tables = snap.tables()
        for t in tables:
            rel = schema.table_file(t["name"])
            t["file"] = rel
            t["rows"] = _write_table(w, snap, t, rel)
        objects = snap.other_objects()
        head = _head(snap)
        stored, withheld = snap.stored_files(
            mf.WITHHELD_STATUSES, mf.KIND_VERSION, mf.KIND_ARTEFACT
        )
        states = snap.model_states()

    n_versions = n_artefacts = 0
    for rel, content_hash, kind in stored:
        src = ws.root / rel
        if src.is_dir():  # a Spark version's parts: the export format holds one file per version
            raise ConflictError(
                "this workspace stores versions as Spark directories of parts, which the export "
                "format does not hold yet: export their tables with `bulle export-table`",
                Where(file=str(src)),
            )
        if not src.is_file():
            raise IntegrityError(
                "a file the catalog lists is missing from the workspace", Where(file=str(src))
            )
        entry = w.copy(src, rel, kind)
        if "sha256:" + entry["sha256"] != content_hash:
            raise IntegrityError(
                "the stored file no longer matches the content hash in the catalog: "
                "it was modified or damaged; nothing exported",
                Where(file=str(src)),
            )
        n_versions += kind == mf.KIND_VERSION
        n_artefacts += kind == mf.KIND_ARTEFACT

    n_states = _export_model_states(ws, w, states)
    audit = _export_audit(ws, w, head)
    keys = _export_keys(ws, w, include_keys)
    w.files.sort(key=lambda f: f["path"])
    cfg = ws.config["workspace"]
    manifest: dict[str, Any] = {"format": mf.FORMAT_NAME, "format_version": mf.FORMAT_VERSION}
    manifest["contains_secret_keys"] = include_keys
    if include_keys:
        manifest["warning"] = mf.KEYS_WARNING
    manifest.update(
        {
            "bulle_version": bulle_version(),
            "created_at": _now(),
            "workspace": {
                "id": ws.id,
                "created_at": cfg.get("created_at"),
                "format_version": cfg.get("format_version"),
                "engine": cfg.get("engine", "duckdb"),
                **_settings(ws),
            },
            "catalog": {
                "schema_version": schema_version,
                "tables": tables,
                "objects": objects,
                "excluded_meta_keys": sorted(WORKSPACE_SPECIFIC_META),
            },
            "data": {
                "versions": n_versions,
                "artefacts": n_artefacts,
                "bytes": sum(
                    f["size"] for f in w.files if f["kind"] in (mf.KIND_VERSION, mf.KIND_ARTEFACT)
                ),
                "withheld_statuses": list(mf.WITHHELD_STATUSES),
                "withheld": withheld,
                "model_states": n_states,
            },
            "audit": audit,
            "keys": keys,
            "files": w.files,
        }
    )
    raw = mf.encode_manifest(manifest)
    mf.write_new(dest / mf.MANIFEST, raw, PRIVATE_FILE)
    from bulle.audit.keys import load_workspace_key

    signature = load_workspace_key(ws.keys_dir).sign(mf.signed_message(raw))
    mf.write_new(dest / mf.SIGNATURE, signature.hex().encode("ascii") + b"\n", PRIVATE_FILE)
    w.sync_dirs()
    return {
        "manifest": manifest,
        "manifest_sha256": hashlib.sha256(raw).hexdigest(),
        "files": len(w.files) + 2,
        "bytes": sum(f["size"] for f in w.files) + len(raw),
    }


def _export_model_states(ws: Workspace, w: _Writer, states: list[tuple[str, str]]) -> int:
    """Copy each shard state an active model version uses, checked against its hash."""
    from bulle.exchange.validation import MODEL_STATE_PATH

    for rel, digest in states:
        src = ws.root / rel
        named = MODEL_STATE_PATH.match(rel)
        if named is None or named.group(1) != digest:
            raise IntegrityError(
                "the catalog names a model state outside models/NAME/HASH.state: nothing exported",
                Where(file=rel),
            )
        if src.is_symlink() or not src.is_file():
            raise IntegrityError(
                "a model state the catalog lists is missing (or not a plain file)",
                Where(file=str(src)),
            )
        if w.copy(src, rel, mf.KIND_MODEL_STATE)["sha256"] != digest:
            raise IntegrityError(
                "a model state no longer matches its hash: it was modified or damaged; nothing "
                "exported",
                Where(file=str(src)),
            )
    return len(states)


def _write_table(w: _Writer, snap: CatalogSnapshot, table: dict[str, Any], rel: str) -> int:
    """Stream the rows to the file (a subject index or a consent history may hold millions)."""
    import hashlib

    h, size, rows = hashlib.sha256(), 0, 0
    target = w._target(rel)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, PRIVATE_FILE)
    with os.fdopen(fd, "wb") as out:
        for block in snap.rows(table):
            out.write(block)
            h.update(block)
            size += len(block)
            rows += block.count(b"\n")  # JSON escapes newlines inside strings: one per row
        out.flush()
        os.fsync(out.fileno())
    w._add(rel, mf.KIND_CATALOG, h.hexdigest(), size)
    return rows


def _head(snap: CatalogSnapshot) -> tuple[int, str]:
    from bulle.audit.workspace_log import HEAD_KEY

    value = snap.meta(HEAD_KEY)
    if value is None:
        raise IntegrityError(
            "the catalog records no audit chain head: the audit log cannot be exported verifiably"
        )
    seq, _, digest = value.partition(":")
    return int(seq), digest


def _export_audit(ws: Workspace, w: _Writer, head: tuple[int, str]) -> dict[str, Any]:
    """Copy the log's header and its first ``seq`` entries, verified against the head."""
    from bulle.audit.format import FORMAT_VERSION as LOG_FORMAT
    from bulle.audit.keys import key_id, public_key_pem, workspace_key_ring, workspace_public_key
    from bulle.audit.verify import verify_log
    from bulle.audit.workspace_log import LOG_FILE

    seq, digest = head
    src = ws.audit_dir / LOG_FILE
    rel = "audit/log.jsonl"
    target = w._target(rel)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, PRIVATE_FILE)
    with open(src, "rb") as f, os.fdopen(fd, "wb") as out:
        for _ in range(seq + 1):  # the header, then the entries up to the head
            line = f.readline()
            if not line.endswith(b"\n"):
                raise IntegrityError(
                    f"the audit log ends before its chain head (event {seq}): run "
                    "`bulle audit verify`",
                    Where(file=str(src)),
                )
            out.write(line)
        out.flush()
        os.fsync(out.fileno())
    ring = workspace_key_ring(ws.keys_dir)
    report = verify_log(target, ring, expected_head=head, expected_workspace_id=ws.id)
    if not report.ok:
        raise IntegrityError(
            f"the audit log is not intact, nothing exported: {report.message()}",
            Where(file=str(src), line=report.line),
        )
    hashed = mf.hash_file(target)
    w._add(rel, mf.KIND_AUDIT_LOG, *hashed)
    current = key_id(workspace_public_key(ws.keys_dir))
    public_keys = []
    for kid in ring:
        key_rel = f"public-keys/audit-{kid}.pub"
        w.write(key_rel, public_key_pem(ring.get(kid)).encode("ascii"), mf.KIND_PUBLIC_KEY, 0o644)
        public_keys.append({"key_id": kid, "file": key_rel, "current": kid == current})
    from bulle.audit.log import AuditLog

    header = AuditLog.open(target).header
    return {
        "log": rel,
        "log_format_version": LOG_FORMAT,
        "workspace_id": header.workspace_id,
        "genesis": header.genesis,
        "head": {"seq": seq, "hash": digest},
        "events": report.entries,
        "signing_key": current,
        "public_keys": public_keys,
        "key_runs": report.keys,
    }


def _export_keys(ws: Workspace, w: _Writer, include: bool) -> dict[str, Any]:
    """Public parts always; the key folder itself only when asked."""
    keys_dir = ws.keys_dir
    info: dict[str, Any] = {"included": include}
    try:
        info["current_pseudonym_key_id"] = ws.keys.current_pseudonym_key_id()
    except NotFoundError:  # a workspace whose key was moved out still exports
        info["current_pseudonym_key_id"] = None
    info["pseudonym_key_ids"] = sorted(
        p.name[len("pseudonym-") : -len(".key")] for p in keys_dir.glob("pseudonym-*.key")
    )
    pub = keys_dir / "custodian.pub"
    if pub.is_file():
        info["custodian_public_key"] = w.copy(
            pub, "public-keys/custodian.pub", mf.KIND_CUSTODIAN_PUBLIC, 0o644
        )["path"]
    if include:
        secret = []
        for p in sorted(keys_dir.rglob("*")):
            if p.is_file() and not p.is_symlink() and not p.name.startswith("."):
                rel = "keys/" + p.relative_to(keys_dir).as_posix()
                secret.append(w.copy(p, rel, mf.KIND_SECRET, PRIVATE_FILE)["path"])
        info["files"] = secret
        info["warning"] = mf.KEYS_WARNING
    return info


def _settings(ws: Workspace) -> dict[str, Any]:
    """The settings ``bulle.toml`` sets (not the environment's), flat: they travel with the data."""
    from bulle.settings import flatten

    values = dict(flatten(ws.config.get("settings") or {}))
    return {"settings": values} if values else {}
