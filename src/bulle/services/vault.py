"""Vault use cases: import, list, profile and classify, confirm roles, read, export a table.

Every function takes an open :class:`~bulle.workspace.Workspace` (which carries the actor), checks
its inputs, does the work through the workspace's engine and records one audit event.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bulle.audit import events as ev
from bulle.domain.datasets import (
    ColumnRole,
    ColumnRoleAssignment,
    DatasetVersion,
    VersionKind,
    VersionStatus,
    validate_dataset_name,
)
from bulle.errors import InputError, Problem, ValidationError, Where, WithheldError
from bulle.fsutil import remove_path
from bulle.governance import access
from bulle.services.results import Result
from bulle.services.subject_index import index_version
from bulle.storage.engine import CsvOptions
from bulle.storage.sources import compression_of, inner_suffix
from bulle.vault.classify import Thresholds, suggest_roles

if TYPE_CHECKING:
    import pyarrow as pa

    from bulle.workspace import Workspace

FORMATS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}


@dataclass(frozen=True)
class TableExport(Result):
    ref: str
    path: str
    format: str
    rows: int
    content_hash: str
    formulas_neutralized: bool


@dataclass(frozen=True)
class DatasetProfile(Result):
    """``columns``: per column its statistics, suggested or confirmed role and the reason."""

    dataset: str
    version: int
    ref: str
    rows: int
    columns: list[dict[str, Any]]


def require_confirmed_roles(
    ws: Workspace, v: DatasetVersion, what: str
) -> list[ColumnRoleAssignment]:
    """A release or a pseudonymization acts on roles: suggestions are not decisions.

    Roles are suggested from names and sampled values and can be wrong (an opaque column of names
    suggested ``other``); acting on them unconfirmed would release identifiers. Every column must
    have a role the custodian confirmed; all unconfirmed columns are listed at once.
    """
    roles = {r.column: r for r in ws.catalog.roles(v.dataset, v.number)}
    problems = []
    for c in v.schema:
        r = roles.get(c["name"])
        if r is None:
            problems.append(Problem(f"column {c['name']!r} has no role", Where(column=c["name"])))
        elif not r.confirmed:
            problems.append(
                Problem(
                    f"role not confirmed (suggested {r.role.value}: {r.reason})",
                    Where(column=c["name"]),
                )
            )
    if problems:
        raise ValidationError.from_problems(
            f"cannot {what} {v.ref} before its column roles are confirmed (check them with "
            f"`bulle profile {v.dataset}`, then `bulle roles {v.dataset} --confirm` or "
            "`--set COLUMN=ROLE`)",
            problems,
        )
    return list(roles.values())


def detect_format(path: Path, fmt: str | None) -> str:
    if fmt:
        if fmt not in ("csv", "parquet", "jsonl"):
            raise InputError(
                f"unknown format {fmt!r}: expected csv, parquet or jsonl", Where(field="--format")
            )
        return fmt
    found = FORMATS.get(inner_suffix(path))
    if found is None:
        raise InputError(
            f"cannot tell the format from the extension {path.suffix!r}: use --format "
            "csv|parquet|jsonl",
            Where(file=str(path)),
        )
    return found


def _check_compression(path: Path, kind: str) -> None:
    """Only CSV is read through a decompressing stream (Parquet compresses inside the file)."""
    if compression_of(path) and kind != "csv":
        raise InputError(
            f"a compressed {kind} file cannot be imported: decompress it, or use CSV "
            "(.csv.gz, .csv.zst)",
            Where(file=str(path)),
        )


def import_table(
    ws: Workspace,
    source: str | Path | Any,
    dataset: str,
    *,
    fmt: str | None = None,
    delimiter: str | None = None,
    header: bool | None = None,
    encoding: str = "utf-8",
    progress: bool = False,
) -> DatasetVersion:
    """Import a file (CSV, Parquet, JSONL) or an in-memory table (pandas, Arrow) as a new version."""
    access.can_administer(ws.actor, "import data", scope="vault").require()
    validate_dataset_name(dataset)
    tmp = ws.temp_path()
    try:
        if isinstance(source, str | Path):
            src = Path(source)
            kind = detect_format(src, fmt)
            _check_compression(src, kind)
            if kind == "csv":
                options = CsvOptions(delimiter=delimiter, header=header, encoding=encoding)
                stats = _with_spinner(
                    progress,
                    f"importing {src.name}",
                    lambda: ws.engine.csv_to_parquet(src, tmp, options),
                )
                operation = {
                    "name": "import",
                    "format": "csv",
                    "source": src.name,
                    "options": {"delimiter": delimiter, "header": header, "encoding": encoding},
                }
            elif kind == "parquet":
                stats = ws.engine.parquet_to_parquet(src, tmp)
                operation = {"name": "import", "format": "parquet", "source": src.name}
            else:
                stats = ws.engine.jsonl_to_parquet(src, tmp)
                operation = {"name": "import", "format": "jsonl", "source": src.name}
            where = Where(file=str(src))
        else:
            from bulle.storage.parquet_input import faithful_table

            table = faithful_table(_to_arrow(source), "<table>")
            stats = ws.engine.write_table(table, tmp)
            operation = {"name": "import", "format": "arrow", "source": type(source).__name__}
            where = Where(file="<table>")
        if stats.rows == 0:
            raise InputError("no rows to import", where)
        profile = ws.engine.profile(tmp, sample_rows=ws.settings["profile.sample_rows"])
        roles = _carry_over(
            ws, dataset, suggest_roles(profile, Thresholds.from_settings(ws.settings))
        )
        version = ws.commit_version(
            tmp,
            dataset=dataset,
            kind=VersionKind.IMPORT,
            parents=[],
            operation=operation,
            row_count=stats.rows,
            schema=stats.schema,
            roles=roles,
            event=lambda v: ev.DatasetImported(
                actor=ws.actor,
                target=v.ref,
                details={
                    "format": operation["format"],
                    "rows": v.row_count,
                    "columns": len(v.schema),
                    "content_hash": v.content_hash,
                },
            ),
        )
        with ws.write_lock(), ws.catalog.transaction():
            ws.catalog.set_profile(dataset, version.number, public_profile(profile))
            ws.emit(
                ev.DatasetProfiled(
                    actor=ws.actor,
                    target=version.ref,
                    details={
                        "columns": len(profile),
                        **roles_details("suggested_roles", {r.column: r.role.value for r in roles}),
                    },
                )
            )
        if any(r.role is ColumnRole.SUBJECT_ID for r in roles):
            index_version(ws, version)
        return version
    finally:
        remove_path(tmp)


MAX_LISTED_BYTES = 16_384  # an audit event holds at most 64 KiB: wide tables are summarised


def roles_details(key: str, value: dict[str, str] | list[str]) -> dict[str, Any]:
    """Per-column audit details, or for a wide table their count, tally and SHA-256.

    A table of thousands of columns would not fit in one audit event; the digest of the canonical
    JSON still binds the event to the exact mapping (the catalog holds it in full).
    """
    from bulle.audit.format import canonical_json, sha256_hex

    body = canonical_json(value)
    if len(body) <= MAX_LISTED_BYTES:
        return {key: value}
    out: dict[str, Any] = {f"{key}_count": len(value), f"{key}_sha256": sha256_hex(body)}
    if isinstance(value, dict):
        tally: dict[str, int] = {}
        for role in value.values():
            tally[role] = tally.get(role, 0) + 1
        out[f"{key}_by_role"] = tally
    return out


def _with_spinner(progress: bool, label: str, fn):
    if not progress:
        return fn()
    from rich.console import Console

    console = Console(stderr=True)
    if not console.is_terminal:
        return fn()
    with console.status(label):
        return fn()


def _to_arrow(obj: Any) -> pa.Table:
    import pyarrow as pa

    if isinstance(obj, pa.Table):
        return obj
    try:
        import pandas as pd

        if isinstance(obj, pd.DataFrame):
            return pa.Table.from_pandas(obj, preserve_index=False)
    except ImportError:  # pragma: no cover - pandas is a dependency
        pass
    raise InputError(
        f"cannot import a {type(obj).__name__}: give a file path, a pandas DataFrame or an Arrow table"
    )


def public_profile(profile: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The stored profile keeps statistics and top values but not the classifier's raw sample."""
    return [{k: v for k, v in col.items() if k != "sample"} for col in profile]


