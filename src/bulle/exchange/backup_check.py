"""Checking a backup folder, which is hostile input: whoever could write it could have crafted it.

The same check runs at the end of ``bulle backup`` (nothing is called a backup before it passes)
and at the start of ``bulle restore`` (nothing is restored from a folder that fails it):

* ``manifest.sig`` is the workspace's audit key's signature of the manifest's exact bytes, so a
  manifest edited to match changed files is refused; given the workspace's public key
  (``restore --public-key FILE``, kept apart from the backups), a backup crafted from scratch with
  a key of its own is refused too;
* the folder holds only directories and regular files (no link, no device, no fifo), each file
  listed once in ``manifest.json`` with the size and SHA-256 found on disk, at a plain relative
  path (no ``..``, no absolute path, portable names) in one of the places a backup may hold;
* the catalog is a sound SQLite file whose schema is exactly Bulle's own at its version (no table,
  trigger or view of anyone else's), opened read-only without trusting its schema's SQL;
* every version and artefact the catalog names is in the backup, with the content hash the
  catalog records;
* the audit log verifies (hash chain, every signature against the backup's public keys) and ends
  exactly at the chain head the catalog records and the manifest repeats;
* ``bulle.toml`` names the manifest's workspace and its settings are valid.
"""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path
from typing import Any

from bulle.errors import InputError, IntegrityError, NotFoundError, Problem, ValidationError, Where
from bulle.exchange import backup as bk
from bulle.exchange import manifest as mf
from bulle.exchange.validation import path_problem

MAX_MANIFEST_BYTES = mf.MAX_MANIFEST_BYTES
_HEX64 = re.compile(r"[0-9a-f]{64}\Z")
_PUBLIC = re.compile(
    rf"{bk.PUBLIC_DIR}/(audit-ed25519\.pub|custodian\.pub|audit-rotations\.jsonl|"
    rf"{bk.TRUSTED}/[0-9a-f]{{16}}\.pub)\Z"
)


def check_backup(
    folder: Path, *, in_progress: bool = False, trusted: tuple[Path, ...] = ()
) -> dict[str, Any]:
    """The backup's manifest once every check above passed; raises what failed, where.

    ``in_progress``: the folder is the backup's own temporary one, still holding Bulle's marker.
    ``trusted``: audit public key files, one of which must have signed the manifest (without it,
    the signature only shows the backup is whole, not whose it is)."""
    from bulle.exchange.stale import MARKER

    manifest, raw = read_manifest_bytes(folder)
    listed = {f["path"]: f for f in manifest["files"]}
    own = {bk.MANIFEST, bk.SIGNATURE} | ({MARKER} if in_progress else set())
    _check_signature(folder, listed, raw, trusted)
    _check_tree(folder, listed, own)
    _check_catalog(folder, manifest, listed)
    _check_config(folder, manifest)
    return manifest


def _check_signature(
    folder: Path, listed: dict[str, dict[str, Any]], raw: bytes, trusted: tuple[Path, ...]
) -> None:
    from bulle.audit.keys import key_id, load_public_key, verify_signature

    where = Where(file=bk.SIGNATURE)
    path = folder / bk.SIGNATURE
    try:
        st = os.lstat(path)
        if not stat.S_ISREG(st.st_mode) or st.st_size > 512:
            raise IntegrityError("manifest.sig is not a small regular file", where)
        kid, sig_hex = path.read_text("ascii").split()
        sig = bytes.fromhex(sig_hex)
    except FileNotFoundError:
        raise IntegrityError(
            "manifest.sig is missing: the backup cannot be checked", where
        ) from None
    except (ValueError, UnicodeDecodeError):
        raise IntegrityError("manifest.sig is not '<key id> <hex signature>'", where) from None
    pub_rel = f"{bk.PUBLIC_DIR}/audit-ed25519.pub"
    if pub_rel not in listed:
        raise IntegrityError("the backup holds no audit public key", Where(file=pub_rel))
    public = load_public_key(folder / pub_rel)
    if key_id(public) != kid or not verify_signature(public, sig, bk.signed_message(raw)):
        raise IntegrityError(
            "manifest.sig is not a valid signature of manifest.json by the backup's audit key: "
            "the manifest was modified",
            Where(file=bk.MANIFEST),
        )
    if trusted:
        ids = {key_id(load_public_key(p)) for p in trusted}
        if kid not in ids:
            raise IntegrityError(
                f"the backup is signed by audit key {kid}, not by a key you trust "
                f"({', '.join(sorted(ids))}): it is not that workspace's backup",
                Where(file=bk.SIGNATURE),
            )


def read_manifest(folder: Path) -> dict[str, Any]:
    return read_manifest_bytes(folder)[0]


