"""An online backup: a consistent copy of a live workspace, taken while others keep working.

What makes the copy consistent without stopping writers for long:

* every commit (a version, an artefact, a role change with its audit event) and every audit
  append happens under the workspace lock, so while the backup holds it the catalog, the log and
  the files agree with each other. The backup holds it only for the *snapshot*: the catalog goes
  through SQLite's online backup API (one consistent copy, WAL pages included), the log's size
  and chain head are noted, the small files (``bulle.toml``, public keys, secret keys when asked)
  are copied, and every data file the snapshot names is *pinned*: hard-linked into a private
  folder under ``data/.tmp/<pid>-backup-…`` (which recovery spares while this process lives and
  removes when it does not);
* version and artefact files are never modified in place: a commit renames a new file in, an
  erasure writes a new file and deletes the old one. A pinned link therefore keeps exactly the
  bytes the snapshot's catalog names, even if an erasure removes the original meanwhile, and the
  long copy runs *after* the lock is released;
* the log is append-only: its first ``size`` bytes, noted under the lock, never change, and they
  end at the chain head recorded in the copied catalog, which is what the copy is verified against.

So the copy holds a prefix of every writer's work: each version it lists has its file and each
event before the head is in its log. Caches (``cache/``) are derived and left out; witness
registrations (``audit/witnesses.json``) are left out too, since a restored copy writing to the
same witness would fork its record. ``manifest.json`` (written last) lists every file with its
SHA-256 and size; the caller verifies the copy against it before saying the backup is done.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bulle.exchange import manifest as mf
from bulle.fsutil import PRIVATE_DIR, PRIVATE_FILE

if TYPE_CHECKING:
    from bulle.store import Store

FORMAT = "bulle-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"  # "<key id> <Ed25519 signature, hex>" by the workspace's audit key
SIG_CONTEXT = b"bulle.backup.v1\0"
CATALOG = "catalog.sqlite"
CONFIG = "bulle.toml"
LOG = "audit/log.jsonl"
TREES = ("data", "artefacts", "models", "jobs")  # copied file by file (data/.tmp excepted)
PUBLIC_DIR = "keys-public"  # public halves, always in a backup, so its log can be verified
PUBLIC_NAMES = ("audit-ed25519.pub", "custodian.pub", "audit-rotations.jsonl")
TRUSTED = "audit-trusted"
HEAD_KEY = "audit_head"


def write_backup(store: Store, dest: Path, *, include_keys: bool) -> dict[str, Any]:
    """Snapshot ``store`` into the empty folder ``dest`` and write its manifest; returns it."""
    from bulle.audit.keys import load_workspace_key
    from bulle.catalog.store import Catalog
    from bulle.version import __version__

    pin = store.tmp_dir / f"{os.getpid()}-backup-{uuid.uuid4().hex}"
    files: list[dict[str, Any]] = []
    skipped: list[str] = []
    try:
        with store.write_lock():
            locked = time.perf_counter()
            store.catalog.backup_to(dest / CATALOG)
            log_bytes = (store.audit_dir / "log.jsonl").stat().st_size
            files.append(_copy(store.root / CONFIG, dest, CONFIG))
            files += _copy_keys(store.keys_dir, dest, include_keys)
            signing_key = load_workspace_key(store.keys_dir)  # the one keys-public names
            snap = Catalog.read_only(dest / CATALOG)
            try:
                referenced = snap.referenced_paths()
                head = snap.get_meta(HEAD_KEY)
                schema_version = snap.schema_version()
            finally:
                snap.close()
            pinned = _pin(store.root, pin, referenced, skipped)
            lock_held_s = time.perf_counter() - locked
        for rel in pinned:  # the long copy, outside the lock: pinned files never change
            files.append(_copy(pin / rel, dest, rel))
        files.append(_copy_prefix(store.audit_dir / "log.jsonl", dest / LOG, log_bytes))
    finally:
        shutil.rmtree(pin, ignore_errors=True)
    files.append(_entry(dest, CATALOG))
    if head is None:
        from bulle.errors import IntegrityError

        raise IntegrityError("the workspace's catalog records no audit chain head")
    seq, _, digest = head.partition(":")
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "bulle_version": __version__,
        "workspace_id": store.id,
        "created_at": _now(),
        "contains_secret_keys": include_keys,
        "catalog": {"schema_version": schema_version},
        "audit": {"head_seq": int(seq), "head_hash": digest, "log_bytes": log_bytes},
        "lock_held_s": round(lock_held_s, 6),
        "skipped_links": sorted(skipped),
        "files": sorted(files, key=lambda f: f["path"]),
    }
    raw = json.dumps(manifest, indent=1).encode()
    mf.write_new(dest / MANIFEST, raw, PRIVATE_FILE)
    mf.write_new(dest / SIGNATURE, signature_line(signing_key, raw), PRIVATE_FILE)
    return manifest


def signed_message(raw: bytes) -> bytes:
    import hashlib

    return SIG_CONTEXT + hashlib.sha256(raw).digest()


def signature_line(key: Any, raw: bytes) -> bytes:
    """What ``manifest.sig`` holds: whoever has the workspace's public key can tell the backup is
    the workspace's own, not one crafted from scratch."""
    from bulle.audit.keys import key_id

    return f"{key_id(key)} {key.sign(signed_message(raw)).hex()}\n".encode("ascii")