def _carry_over(
    ws: Workspace, dataset: str, suggested: list[ColumnRoleAssignment]
) -> list[ColumnRoleAssignment]:
    """A custodian's confirmed roles carry over to the next version for columns of the same name."""
    if dataset not in ws.catalog.dataset_names():
        return suggested
    previous = ws.catalog.resolve(dataset)
    confirmed = {r.column: r for r in ws.catalog.roles(dataset, previous.number) if r.confirmed}
    return [confirmed.get(s.column, s) for s in suggested]


def list_datasets(ws: Workspace) -> list[dict[str, Any]]:
    out = []
    for name in ws.catalog.dataset_names():
        versions = ws.catalog.versions(name)
        latest = versions[-1]
        out.append(
            {
                "name": name,
                "latest": latest.number,
                "versions": [_version_summary(v) for v in versions],
            }
        )
    return out


def _version_summary(v: DatasetVersion) -> dict[str, Any]:
    return {
        "ref": v.ref,
        "version": v.number,
        "kind": v.kind.value,
        "rows": v.row_count,
        "columns": len(v.schema),
        "content_hash": v.content_hash,
        "parents": v.parents,
        "created_at": v.created_at,
        "personal_data": v.personal_data,
        "status": v.status.value,
        "pseudonymized": bool(v.operation.get("pseudonymized")),
    }


