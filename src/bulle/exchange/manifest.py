"""The export's manifest, format version 1: what an export holds and how to check it.

Everything that decides what a valid export is lives here, so that the writer, the importer and a
third-party reader agree on one definition (``docs/export-format.md`` describes it for humans).
Changing what this module accepts changes the format: bump ``FORMAT_VERSION`` and keep reading 1.

Format 2 adds the models' shard states (kind ``model-state``); format 1 is still read.

An export is checked before anything is rebuilt from it: every file the manifest lists must be
there with its size and SHA-256, no other file may be there, and ``manifest.sig`` must be the
Ed25519 signature of the manifest by the workspace's audit key (the key whose public half is in
the export, next to the log it also signed). A file changed, removed or added is named.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from bulle.domain.datasets import VersionStatus
from bulle.errors import InputError, IntegrityError, NotFoundError, Problem, ValidationError, Where

FORMAT_NAME = "bulle.workspace-export"
FORMAT_VERSION = 2  # 2: models' shard states (``model-state`` files under models/)
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
SIG_CONTEXT = b"bulle.workspace-export.v1\x00"  # these signatures mean nothing elsewhere
KEYS_WARNING = (
    "THIS EXPORT CONTAINS SECRET KEYS (pseudonymization keys, the custodian's private key, "
    "the audit signing key): anyone holding it can re-identify pseudonymized data and sign "
    "audit events. Store and move it like the keys themselves."
)

# versions whose files (and artefacts) are withheld from any use, hence from exports
WITHHELD_STATUSES = (VersionStatus.NEEDS_RECOMPUTE.value,)

# file kinds, as written in the manifest's "files" list
KIND_VERSION = "dataset-version"
KIND_ARTEFACT = "artefact"
KIND_CATALOG = "catalog-table"
KIND_AUDIT_LOG = "audit-log"
KIND_PUBLIC_KEY = "audit-public-key"
KIND_CUSTODIAN_PUBLIC = "custodian-public-key"
KIND_SECRET = "secret-key"
KIND_MODEL_STATE = "model-state"  # models/NAME/SHA256.state: a shard state of an active version
FILE_KINDS = frozenset(
    (
        KIND_MODEL_STATE,
        KIND_VERSION,
        KIND_ARTEFACT,
        KIND_CATALOG,
        KIND_AUDIT_LOG,
        KIND_PUBLIC_KEY,
        KIND_CUSTODIAN_PUBLIC,
        KIND_SECRET,
    )
)

MAX_MANIFEST_BYTES = 256 << 20  # some hundred bytes per file listed: room for a million files

_CHUNK = 1 << 22


def copy_hashed(src: Path, dst: Path, mode: int = 0o644) -> tuple[str, int]:
    """Copy ``src`` to a new file ``dst`` byte for byte, fsync it, return (SHA-256 hex, size)."""
    h = hashlib.sha256()
    size = 0
    fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode)
    try:
        with open(src, "rb") as f, os.fdopen(fd, "wb", closefd=False) as out:
            while block := f.read(_CHUNK):
                h.update(block)
                out.write(block)
                size += len(block)
            out.flush()
            os.fsync(out.fileno())
    finally:
        os.close(fd)
    return h.hexdigest(), size


def write_new(dst: Path, data: bytes, mode: int = 0o644) -> tuple[str, int]:
    """Write a new file, fsync it, return (SHA-256 hex, size)."""
    fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    return hashlib.sha256(data).hexdigest(), len(data)


def hash_file(path: Path) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while block := f.read(_CHUNK):
            h.update(block)
            size += len(block)
    return h.hexdigest(), size


def encode_manifest(manifest: dict[str, Any]) -> bytes:
    """Stable, human-readable bytes: the signature and the audit event name these exact bytes."""
    return (json.dumps(manifest, indent=2, ensure_ascii=False, allow_nan=False) + "\n").encode(
        "utf-8"
    )


def signed_message(manifest_bytes: bytes) -> bytes:
    return SIG_CONTEXT + hashlib.sha256(manifest_bytes).digest()


def read_manifest(export_dir: Path) -> tuple[dict[str, Any], bytes]:
    """Load and validate the manifest's shape; returns it with its exact bytes."""
    path = export_dir / MANIFEST
    if not export_dir.is_dir():
        raise NotFoundError("no such export folder", Where(file=str(export_dir)))
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise NotFoundError(
            "not a Bulle export: manifest.json is missing", Where(file=str(path))
        ) from None
    if len(raw) > MAX_MANIFEST_BYTES:
        raise InputError(
            f"manifest.json is {len(raw):,} bytes: more than any export's manifest "
            f"({MAX_MANIFEST_BYTES:,})",
            Where(file=MANIFEST),
        )
    try:
        manifest = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise IntegrityError(
            f"manifest.json is not valid JSON: {str(exc)[:200]}", Where(file=MANIFEST)
        ) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        got = manifest.get("format") if isinstance(manifest, dict) else type(manifest).__name__
        raise InputError(
            f"not a Bulle workspace export (format {str(got)[:60]!r})",
            Where(file=MANIFEST, field="format"),
        )
    version = manifest.get("format_version")
    if type(version) is not int or version < 1 or version > FORMAT_VERSION:
        raise InputError(
            f"export format version {str(version)[:20]!r} is not supported: this Bulle reads "
            f"versions 1 to {FORMAT_VERSION}",
            Where(file=MANIFEST, field="format_version"),
        )
    from bulle.exchange.validation import manifest_problems

    problems = manifest_problems(manifest)
    if len(problems) > 100:  # a hostile manifest may hold millions: the first hundred tell enough
        problems = [
            *problems[:100],
            Problem(f"... and {len(problems) - 100} more problems", Where(file=MANIFEST)),
        ]
    if problems:
        raise ValidationError.from_problems(
            "malformed manifest.json (nothing was imported)", problems
        )
    return manifest, raw


