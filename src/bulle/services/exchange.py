"""Reversible export use cases: a whole workspace out to open formats, and back.

Both directions are all-or-nothing for whoever looks at the destination: the work happens in a
sibling folder ``<dest>.tmp-<pid>`` that is renamed into place only when complete, and removed
on any failure. A process killed meanwhile (SIGKILL, power loss) cannot remove it, and it holds a
full copy of the data: so every export and import first removes, in the destination's parent,
the temporary folders of Bulle's that no live process owns (``stale.py``). Only a custodian may do either: an export holds every dataset (and, on request,
the keys), so it is as sensitive as the workspace itself.

Audit: the export is recorded in the source workspace's log *after* the files are written and
before they are put in place, with the SHA-256 of the manifest, so the exported log ends just
before its own export event and the event names exactly what left. The import adds exactly one
event to the carried-over log, naming the same manifest hash: the two logs are linked by it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bulle.audit import events as ev
from bulle.catalog.governance_store import GovernanceStore
from bulle.domain.actor import Actor
from bulle.errors import ConflictError, Where
from bulle.governance import access
from bulle.services.results import Result

if TYPE_CHECKING:
    from bulle.workspace import Workspace


@dataclass(frozen=True)
class Exported(Result):
    """An export written: where, its manifest's digest, what it holds (and whether secret keys)."""

    export: str
    workspace_id: str
    manifest_sha256: str
    format_version: int
    contains_secret_keys: bool
    warning: str | None
    files: int
    bytes: int
    versions: int
    artefacts: int
    catalog_tables: dict[str, int]
    audit_events: int
    audit_key: str


@dataclass(frozen=True)
class Imported(Result):
    """A workspace rebuilt from an export: what came in, the audit log carried over, the keys."""

    workspace: str
    id: str
    manifest_sha256: str
    signed_by: str
    versions: int
    artefacts: int
    bytes: int
    catalog_tables: dict[str, int]
    audit: dict[str, Any]
    keys: dict[str, Any]
    schema_version: dict[str, int]
    reid_tables: int
    notes: list[str]


@dataclass(frozen=True)
class ExportChecked(Result):
    """An export whose every file hash and manifest signature agree; ``signed_by``: the key's id."""

    manifest: dict[str, Any]
    manifest_sha256: str
    signed_by: str


def _check_destination(dest: Path) -> None:
    if dest.is_symlink() or (dest.exists() and not dest.is_dir()):
        raise ConflictError("exists and is not a directory", Where(file=str(dest)))
    if dest.exists() and any(dest.iterdir()):
        raise ConflictError(
            "directory is not empty: choose a new or empty directory", Where(file=str(dest))
        )


def _temp_sibling(dest: Path) -> Path:
    """A new private folder beside ``dest``, marked as Bulle's; stale ones of dead runs removed."""
    from bulle.exchange.stale import make_temporary, remove_stale

    dest.parent.mkdir(parents=True, exist_ok=True)
    remove_stale(dest.parent)
    tmp = dest.with_name(f"{dest.name}.tmp-{os.getpid()}")
    if tmp.exists():  # our own pid: a previous attempt in this very process
        shutil.rmtree(tmp)
    make_temporary(tmp)
    return tmp