def dataset_versions(ws: Workspace, name: str) -> list[DatasetVersion]:
    """Every version of the dataset ``name`` (or of ``NAME@N``'s dataset), oldest first."""
    ws.catalog.resolve(name)
    return ws.catalog.versions(name.partition("@")[0])


def resolve(ws: Workspace, ref: str, *, for_use: bool = True) -> DatasetVersion:
    v = ws.catalog.resolve(ref)
    if for_use and v.status is VersionStatus.NEEDS_RECOMPUTE:
        raise WithheldError(
            f"{v.ref} is withheld: it needs recomputation after an erasure", Where(field="dataset")
        )
    if for_use:
        refuse_if_erasure_pending(ws, v)
    return v


def refuse_if_erasure_pending(ws: Workspace, v: DatasetVersion) -> None:
    """A version an erasure has not finished with still holds the person: nobody reads it (the
    erasure itself goes through the catalog). See ``services.erasure``."""
    from bulle.catalog.governance_store import GovernanceStore

    receipt = GovernanceStore(ws.catalog).pending_erasure_of(v.dataset, v.number)
    if receipt is not None:
        raise WithheldError(
            f"{v.ref} is withheld while erasure {receipt} is pending: it is completed by the "
            "process running it or, if that process stopped, when the workspace is next opened",
            Where(field="dataset"),
        )


def profile_dataset(ws: Workspace, ref: str, refresh: bool = False) -> DatasetProfile:
    access.can_administer(ws.actor, "profile a dataset", scope="vault").require()
    v = resolve(ws, ref)
    profile = None if refresh else ws.catalog.profile(v.dataset, v.number)
    roles = ws.catalog.roles(v.dataset, v.number)
    if profile is None or not roles:
        raw = ws.engine.profile(ws.path_of(v), sample_rows=ws.settings["profile.sample_rows"])
        profile = public_profile(raw)
        suggested = suggest_roles(raw, Thresholds.from_settings(ws.settings))
        confirmed = {r.column: r for r in roles if r.confirmed}
        roles = [confirmed.get(s.column, s) for s in suggested]
        with ws.write_lock(), ws.catalog.transaction():
            ws.catalog.set_profile(v.dataset, v.number, profile)
            ws.catalog.set_roles(v.dataset, v.number, roles)
            ws.emit(
                ev.DatasetProfiled(actor=ws.actor, target=v.ref, details={"columns": len(profile)})
            )
    by_col = {r.column: r for r in roles}
    columns = []
    for col in profile:
        r = by_col.get(col["name"])
        columns.append(
            {
                **col,
                "role": r.role.value if r else None,
                "reason": r.reason if r else None,
                "confirmed": r.confirmed if r else False,
                "identifier_kind": r.identifier_kind if r else None,
            }
        )
    return DatasetProfile(v.dataset, v.number, v.ref, v.row_count, columns)