def verify_files(export_dir: Path, manifest: dict[str, Any]) -> None:
    """Every listed file present with its size and hash, and nothing else; every problem named.

    The folder is scanned first: a symbolic link anywhere in it (which could lead the hashing
    out of the export) or an unlisted file is reported before any listed file is opened.
    """
    listed = {f["path"]: f for f in manifest["files"]}
    problems: list[Problem] = []
    linked = False
    for p in sorted(export_dir.rglob("*")):
        rel = p.relative_to(export_dir).as_posix()
        if p.is_symlink():
            linked = True
            problems.append(
                Problem(
                    "a symbolic link in the export (an export holds only files and folders)",
                    Where(file=rel),
                )
            )
        elif p.is_dir():
            continue
        elif rel not in listed and rel not in (MANIFEST, SIGNATURE):
            problems.append(
                Problem(
                    "a file in the export is not listed in its manifest (added after the "
                    "export was made)",
                    Where(file=rel),
                )
            )
    for rel, f in [] if linked else listed.items():
        p = export_dir / rel
        if not p.is_file():
            problems.append(
                Problem("a file listed in the manifest is missing from the export", Where(file=rel))
            )
            continue
        digest, size = hash_file(p)
        if size != f["size"] or digest != f["sha256"]:
            problems.append(
                Problem(
                    f"the file does not match the manifest (size {size}, expected {f['size']}; "
                    "its SHA-256 differs): the export was modified or damaged",
                    Where(file=rel),
                )
            )
    if problems:
        first = problems[0]
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        raise IntegrityError(
            first.message + more, first.where, problems=problems[:100] if more else None
        )


def public_key_files(manifest: dict[str, Any]) -> list[tuple[str, str]]:
    """(key id, file) of the audit public keys, each a file the manifest lists as one."""
    keys = manifest["audit"].get("public_keys")
    listed = {f["path"] for f in manifest["files"] if f["kind"] == KIND_PUBLIC_KEY}
    out = []
    for i, k in enumerate(keys if isinstance(keys, list) else [None]):
        if not (
            isinstance(k, dict) and isinstance(k.get("key_id"), str) and k.get("file") in listed
        ):
            raise InputError(
                "an audit public key needs a key_id and a file listed among the export's "
                "public keys",
                Where(file=MANIFEST, field=f"audit.public_keys[{i}]"),
            )
        out.append((k["key_id"], k["file"]))
    if not out:
        raise InputError(
            "the export holds no audit public key", Where(file=MANIFEST, field="audit.public_keys")
        )
    return out


def verify_signature(export_dir: Path, manifest: dict[str, Any], raw: bytes) -> str:
    """Check ``manifest.sig`` with the audit public key the manifest names; returns its key id."""
    from bulle.audit.keys import key_id, load_public_key
    from bulle.audit.keys import verify_signature as check

    kid = manifest["audit"].get("signing_key")
    keys = dict(public_key_files(manifest))
    if not isinstance(kid, str) or kid not in keys:
        raise IntegrityError(
            "the manifest does not name the public key that signed it",
            Where(file=MANIFEST, field="audit.signing_key"),
        )
    public = load_public_key(export_dir / keys[kid])
    if key_id(public) != kid:
        raise IntegrityError(f"the public key file is not key {kid}", Where(file=keys[kid]))
    sig_path = export_dir / SIGNATURE
    try:
        sig = bytes.fromhex(sig_path.read_text("ascii").strip())
    except FileNotFoundError:
        raise IntegrityError(
            "manifest.sig is missing: the manifest cannot be authenticated", Where(file=SIGNATURE)
        ) from None
    except (ValueError, UnicodeDecodeError):
        raise IntegrityError("manifest.sig is not a hex signature", Where(file=SIGNATURE)) from None
    if not check(public, sig, signed_message(raw)):
        raise IntegrityError(
            f"manifest.sig is not a valid signature of manifest.json by key {kid}: "
            "the manifest was modified",
            Where(file=MANIFEST),
        )
    return kid
