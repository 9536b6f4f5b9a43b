"""Putting a checked backup back as a workspace, into a fresh folder the caller will rename.

Unlike an import from an export, a restore is the same workspace put back as it was: the catalog
file itself (checked to be exactly Bulle's schema by ``backup_check``), the version files, the
log, the configuration. Every file is copied and hashed again as it is copied, so a backup changed
between its check and its restore is refused rather than half trusted.

Keys: the backup's secret keys when it holds them (the audit signing key must be the one the
backup's public key names); otherwise the restored workspace gets new keys, as an import does,
and the backup's audit public keys become trusted keys so the carried-over log still verifies.
Then the workspace can no longer recompute pseudonyms or read re-identification tables made
with the old keys: the report says so.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bulle.errors import IntegrityError, Where
from bulle.exchange import backup as bk
from bulle.exchange import manifest as mf
from bulle.fsutil import PRIVATE_DIR, PRIVATE_FILE, fsync_dir


def build_from_backup(
    folder: Path, root: Path, manifest: dict[str, Any], custodian: Any = None
) -> dict[str, Any]:
    """Create the workspace in ``root`` (made by the caller, empty) from a checked backup."""
    for sub in ("data", "data/.tmp", "audit", "artefacts"):
        (root / sub).mkdir(mode=PRIVATE_DIR, exist_ok=True)
    placed = 0
    dirs = set()
    for f in manifest["files"]:
        rel = f["path"]
        if rel.startswith((bk.PUBLIC_DIR + "/", "keys/")):
            continue
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
        _copy_checked(folder, rel, target, f["sha256"])
        dirs.add(target.parent)
        placed += 1
    for d in dirs:
        fsync_dir(d)
    keys = _keys(folder, root / "keys", manifest, custodian)
    versions = sum(1 for f in manifest["files"] if f["path"].startswith("data/"))
    return {"files": placed, "versions": versions, "keys": keys}


def _copy_checked(folder: Path, rel: str, target: Path, sha256: str) -> None:
    digest, _ = mf.copy_hashed(folder / rel, target, PRIVATE_FILE)
    if digest != sha256:
        raise IntegrityError("the file changed after the backup was checked", Where(file=rel))


def _keys(folder: Path, keys_dir: Path, manifest: dict[str, Any], custodian: Any) -> dict[str, Any]:
    from bulle.audit.keys import (
        ensure_workspace_key,
        key_id,
        load_public_key,
        load_workspace_key,
        trust_public_key,
    )
    from bulle.vault.keys import KeyStore

    public = [
        f["path"]
        for f in manifest["files"]
        if f["path"].startswith(bk.PUBLIC_DIR + "/") and "audit" in f["path"]
    ]
    audit_pubs = [load_public_key(folder / rel) for rel in public if rel.endswith(".pub")]
    current = folder / bk.PUBLIC_DIR / "audit-ed25519.pub"
    by_path = {f["path"]: f for f in manifest["files"]}
    if manifest["contains_secret_keys"]:
        keys_dir.mkdir(mode=PRIVATE_DIR)
        for rel, f in by_path.items():
            if rel.startswith("keys/"):
                target = root_relative(keys_dir, rel)
                target.parent.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
                _copy_checked(folder, rel, target, f["sha256"])
        signing = key_id(load_workspace_key(keys_dir))
        if current.is_file() and key_id(load_public_key(current)) != signing:
            raise IntegrityError(
                f"the backup's audit signing key is key {signing}, not the one its public key "
                "names",
                Where(file="keys/audit-ed25519.key"),
            )
        return {"restored": True, "audit_key": signing, "trusted_audit_keys": []}
    KeyStore(keys_dir).create(custodian)  # a new custodian key: sealed or written outside
    new = ensure_workspace_key(keys_dir)
    for pub in audit_pubs:
        trust_public_key(keys_dir, pub)
    rotations = f"{bk.PUBLIC_DIR}/audit-rotations.jsonl"
    if rotations in by_path:
        _copy_checked(
            folder, rotations, keys_dir / "audit-rotations.jsonl", by_path[rotations]["sha256"]
        )
    return {
        "restored": False,
        "audit_key": key_id(new),
        "trusted_audit_keys": sorted({key_id(p) for p in audit_pubs}),
    }


def root_relative(keys_dir: Path, rel: str) -> Path:
    """Where ``keys/…`` of the backup goes (its path was checked: plain, relative, under keys/)."""
    return keys_dir / Path(rel).relative_to("keys")