def _put_in_place(tmp: Path, dest: Path) -> None:
    from bulle.exchange.stale import unmark

    _check_destination(dest)  # again: someone may have filled it meanwhile
    unmark(tmp)
    if dest.exists():
        dest.rmdir()  # empty, checked above; rename cannot replace a directory otherwise portably
    os.rename(tmp, dest)
    fd = os.open(dest.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def export_workspace(ws: Workspace, out_dir: str | Path, *, include_keys: bool = False) -> Exported:
    """Write the whole workspace to ``out_dir`` (new or empty) in open formats."""
    from bulle.exchange.export import write_export

    access.can_administer(ws.actor, "export a workspace", scope="workspace").require()
    out = Path(out_dir).absolute()
    root = ws.root.resolve()
    if out.resolve() == root or root in out.resolve().parents:
        raise ConflictError(
            "the export cannot go inside the workspace it exports", Where(file=str(out))
        )
    _check_destination(out)
    tmp = _temp_sibling(out)
    try:
        with ws.write_lock():  # no version, role or artefact changes while the snapshot is taken
            pending = GovernanceStore(ws.catalog).pending_erasures()
            if pending:  # its versions still hold the person, and its journal what locates them
                raise ConflictError(
                    f"erasure {pending[0]['receipt_id']} is pending: export once it has completed"
                )
            result = write_export(ws, tmp, include_keys=include_keys)
            manifest = result["manifest"]
            ws.emit(
                ev.WorkspaceExported(
                    actor=ws.actor,
                    target=out.name,
                    details={
                        "manifest_sha256": result["manifest_sha256"],
                        "format_version": manifest["format_version"],
                        "include_keys": include_keys,
                        "files": result["files"],
                        "bytes": result["bytes"],
                        "versions": manifest["data"]["versions"],
                        "artefacts": manifest["data"]["artefacts"],
                        "catalog_tables": len(manifest["catalog"]["tables"]),
                        "audit_head_seq": manifest["audit"]["head"]["seq"],
                    },
                )
            )
        _put_in_place(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return Exported(
        export=str(out),
        workspace_id=ws.id,
        manifest_sha256=result["manifest_sha256"],
        format_version=manifest["format_version"],
        contains_secret_keys=include_keys,
        warning=manifest.get("warning"),
        files=result["files"],
        bytes=result["bytes"],
        versions=manifest["data"]["versions"],
        artefacts=manifest["data"]["artefacts"],
        catalog_tables={t["name"]: t["rows"] for t in manifest["catalog"]["tables"]},
        audit_events=manifest["audit"]["head"]["seq"],
        audit_key=manifest["audit"]["signing_key"],
    )


def verify_export(export_dir: str | Path) -> ExportChecked:
    """Check an export without importing it: every file's hash, nothing added, the signature."""
    from bulle.exchange import manifest as mf

    src = Path(export_dir)
    manifest, raw = mf.read_manifest(src)
    mf.verify_files(src, manifest)
    signer = mf.verify_signature(src, manifest, raw)
    return ExportChecked(manifest, hashlib.sha256(raw).hexdigest(), signer)


def import_workspace(
    export_dir: str | Path, new_dir: str | Path, actor: Actor, custodian: Any = None
) -> Imported:
    """Rebuild a workspace from a verified export into ``new_dir`` (new or empty).

    ``custodian`` (a ``CustodianKeySetup``) protects the new custodian key of an export without keys.
    """
    from bulle.exchange.import_ import build_workspace
    from bulle.fsutil import private_umask
    from bulle.workspace import Workspace

    access.can_administer(actor, "import a workspace", scope="workspace").require()
    dest = Path(new_dir).absolute()
    _check_destination(dest)
    checked = verify_export(export_dir)  # nothing is built from an export that fails a check
    manifest = checked.manifest
    tmp = _temp_sibling(dest)
    try:
        with private_umask():  # the rebuilt folder is its owner's only, like one `init` makes
            built = build_workspace(Path(export_dir), tmp, manifest, custodian)
        ws = Workspace.open(tmp, actor)
        try:
            ws.emit(
                ev.WorkspaceImported(
                    actor=actor,
                    target=dest.name,
                    details={
                        "source_workspace_id": manifest["workspace"]["id"],
                        "manifest_sha256": checked.manifest_sha256,
                        "export_created_at": manifest["created_at"],
                        "export_bulle_version": manifest["bulle_version"],
                        "keys_restored": built["keys"]["restored"],
                        "carried_events": built["audit"]["events"],
                        "audit_key": built["keys"]["audit_key"],
                        "versions": built["versions"],
                        "artefacts": built["artefacts"],
                        "catalog_tables": len(built["tables"]),
                    },
                )
            )
            head = ws.audit_log.head()
            reid_tables = sum(1 for a in ws.catalog.artefacts() if a["kind"] == "reid_table")
        finally:
            ws.close()
        _put_in_place(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return Imported(
        workspace=str(dest),
        id=manifest["workspace"]["id"],
        manifest_sha256=checked.manifest_sha256,
        signed_by=checked.signed_by,
        versions=built["versions"],
        artefacts=built["artefacts"],
        bytes=built["bytes"],
        catalog_tables={t["name"]: t["rows"] for t in built["tables"]},
        audit={
            "carried_events": built["audit"]["events"],
            "events": head[0],
            "head": head[1],
            "trusted_keys": built["audit"]["trusted_keys"],
        },
        keys=built["keys"],
        schema_version=built["schema_version"],
        reid_tables=reid_tables,
        notes=_notes(manifest, built, reid_tables),
    )


def _notes(manifest: dict[str, Any], built: dict[str, Any], reid_tables: int) -> list[str]:
    """What a custodian must know about a workspace rebuilt without the original keys."""
    if built["keys"]["restored"]:
        return [
            "keys restored from the export: pseudonyms, re-identification and the audit key are as before"
        ]
    keys = manifest["keys"]
    notes = [
        f"new audit signing key {built['keys']['audit_key']}; the exported public keys "
        f"({', '.join(built['audit']['trusted_keys'])}) are trusted, so the carried-over log still verifies",
        f"new pseudonymization key {built['keys']['pseudonym_key_id']}: pseudonymizing again gives tokens "
        "that differ from the exported versions' tokens",
    ]
    old = keys.get("pseudonym_key_ids") or []
    if old:
        notes.append(
            f"pseudonymized versions made with key(s) {', '.join(old)} cannot be recomputed "
            "(e.g. after an erasure) without those keys"
        )
    if reid_tables:
        notes.append(
            f"new custodian key pair: the {reid_tables} re-identification table(s) carried over are "
            "encrypted to the old custodian key and unreadable without it "
            "(`bulle reidentify --custodian-key OLD_KEY`)"
        )
    return notes