def read_manifest_bytes(folder: Path) -> tuple[dict[str, Any], bytes]:
    """The manifest, its shape checked, with its exact bytes (what the signature covers)."""
    path = folder / bk.MANIFEST
    if not folder.is_dir() or folder.is_symlink():
        raise NotFoundError("no such backup folder", Where(file=str(folder)))
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        raise NotFoundError(
            "not a Bulle backup: manifest.json is missing", Where(file=str(path))
        ) from None
    if not stat.S_ISREG(st.st_mode):
        raise InputError("manifest.json is not a regular file", Where(file=str(path)))
    if st.st_size > MAX_MANIFEST_BYTES:
        raise InputError(
            f"manifest.json is {st.st_size:,} bytes: more than any backup's manifest "
            f"({MAX_MANIFEST_BYTES:,})",
            Where(file=str(path)),
        )
    try:
        raw = path.read_bytes()
        m = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise InputError(
            f"manifest.json is not valid JSON: {str(exc)[:200]}", Where(file=str(path))
        ) from None
    if not isinstance(m, dict) or m.get("format") != bk.FORMAT:
        raise InputError("not a Bulle backup (format)", Where(file=str(path), field="format"))
    if m.get("format_version") != bk.FORMAT_VERSION:
        raise InputError(
            f"backup format version {str(m.get('format_version'))[:20]!r} is not supported "
            f"(this Bulle reads {bk.FORMAT_VERSION})",
            Where(file=str(path), field="format_version"),
        )
    problems = _manifest_problems(m)
    if problems:
        raise ValidationError.from_problems(
            "malformed backup manifest (nothing restored)", problems
        )
    return m, raw


def _manifest_problems(m: dict[str, Any]) -> list[Problem]:
    out: list[Problem] = []

    def bad(field: str, message: str) -> None:
        if len(out) < 100:
            out.append(Problem(message, Where(file=bk.MANIFEST, field=field)))

    if not isinstance(m.get("workspace_id"), str) or not re.fullmatch(
        r"[0-9a-f-]{8,64}", m["workspace_id"]
    ):
        bad("workspace_id", "must be a workspace id")
    if not isinstance(m.get("contains_secret_keys"), bool):
        bad("contains_secret_keys", "must be true or false")
    a = m.get("audit")
    if not (
        isinstance(a, dict)
        and type(a.get("head_seq")) is int
        and a["head_seq"] >= 1
        and isinstance(a.get("head_hash"), str)
        and _HEX64.match(a["head_hash"])
    ):
        bad("audit", "must give the chain head (head_seq >= 1, head_hash: 64 hex digits)")
    c = m.get("catalog")
    if not (isinstance(c, dict) and type(c.get("schema_version")) is int):
        bad("catalog.schema_version", "must be a whole number")
    files = m.get("files")
    if not isinstance(files, list):
        bad("files", "must be a list")
        return out
    seen: set[str] = set()
    for i, f in enumerate(files):
        field = f"files[{i}]"
        if not isinstance(f, dict) or set(f) != {"path", "sha256", "size"}:
            bad(field, "must be an object with exactly a path, a sha256 and a size")
            continue
        why = path_problem(f["path"])
        if why:
            bad(f"{field}.path", why)
            continue
        if not _allowed(f["path"], m.get("contains_secret_keys") is True):
            bad(f"{field}.path", f"a backup holds no file at {f['path'][:80]!r}")
        if f["path"] in seen or f["path"] == bk.MANIFEST:
            bad(f"{field}.path", "listed twice or reserved")
        seen.add(f["path"])
        if not (isinstance(f["sha256"], str) and _HEX64.match(f["sha256"])):
            bad(f"{field}.sha256", "must be 64 lowercase hex digits")
        if type(f["size"]) is not int or f["size"] < 0:
            bad(f"{field}.size", "must be a whole number >= 0")
    for required in (bk.CATALOG, bk.CONFIG, bk.LOG):
        if required not in seen:
            bad("files", f"{required} is not listed")
    return out


def _allowed(rel: str, secrets: bool) -> bool:
    if rel in (bk.CATALOG, bk.CONFIG, bk.LOG):
        return True
    top = rel.split("/", 1)[0]
    if top in bk.TREES:
        return "/" in rel and not rel.startswith("data/.tmp/")
    if top == bk.PUBLIC_DIR:
        return _PUBLIC.match(rel) is not None
    return top == "keys" and secrets and "/" in rel


def _check_tree(folder: Path, listed: dict[str, dict[str, Any]], own: set[str]) -> None:
    """Only directories and listed regular files, each of its listed size and hash."""
    problems: list[Problem] = []
    found: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(folder):
        d = Path(dirpath)
        for name in [*dirnames, *filenames]:
            p = d / name
            rel = p.relative_to(folder).as_posix()
            st = os.lstat(p)
            if stat.S_ISDIR(st.st_mode):
                continue
            if not stat.S_ISREG(st.st_mode):
                problems.append(Problem("not a regular file or folder (a link?)", Where(file=rel)))
            elif rel not in own:
                found.add(rel)
                f = listed.get(rel)
                if f is None:
                    problems.append(Problem("a file the manifest does not list", Where(file=rel)))
                elif st.st_size != f["size"]:
                    problems.append(
                        Problem(
                            f"{st.st_size} bytes, the manifest says {f['size']}", Where(file=rel)
                        )
                    )
                elif mf.hash_file(p)[0] != f["sha256"]:
                    problems.append(Problem("its SHA-256 is not the manifest's", Where(file=rel)))
        if len(problems) >= 100:
            break
    problems += [Problem("listed but missing", Where(file=r)) for r in sorted(set(listed) - found)]
    if problems:
        raise _integrity("the backup does not hold what its manifest lists", problems)


