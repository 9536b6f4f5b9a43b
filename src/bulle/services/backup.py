"""Online backups and restores of a whole workspace (``bulle backup``, ``bulle restore``).

A backup is taken while the workspace keeps serving: the workspace lock is held only for the
snapshot (``bulle.exchange.backup`` says why that is enough), never for the copy. Like an export,
it is all-or-nothing for whoever looks at the destination: it is written into a temporary sibling
folder, checked as a restore would check it (every file hash, the catalog's schema and files, the
audit chain up to its head), and only then renamed into place and recorded in the workspace's log
(``workspace.backup``, with the manifest's SHA-256). A restore checks the backup the same way
before copying anything, then opens the result as a workspace (recovery, migrations, the log's
own checks), records ``workspace.restore`` in the carried-over log, verifies it, and renames it
into place. Only a custodian may do either: a backup holds every dataset.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bulle.audit import events as ev
from bulle.errors import ConflictError, IntegrityError, ResourceLimit, Where
from bulle.governance import access
from bulle.services.exchange import check_destination, put_in_place, temp_sibling
from bulle.services.results import Result

if TYPE_CHECKING:
    from bulle.domain.actor import Actor
    from bulle.workspace import Workspace


@dataclass(frozen=True)
class BackupDone(Result):
    backup: str
    workspace_id: str
    manifest_sha256: str
    contains_secret_keys: bool
    files: int
    bytes: int
    versions: int
    audit_head_seq: int
    lock_held_s: float  # how long writers could have waited for the snapshot
    skipped_links: list[str]


@dataclass(frozen=True)
class RestoreDone(Result):
    workspace: str
    workspace_id: str
    manifest_sha256: str
    backup_created_at: str
    versions: int
    files: int
    carried_events: int
    audit_events: int
    keys_restored: bool
    audit_key: str
    trusted_audit_keys: list[str]
    notes: list[str]


def backup_workspace(ws: Workspace, dest: str | Path, *, include_keys: bool = False) -> BackupDone:
    """Write a verified, consistent copy of the live workspace to ``dest`` (new or empty)."""
    from bulle.exchange.backup import MANIFEST, write_backup
    from bulle.exchange.backup_check import check_backup

    access.can_administer(ws.actor, "back up a workspace", scope="workspace").require()
    out = Path(dest).absolute()
    root = ws.root.resolve()
    if out.resolve() == root or root in out.resolve().parents:
        raise ConflictError("a backup cannot go inside its own workspace", Where(file=str(out)))
    check_destination(out)
    tmp = temp_sibling(out)
    try:
        manifest = write_backup(ws.store, tmp, include_keys=include_keys)
        check_backup(
            tmp, in_progress=True
        )  # nothing is called a backup before a restore would accept it
        digest = hashlib.sha256((tmp / MANIFEST).read_bytes()).hexdigest()
        files = manifest["files"]
        versions = sum(1 for f in files if f["path"].startswith("data/"))
        size = sum(f["size"] for f in files)
        ws.emit(
            ev.WorkspaceBackedUp(
                actor=ws.actor,
                target=out.name,
                details={
                    "manifest_sha256": digest,
                    "include_keys": include_keys,
                    "files": len(files),
                    "bytes": size,
                    "versions": versions,
                    "audit_head_seq": manifest["audit"]["head_seq"],
                },
            )
        )
        put_in_place(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return BackupDone(
        backup=str(out),
        workspace_id=ws.id,
        manifest_sha256=digest,
        contains_secret_keys=include_keys,
        files=len(files),
        bytes=size,
        versions=versions,
        audit_head_seq=manifest["audit"]["head_seq"],
        lock_held_s=manifest["lock_held_s"],
        skipped_links=manifest["skipped_links"],
    )


def restore_workspace(
    backup: str | Path,
    new_dir: str | Path,
    actor: Actor,
    custodian: Any = None,
    *,
    trusted_keys: tuple[str | Path, ...] = (),
) -> RestoreDone:
    """Put a backup back as a workspace in ``new_dir`` (new or empty), after checking it whole.

    ``custodian`` (a ``CustodianKeySetup``) protects the new custodian key of a backup without keys;
    ``trusted_keys``: audit public key files, one of which must have signed the backup.
    """
    from bulle.exchange.backup import MANIFEST
    from bulle.exchange.backup_check import check_backup, read_manifest
    from bulle.exchange.restore import build_from_backup
    from bulle.fsutil import private_umask
    from bulle.services.audit import verify_workspace_log
    from bulle.workspace import Workspace

    access.can_administer(actor, "restore a workspace", scope="workspace").require()
    src = Path(backup).absolute()
    dest = Path(new_dir).absolute()
    check_destination(dest)
    declared = read_manifest(src)  # its sizes: checked against the disk before any hashing
    _require_room(dest.parent, sum(f["size"] for f in declared["files"]))
    # nothing is built from a backup that fails a check
    manifest = check_backup(src, trusted=tuple(Path(k) for k in trusted_keys))
    digest = hashlib.sha256((src / MANIFEST).read_bytes()).hexdigest()
    tmp = temp_sibling(dest)
    try:
        with private_umask():
            built = build_from_backup(src, tmp, manifest, custodian)
        ws = Workspace.open(tmp, actor)
        try:
            carried = ws.audit_log.head()[0]
            ws.emit(
                ev.WorkspaceRestored(
                    actor=actor,
                    target=dest.name,
                    details={
                        "manifest_sha256": digest,
                        "backup_created_at": manifest["created_at"],
                        "keys_restored": built["keys"]["restored"],
                        "carried_events": carried,
                        "audit_key": built["keys"]["audit_key"],
                        "versions": built["versions"],
                    },
                )
            )
            report = verify_workspace_log(ws)
            if not report.ok:
                raise IntegrityError(
                    f"the restored audit log does not verify: {report.message()}",
                    Where(file=str(src)),
                )
            events = ws.audit_log.head()[0]
        finally:
            ws.close()
        put_in_place(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return RestoreDone(
        workspace=str(dest),
        workspace_id=manifest["workspace_id"],
        manifest_sha256=digest,
        backup_created_at=manifest["created_at"],
        versions=built["versions"],
        files=built["files"],
        carried_events=carried,
        audit_events=events,
        keys_restored=built["keys"]["restored"],
        audit_key=built["keys"]["audit_key"],
        trusted_audit_keys=built["keys"]["trusted_audit_keys"],
        notes=_notes(built),
    )


def _require_room(parent: Path, size: int) -> None:
    """Refuse before copying what the disk cannot hold (a full disk mid-restore helps no one)."""
    parent.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(parent).free
    if size > free:
        raise ResourceLimit(
            f"the backup holds {size:,} bytes and {parent} has {free:,} free",
            Where(file=str(parent)),
        )


def _notes(built: dict[str, Any]) -> list[str]:
    notes = [
        "Witnesses are not re-registered: add them again with `bulle audit witness add` "
        "(a restored copy writing to the old witness would fork its record)."
    ]
    if not built["keys"]["restored"]:
        notes.append(
            "The backup held no secret keys: this workspace has new ones, so pseudonyms made "
            "with the old key cannot be recomputed and old re-identification tables cannot be "
            "read; the old audit public keys are trusted, so the carried-over log verifies."
        )
    return notes