def _now() -> str:
    from bulle.store_files import now

    return now()


def _pin(root: Path, pin: Path, referenced: set[str], skipped: list[str]) -> list[str]:
    """Hard-link every file the snapshot holds into ``pin``; returns their relative paths.

    Data and artefact files only when the snapshot's catalog names them (a leftover of a crashed
    writer is not part of the workspace); models' and jobs' folders whole. Links are not followed:
    a link inside the workspace is not Bulle's and is listed as skipped."""
    out = []
    for top in TREES:
        base = root / top
        if not base.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(base):
            d = Path(dirpath)
            if d == root / "data":
                dirnames[:] = [n for n in dirnames if n != ".tmp"]
            for name in [*filenames, *(n for n in dirnames if (d / n).is_symlink())]:
                p = d / name
                rel = p.relative_to(root).as_posix()
                if p.is_symlink() or not p.is_file():
                    skipped.append(rel)
                    continue
                if top in ("data", "artefacts") and not _is_referenced(rel, referenced):
                    continue
                target = pin / rel
                target.parent.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
                try:
                    os.link(p, target)
                except OSError:  # another file system (a mounted models/ folder): copy now
                    shutil.copyfile(p, target)
                out.append(rel)
    missing = sorted(r for r in referenced if not (pin / r).exists())
    if missing:
        from bulle.errors import IntegrityError, Where

        raise IntegrityError(
            f"{len(missing)} file(s) the catalog names are missing from the workspace: "
            "run `bulle audit verify` and restore them before backing up",
            Where(file=missing[0]),
        )
    return out


def _is_referenced(rel: str, referenced: set[str]) -> bool:
    """``rel`` is a file the catalog names, or a part inside a version directory it names (a
    version an engine such as Spark writes as parallel parts)."""
    if rel in referenced:
        return True
    parts = rel.split("/")
    return any("/".join(parts[:i]) in referenced for i in range(2, len(parts)))


def _copy_keys(keys_dir: Path, dest: Path, include_keys: bool) -> list[dict[str, Any]]:
    out = []
    names = [n for n in PUBLIC_NAMES if (keys_dir / n).is_file()]
    trusted = keys_dir / TRUSTED
    if trusted.is_dir():
        names += [f"{TRUSTED}/{p.name}" for p in sorted(trusted.glob("*.pub"))]
    for n in names:
        out.append(_copy(keys_dir / n, dest, f"{PUBLIC_DIR}/{n}"))
    if include_keys:
        for p in sorted(keys_dir.rglob("*")):
            if p.is_file() and not p.is_symlink():
                out.append(_copy(p, dest, f"keys/{p.relative_to(keys_dir).as_posix()}"))
    return out


def _copy(src: Path, dest: Path, rel: str) -> dict[str, Any]:
    target = dest / rel
    target.parent.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    digest, size = mf.copy_hashed(src, target, PRIVATE_FILE)
    return {"path": rel, "sha256": digest, "size": size}


def _copy_prefix(src: Path, target: Path, size: int) -> dict[str, Any]:
    """The log's first ``size`` bytes: what it held when the snapshot was taken."""
    import hashlib

    target.parent.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    h = hashlib.sha256()
    left = size
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, PRIVATE_FILE)
    try:
        with open(src, "rb") as f, os.fdopen(fd, "wb", closefd=False) as out:
            while left:
                block = f.read(min(left, 1 << 22))
                if not block:
                    break
                h.update(block)
                out.write(block)
                left -= len(block)
            out.flush()
            os.fsync(out.fileno())
    finally:
        os.close(fd)
    return {"path": LOG, "sha256": h.hexdigest(), "size": size - left}


def _entry(dest: Path, rel: str) -> dict[str, Any]:
    digest, size = mf.hash_file(dest / rel)
    return {"path": rel, "sha256": digest, "size": size}
