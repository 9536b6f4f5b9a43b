"""Pseudonymization use cases: pseudonymize a version, rotate the key, re-identify tokens."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bulle.audit import events as ev
from bulle.domain.datasets import ColumnRole, DatasetVersion, VersionKind
from bulle.errors import InputError, NotFoundError, Where
from bulle.fsutil import remove_path
from bulle.governance import access
from bulle.services.lineage import register
from bulle.services.results import Result
from bulle.services.vault import require_confirmed_roles, resolve
from bulle.vault import reid
from bulle.vault.pseudonymize import Tokenizer

if TYPE_CHECKING:
    from bulle.workspace import Workspace

PSEUDONYMIZED_ROLES = (ColumnRole.DIRECT_IDENTIFIER, ColumnRole.SUBJECT_ID)
STILL_PERSONAL = (
    "pseudonymized data is still personal data (GDPR recital 26): keys are held by the custodian"
)


@dataclass(frozen=True)
class Pseudonymized(Result):
    """A pseudonymized version: which columns became tokens of which kind, under which key, and
    the re-identification table stored with it, if one was asked for."""

    source: str
    version: dict[str, Any]
    ref: str
    columns: dict[str, str]
    key_id: str
    reid_table: dict[str, Any] | None
    personal_data: bool
    note: str


def pseudonymize(
    ws: Workspace,
    ref: str,
    *,
    columns: list[str] | None = None,
    reid_table: bool = False,
    key_id: str | None = None,
) -> Pseudonymized:
    """Replace direct identifiers (and the subject id) with keyed tokens, in a new version.

    The columns replaced are chosen from the roles, so every role must be confirmed first: an
    identifier suggested as ``other`` would otherwise stay in clear beside the tokens.
    """
    access.can_administer(ws.actor, "pseudonymize", scope="vault").require()
    source = resolve(ws, ref)
    require_confirmed_roles(ws, source, "pseudonymize")
    return _pseudonymize(ws, source, columns, reid_table, key_id)


def _pseudonymize(
    ws: Workspace,
    source: DatasetVersion,
    columns: list[str] | None,
    reid_table: bool,
    key_id: str | None,
) -> Pseudonymized:
    roles = ws.catalog.roles(source.dataset, source.number)
    by_col = {r.column: r for r in roles}
    if columns:
        unknown = [c for c in columns if c not in by_col]
        if unknown:
            raise InputError(
                f"unknown column(s) {', '.join(map(repr, unknown))} in {source.ref}",
                Where(field="--column"),
            )
        targets = {c: by_col[c].identifier_kind or "text" for c in columns}
    else:
        targets = {
            r.column: r.identifier_kind or "text" for r in roles if r.role in PSEUDONYMIZED_ROLES
        }
    if not targets:
        raise InputError(
            f"{source.ref} has no direct identifier or subject id to pseudonymize "
            "(check `bulle profile` and set roles with `bulle roles`)",
            Where(field="dataset"),
        )
    key_id, key = ws.keys.pseudonym_key(key_id)
    operation = {
        "name": "pseudonymize",
        "columns": targets,
        "key_id": key_id,
        "token_format": "bp1",
        "pseudonymized": True,
        "legal_status": STILL_PERSONAL,
        "reid_table": reid_table,
    }
    version, mappings = _run(ws, source, operation, key)
    new_roles = [
        replace(r, reason=f"pseudonymized ({r.reason})") if r.column in targets else r
        for r in roles
    ]
    with ws.write_lock(), ws.catalog.transaction():
        ws.catalog.set_roles(version.dataset, version.number, new_roles)
        profile = ws.catalog.profile(source.dataset, source.number)
        if profile is not None:
            ws.catalog.set_profile(
                version.dataset,
                version.number,
                [c for c in profile if c["name"] not in targets]
                + [{"name": c, "pseudonymized": True} for c in targets],
            )
    artefact = None
    if reid_table:
        blob = reid.encrypt_table(mappings, ws.keys.custodian_public_key(), ws.id, version.ref)
        tmp = ws.temp_path(".reid")
        tmp.write_bytes(blob)
        artefact = ws.add_artefact(version, "reid_table", tmp, "reid.bin")
    return Pseudonymized(
        source=source.ref,
        version=version.to_dict(),
        ref=version.ref,
        columns=targets,
        key_id=key_id,
        reid_table=artefact,
        personal_data=True,
        note=STILL_PERSONAL,
    )


def _run(
    ws: Workspace, source: DatasetVersion, operation: dict[str, Any], key: bytes
) -> tuple[DatasetVersion, dict[str, dict[str, str]]]:
    tmp, schema, mappings = compute(ws, source, operation, key)
    try:
        version = ws.commit_version(
            tmp,
            dataset=source.dataset,
            kind=VersionKind.PSEUDONYMIZE,
            parents=[source.ref],
            operation=operation,
            row_count=source.row_count,
            schema=schema,
            event=lambda v: ev.DatasetPseudonymized(
                actor=ws.actor,
                target=v.ref,
                details={
                    "source": source.ref,
                    "columns": sorted(operation["columns"]),
                    "key_id": operation["key_id"],
                    "reid_table": operation["reid_table"],
                    "content_hash": v.content_hash,
                },
            ),
        )
    finally:
        remove_path(tmp)
    return version, mappings


def compute(
    ws: Workspace, source: DatasetVersion, operation: dict[str, Any], key: bytes
) -> tuple[Path, list[dict[str, str]], dict[str, dict[str, str]]]:
    """Write the pseudonymized rows of ``source`` to a temporary file; the caller commits it."""
    tokenizers = {
        c: Tokenizer(key, operation["key_id"], kind, operation["reid_table"])
        for c, kind in operation["columns"].items()
    }
    tmp = ws.temp_path()
    try:
        schema = ws.engine.pseudonymize(
            ws.path_of(source), tmp, {c: t.arrow_udf() for c, t in tokenizers.items()}
        ).schema
    except BaseException:
        remove_path(tmp)
        raise
    mappings = (
        {c: {tok: orig for orig, tok in t.mapping().items()} for c, t in tokenizers.items()}
        if operation["reid_table"]
        else {}
    )
    return tmp, schema, mappings


@dataclass(frozen=True)
class KeyRotation(Result):
    """``versions``: one ``{from, source, new}`` per dataset pseudonymized again under the new key."""

    old_key_id: str
    new_key_id: str
    versions: list[dict[str, str]]


@dataclass(frozen=True)
class Reidentification(Result):
    """``tokens``: each token looked up, with its original values by column (None: not found)."""

    ref: str
    tokens: dict[str, dict[str, str] | None]


@register("pseudonymize")
def recompute_for_lineage(
    ws: Workspace, version: DatasetVersion, parent: DatasetVersion
) -> tuple[Path, list[dict[str, Any]]]:
    """The lineage recomputer of a pseudonymized version (registered like every operation's)."""
    tmp, extra = recompute(ws, version, parent)
    return tmp, [extra] if extra else []


def recompute(
    ws: Workspace, version: DatasetVersion, parent: DatasetVersion
) -> tuple[Path, dict[str, Any] | None]:
    """Re-run ``version``'s pseudonymization on its (rewritten) parent, for erasure.

    Returns the temporary file of the recomputed rows and, when the version keeps one, its new
    encrypted re-identification table (as a temporary file too).
    """
    operation = version.operation
    _, key = ws.keys.pseudonym_key(operation["key_id"])
    tmp, _, mappings = compute(ws, parent, operation, key)
    reid_file = None
    if operation.get("reid_table"):
        reid_file = ws.temp_path(".reid")
        reid_file.write_bytes(
            reid.encrypt_table(mappings, ws.keys.custodian_public_key(), ws.id, version.ref)
        )
    return tmp, ({"kind": "reid_table", "file": reid_file} if reid_file else None)


def rotate_key(ws: Workspace) -> KeyRotation:
    """A new key; every dataset whose latest version is pseudonymized gets a new version under it."""
    access.can_administer(ws.actor, "rotate keys", scope="vault").require()
    old = ws.keys.current_pseudonym_key_id()
    new = ws.keys.new_pseudonym_key()
    ws.emit(
        ev.KeyRotated(
            actor=ws.actor, target="pseudonym-key", details={"old_key_id": old, "new_key_id": new}
        )
    )
    produced = []
    for name in ws.catalog.dataset_names():
        latest = ws.catalog.resolve(name)
        if latest.kind is not VersionKind.PSEUDONYMIZE:
            continue
        # The same columns as the version being replaced: a decision already taken on its parent.
        parent = resolve(ws, latest.parents[0])
        result = _pseudonymize(
            ws,
            parent,
            list(latest.operation["columns"]),
            bool(latest.operation.get("reid_table")),
            new,
        )
        produced.append({"from": latest.ref, "source": parent.ref, "new": result.ref})
    return KeyRotation(old, new, produced)


def reidentify(
    ws: Workspace,
    ref: str,
    tokens: list[str],
    custodian_key: Path | None = None,
    *,
    passphrase: bytes | None = None,
) -> Reidentification:
    """Look tokens up; the custodian's key is sealed (``passphrase``, default from the environment)
    or given as a file outside the workspace (``custodian_key``)."""
    access.can_administer(ws.actor, "re-identify", scope="vault").require()
    v = resolve(ws, ref)
    tables = [a for a in ws.catalog.artefacts(v.dataset, v.number) if a["kind"] == "reid_table"]
    if not tables:
        raise NotFoundError(
            f"{v.ref} has no re-identification table (pseudonymize with --reid-table)",
            Where(field="dataset"),
        )
    path = ws.root / tables[-1]["path"]
    private = ws.keys.custodian_private_key(custodian_key, passphrase)
    columns = reid.decrypt_table(path.read_bytes(), private, ws.id, v.ref, str(path))
    found: dict[str, Any] = {}
    for t in tokens:
        hits = {col: m[t] for col, m in columns.items() if t in m}
        found[t] = hits or None
    ws.emit(
        ev.ReidentificationLookup(
            actor=ws.actor,
            target=v.ref,
            details={"tokens": len(tokens), "found": sum(1 for x in found.values() if x)},
        )
    )
    return Reidentification(v.ref, found)