def set_roles(
    ws: Workspace,
    ref: str,
    changes: dict[str, str] | None = None,
    *,
    confirm_all: bool = False,
    roles_file: Path | None = None,
) -> list[ColumnRoleAssignment]:
    """Confirm suggested roles and/or override some; every problem is reported at once."""
    access.can_administer(ws.actor, "set column roles", scope="vault").require()
    v = resolve(ws, ref)
    current = {r.column: r for r in ws.catalog.roles(v.dataset, v.number)}
    if not current:
        profile_dataset(ws, ref)
        current = {r.column: r for r in ws.catalog.roles(v.dataset, v.number)}
    wanted: dict[str, tuple[str, Where]] = {}
    if roles_file is not None:
        wanted.update(read_roles_file(roles_file))
    for col, role in (changes or {}).items():
        wanted[col] = (role, Where(field=f"--set {col}"))
    problems: list[Problem] = []
    valid = {r.value for r in ColumnRole}
    for col, (role, where) in wanted.items():
        if col not in current:
            problems.append(
                Problem(f"unknown column {col!r} (columns: {', '.join(current)})", where)
            )
        if role not in valid:
            problems.append(
                Problem(
                    f"unknown role {role!r} for {col!r}: expected one of {', '.join(sorted(valid))}",
                    where,
                )
            )
    result = []
    for col, r in current.items():
        if col in wanted and wanted[col][0] in valid:
            role = ColumnRole(wanted[col][0])
            reason = (
                r.reason
                if role is r.role
                else f"set by {ws.actor.name} (suggested {r.role.value}: {r.reason})"
            )
            result.append(replace(r, role=role, reason=reason, confirmed=True))
        else:
            result.append(replace(r, confirmed=r.confirmed or confirm_all))
    subject_ids = [r.column for r in result if r.role is ColumnRole.SUBJECT_ID]
    if len(subject_ids) > 1:
        problems.append(
            Problem(
                f"at most one subject_id column per dataset, got {', '.join(subject_ids)}",
                Where(field="roles"),
            )
        )
    if problems:
        raise ValidationError.from_problems(f"roles for {v.ref} not changed", problems)
    old_subject = [c for c, r in current.items() if r.role is ColumnRole.SUBJECT_ID]
    with ws.write_lock(), ws.catalog.transaction():
        ws.catalog.set_roles(v.dataset, v.number, result)
        ws.emit(
            ev.RolesConfirmed(
                actor=ws.actor,
                target=v.ref,
                details={
                    **roles_details("roles", {r.column: r.role.value for r in result}),
                    **roles_details("confirmed", [r.column for r in result if r.confirmed]),
                },
            )
        )
    if subject_ids != old_subject and v.kind is VersionKind.IMPORT:
        index_version(ws, v)
    return result


def read_roles_file(path: Path) -> dict[str, tuple[str, Where]]:
    """A TOML file with a ``[roles]`` table: ``column = "role"``."""
    where = Where(file=str(path))
    if not path.is_file():
        raise InputError("no such roles file", where)
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"invalid TOML: {exc}", where) from None
    except UnicodeDecodeError:
        raise InputError("roles file is not valid UTF-8", where) from None
    roles = doc.get("roles")
    if not isinstance(roles, dict):
        raise InputError("expected a [roles] table mapping column names to roles", where)
    bad = [
        Problem(f"role of {k!r} must be a string", Where(file=str(path), field=k))
        for k, val in roles.items()
        if not isinstance(val, str)
    ]
    if bad:
        raise ValidationError.from_problems(f"invalid roles file {path}", bad)
    return {k: (val, Where(file=str(path), field=k)) for k, val in roles.items()}


def read_table(
    ws: Workspace,
    ref: str,
    *,
    columns: list[str] | None = None,
    limit: int | None = None,
    purpose: str = "custodian",
) -> pa.Table:
    access.can_administer(ws.actor, "read a dataset directly", scope="vault").require()
    v = resolve(ws, ref)
    if columns:
        names = {c["name"] for c in v.schema}
        missing = [c for c in columns if c not in names]
        if missing:
            raise InputError(
                f"unknown column(s) {', '.join(map(repr, missing))} in {v.ref}",
                Where(field="columns"),
            )
    table = ws.engine.read_table(ws.path_of(v), columns, limit)
    ws.emit(
        ev.DatasetRead(
            actor=ws.actor,
            target=v.ref,
            details={
                "columns": columns or [c["name"] for c in v.schema],
                "rows": table.num_rows,
                "purpose": purpose,
            },
        )
    )
    return table


def export_table(
    ws: Workspace, ref: str, out: Path, fmt: str | None = None, *, keep_formulas: bool = False
) -> TableExport:
    """Write a version to a file (``bulle.outputs`` rules: only a regular file is replaced, 0600).

    CSV cells that a spreadsheet would run as formulas are neutralised unless ``keep_formulas``
    (``bulle.formulas``).
    """
    from bulle.fsutil import sha256_file
    from bulle.outputs import atomic_output, check_output

    access.can_administer(ws.actor, "export a dataset", scope="vault").require()
    v = resolve(ws, ref)
    out = Path(out)
    check_output(out)
    fmt = fmt or {".csv": "csv", ".parquet": "parquet", ".jsonl": "jsonl"}.get(out.suffix.lower())
    if fmt not in ("csv", "parquet", "jsonl"):
        raise InputError(
            "cannot tell the output format: use a .csv, .parquet or .jsonl name, or --format",
            Where(file=str(out)),
        )
    with atomic_output(out) as tmp:
        ws.engine.export(ws.path_of(v), tmp, fmt, keep_formulas=keep_formulas)
    digest = sha256_file(out)
    details = {"format": fmt, "content_hash": digest}
    if fmt == "csv":
        details["keep_formulas"] = keep_formulas
    ws.emit(ev.DatasetExported(actor=ws.actor, target=v.ref, details=details))
    return TableExport(
        v.ref, str(out), fmt, v.row_count, digest, fmt == "csv" and not keep_formulas
    )