def _integrity(what: str, problems: list[Problem]) -> IntegrityError:
    """Stored state that fails a check (exit 6), every problem listed (the first hundred)."""
    n = len(problems)
    return IntegrityError(f"{what}: {n} problem{'s' if n != 1 else ''}", problems=problems[:100])


def _check_catalog(folder: Path, m: dict[str, Any], listed: dict[str, dict[str, Any]]) -> None:
    from bulle.audit.keys import KeyRing, load_public_key
    from bulle.audit.verify import verify_log
    from bulle.catalog.export_schema import live_schema_problems
    from bulle.catalog.store import SCHEMA_VERSION, Catalog

    version = m["catalog"]["schema_version"]
    if not 1 <= version <= SCHEMA_VERSION:
        raise InputError(
            f"catalog schema version {version} is not one this Bulle knows (1 to {SCHEMA_VERSION})",
            Where(file=bk.MANIFEST, field="catalog.schema_version"),
        )
    try:
        cat = Catalog.read_only(folder / bk.CATALOG)
    except Exception as exc:
        raise IntegrityError(f"unreadable catalog: {exc}", Where(file=bk.CATALOG)) from None
    try:
        try:
            sound = cat.quick_check()
            problems = [] if sound else live_schema_problems(cat.con, version)
            if not sound and cat.schema_version() != version:
                problems.append(Problem("schema version is not the manifest's", Where(field="")))
            files = [] if sound or problems else cat.file_hashes()
            head = None if sound or problems else cat.get_meta(bk.HEAD_KEY)
        except Exception as exc:
            raise IntegrityError(f"unreadable catalog: {exc}", Where(file=bk.CATALOG)) from None
    finally:
        cat.close()
    if sound:
        raise IntegrityError(f"the catalog file is damaged: {sound[0]}", Where(file=bk.CATALOG))
    if problems:
        raise _integrity(
            "the backup's catalog is not Bulle's schema (nothing restored)",
            [Problem(p.message, Where(file=bk.CATALOG, field=p.where.field)) for p in problems],
        )
    bad = []
    for kind, rel, content_hash in files:
        digest = _listed_digest(listed, rel) if isinstance(rel, str) else None
        if digest is None or not rel.startswith("data/" if kind == "version" else "artefacts/"):
            bad.append(
                Problem(
                    f"a {kind} file the catalog names is not in the backup",
                    Where(file=str(rel)[:200]),
                )
            )
        elif content_hash != digest:
            bad.append(Problem(f"the {kind}'s content hash is not the catalog's", Where(file=rel)))
    if bad:
        raise _integrity("the backup's files do not match its catalog", bad)
    want = (m["audit"]["head_seq"], m["audit"]["head_hash"])
    if head != f"{want[0]}:{want[1]}":
        raise IntegrityError(
            "the catalog's audit chain head is not the manifest's", Where(file=bk.CATALOG)
        )
    ring = KeyRing()
    for rel in sorted(listed):
        if rel.startswith(bk.PUBLIC_DIR + "/") and rel.endswith(".pub") and "custodian" not in rel:
            ring.add(load_public_key(folder / rel))
    report = verify_log(
        folder / bk.LOG,
        ring,
        expected_head=want,
        expected_workspace_id=m["workspace_id"],
        head_required=True,
    )
    if not report.ok:
        raise IntegrityError(
            f"the backup's audit log does not verify: {report.message()}", Where(file=bk.LOG)
        )


def _check_config(folder: Path, m: dict[str, Any]) -> None:
    from bulle import settings
    from bulle.store import read_config

    config = read_config(folder / bk.CONFIG)
    if config["workspace"]["id"] != m["workspace_id"]:
        raise IntegrityError(
            "bulle.toml names another workspace than the manifest", Where(file=bk.CONFIG)
        )
    settings.resolve(config.get("settings"), {}, file=bk.CONFIG)


def _listed_digest(listed: dict[str, dict[str, Any]], rel: str) -> str | None:
    """The content hash of ``rel`` as the manifest's entries give it: a listed file's SHA-256, or,
    for a version directory of parts, the digest ``fsutil.sha256_file`` computes over its parts'
    names and digests (so a part added, removed, renamed or changed is caught); None when the
    backup holds nothing at ``rel``."""
    from bulle.fsutil import parts_digest

    if rel in listed:
        return "sha256:" + listed[rel]["sha256"]
    prefix = rel + "/"
    children = sorted({p[len(prefix) :].split("/", 1)[0] for p in listed if p.startswith(prefix)})
    if not children:
        return None
    return parts_digest((name, _listed_digest(listed, prefix + name) or "") for name in children)
