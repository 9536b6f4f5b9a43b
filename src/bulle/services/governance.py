"""Governance use cases: purposes, subject choices, projects, and reads for a project.

A read for a project is the one path by which an analyst gets rows: the access rules of
:mod:`bulle.governance.access` decide which columns, the consent fold of
:mod:`bulle.storage.consent_sql` decides which people, and both are applied inside the engine.
The decision (allowed or refused, with reasons) is recorded in the audit log either way.

Which version a read serves is the project's binding, resolved here against the catalog: a use
pinned to ``NAME@N`` serves that version; a use bound to a kind serves the newest version of that
kind (a key rotation's new pseudonymized version replaces the old one at the next read; a version
rewritten in place by an erasure keeps its number and stays the one served; a withheld newest
version is refused, never replaced by an older one). ``read NAME`` without a number and ``query``
both read exactly that version.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bulle.audit import events as ev
from bulle.catalog.governance_store import GovernanceStore
from bulle.domain.consents import Consent, Objection
from bulle.domain.datasets import ColumnRole, DatasetVersion, VersionKind, VersionRef
from bulle.domain.governance import GovernedDataset
from bulle.domain.governance_fields import iso
from bulle.domain.projects import DatasetUse, Member, Project, RowAccess
from bulle.domain.purposes import Purpose
from bulle.errors import AccessDenied, BulleError, InputError, NotFoundError, Where
from bulle.governance import access
from bulle.registry import Registry
from bulle.services.accounts import check_members
from bulle.services.results import Result
from bulle.services.vault import resolve
from bulle.storage.consent_sql import Tokenization, VisibleRead, snapshot

if TYPE_CHECKING:
    import pyarrow as pa

    from bulle.storage.sql_lockdown import ResultStream
    from bulle.workspace import Workspace


@dataclass(frozen=True)
class DatasetPurpose(Result):
    dataset: str
    collection_purpose: str


@dataclass(frozen=True)
class ChoicesRecorded(Result):
    recorded: int
    kinds: dict[str, int]
    forget_receipts: tuple[str, ...] = ()  # models that forgot a person who withdrew or objected


# What must follow a subject's choice: e.g. models forgetting a person who withdrew
# (``services.forgetting``). A listener takes the session and the recorded choices and returns
# the receipts it issued; built-ins register like plug-ins (entry points ``bulle.choice_listeners``),
# so governance depends on none of them.
ChoiceListener = Any
CHOICE_LISTENERS: Registry[ChoiceListener] = Registry(
    "choice_listeners", "listener of subjects' choices", ("bulle.services.forgetting",)
)


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def store(ws: Workspace) -> GovernanceStore:
    return GovernanceStore(ws.catalog)


def subject_ref(ws: Workspace, subject_id: str) -> str:
    """How audit events and receipts name a person: a workspace-bound hash, never the id itself."""
    return (
        "subj_"
        + hashlib.sha256(f"bulle-subject-v1\x00{ws.id}\x00{subject_id}".encode()).hexdigest()[:24]
    )


# -- purposes -------------------------------------------------------------------------------------------
def declare_purpose(
    ws: Workspace,
    name: str,
    description: str,
    legal_basis: str,
    *,
    special_categories: bool = False,
    art9_condition: str | None = None,
    compatible_with: Iterable[str] = (),
) -> Purpose:
    access.can_administer(ws.actor, "declare a purpose").require()
    purpose = Purpose(
        name,
        description,
        legal_basis,
        special_categories,
        art9_condition,
        frozenset(compatible_with),
    )
    with ws.write_lock(), ws.catalog.transaction():
        store(ws).put_purpose(purpose, iso(now_utc()), ws.actor.to_dict())
        ws.emit(
            ev.PurposeDeclared(actor=ws.actor, target=f"purpose:{name}", details=purpose.to_dict())
        )
    return purpose


def set_dataset_purpose(ws: Workspace, dataset: str, purpose: str) -> DatasetPurpose:
    """Record the purpose ``dataset`` was collected for: reuse must be compatible with it."""
    access.can_administer(ws.actor, "set the purpose of a dataset").require()
    v = resolve(ws, dataset)
    st = store(ws)
    st.purpose(purpose)
    with ws.write_lock(), ws.catalog.transaction():
        st.set_dataset_purpose(v.dataset, purpose)
        ws.emit(
            ev.PurposeDeclared(
                actor=ws.actor, target=v.dataset, details={"collection_purpose": purpose}
            )
        )
    return DatasetPurpose(v.dataset, purpose)


# -- subject choices ---------------------------------------------------------------------------------------
def record_choices(ws: Workspace, choices: list[Consent | Objection]) -> ChoicesRecorded:
    """Record consents, withdrawals and objections (one audit event per batch, no ids in it)."""
    access.can_record_choices(ws.actor, (c.subject_id for c in choices)).require()
    st = store(ws)
    known = st.purposes()
    problems = sorted({c.purpose for c in choices if c.purpose not in known})
    if problems:
        raise InputError(f"unknown purpose(s): {', '.join(problems)}", Where(field="purpose"))
    with ws.write_lock(), ws.catalog.transaction():
        n = st.add_choices(choices, iso(now_utc()), ws.actor.name)
        kinds: dict[str, int] = {}
        for c in choices:
            k = c.status.value if isinstance(c, Consent) else "objected"
            kinds[k] = kinds.get(k, 0) + 1
        details: dict[str, Any] = {
            "events": n,
            "kinds": kinds,
            "purposes": sorted({c.purpose for c in choices}),
        }
        if n == 1:
            details["subject"] = subject_ref(ws, choices[0].subject_id)
        kind = ev.SubjectObjected if set(kinds) == {"objected"} else ev.ConsentChanged
        ws.emit(kind(actor=ws.actor, target="consents", details=details))
    receipts = [r for _, listen in CHOICE_LISTENERS.items() for r in listen(ws, choices)]
    return ChoicesRecorded(n, kinds, tuple(receipts))


def read_choices_csv(path) -> list[Consent | Objection]:
    """A CSV of ``subject_id,purpose,status,at[,source]`` (status: given, withdrawn, objected)."""
    import csv
    from pathlib import Path

    from bulle.errors import Problem, ValidationError

    path = Path(path)
    if not path.is_file():
        raise InputError("no such file", Where(file=str(path)))
    out: list[Consent | Objection] = []
    problems: list[Problem] = []
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            reader = csv.DictReader(f)
            missing = {"subject_id", "purpose", "status", "at"} - set(reader.fieldnames or [])
            if missing:
                raise InputError(
                    f"missing column(s): {', '.join(sorted(missing))}",
                    Where(file=str(path), line=1),
                )
            for row in reader:
                where = Where(file=str(path), line=reader.line_num)
                try:
                    source = row.get("source") or f"import:{path.name}"
                    if row["status"] == "objected":
                        out.append(Objection(row["subject_id"], row["purpose"], row["at"], source))
                    else:
                        out.append(
                            Consent(
                                row["subject_id"], row["purpose"], row["status"], row["at"], source
                            )
                        )
                except InputError as exc:
                    problems.append(
                        Problem(
                            exc.message + "".join(f"; {p.message}" for p in exc.problems), where
                        )
                    )
                if len(problems) >= 50:
                    break
    except UnicodeDecodeError:
        raise InputError("not valid UTF-8", Where(file=str(path))) from None
    if problems:
        raise ValidationError.from_problems(f"invalid consents in {path}", problems)
    return out


# -- projects ----------------------------------------------------------------------------------------------
def create_project(
    ws: Workspace,
    name: str,
    purpose: str,
    datasets: dict[str, list[str]],
    members: list[tuple[str, str]],
    valid_from: Any,
    valid_until: Any,
    description: str = "",
    *,
    kind: str | dict[str, str] | None = None,
) -> Project:
    """Create (or replace, unapproved) a project.

    ``datasets`` maps ``NAME@N`` (that version) or ``NAME`` (bound to a kind) to columns; ``kind``
    is the kind for every bare ``NAME``, or a mapping from dataset name to kind.
    """
    access.can_administer(ws.actor, "create a project").require()
    st = store(ws)
    project = Project(
        name=name,
        purpose=st.purpose(purpose),
        datasets=tuple(_use(ref, cols, kind) for ref, cols in datasets.items()),
        members=tuple(Member(n, r) for n, r in members),
        valid_from=valid_from,
        valid_until=valid_until,
        description=description,
    )
    if isinstance(kind, dict):
        stray = sorted(set(kind) - {u.dataset for u in project.datasets})
        if stray:
            raise InputError(
                f"--kind names dataset(s) the project does not read: {', '.join(stray)}",
                Where(field="kind"),
            )
    for use in project.datasets:  # every dataset, and every pinned version, exists
        resolve(ws, use.dataset if use.version is None else use.binding, for_use=False)
    check_members(ws, project.members)  # once there are accounts, members name them
    with ws.write_lock(), ws.catalog.transaction():
        st.put_project(project, iso(now_utc()))
        ws.emit(
            ev.ProjectChanged(actor=ws.actor, target=f"project:{name}", details=project.to_dict())
        )
    return project


def _use(ref: str, columns: list[str], kind: str | dict[str, str] | None) -> dict[str, Any]:
    """One dataset use as the project validates it (so that every use's problems are reported at once)."""
    name, pinned, number = ref.partition("@")
    k = kind.get(name) if isinstance(kind, dict) else kind
    if pinned and not isinstance(kind, dict):
        k = None  # a project-wide kind applies to the datasets named without a version
    version: Any = (int(number) if number.isdigit() else number) if pinned else None
    return {"dataset": name, "columns": tuple(columns), "version": version, "kind": k}


def approve_project(
    ws: Workspace, name: str, *, allow_raw: bool = False, row_access: str | None = None
) -> Project:
    """Approve ``name``; raw data (an import, or a binding reaching one) needs ``allow_raw``.

    ``row_access`` (none, view, export) is the project's decision on rows; None: ``none`` when a
    binding reaches personal data that is not anonymized, ``export`` otherwise. ``export`` is
    refused for such a binding: files leave only from anonymized versions.
    """
    st = store(ws)
    project = st.project(name)
    decision = access.can_approve(ws.actor, project)
    decision.require()
    raw = raw_bindings(ws, project)
    if raw and not allow_raw:
        raise InputError(
            f"project {name!r} is bound to raw data ({'; '.join(raw)}): approve it with --allow-raw "
            "to serve raw data, or bind it to pseudonymized or anonymized versions",
            Where(field="allow_raw"),
        )
    personal = personal_bindings(ws, project)
    if row_access is None:
        rows = RowAccess.NONE if personal else RowAccess.EXPORT
    else:
        try:
            rows = RowAccess(row_access)
        except ValueError:
            raise InputError(
                f"unknown row access {row_access!r}: use none, view or export",
                Where(field="row_access"),
            ) from None
    if rows is RowAccess.EXPORT and personal:
        raise InputError(
            f"project {name!r} reads personal data that is not anonymized ({'; '.join(personal)}): "
            "row access `export` is only for anonymized versions; use view or none",
            Where(field="row_access"),
        )
    approved = project.approve(ws.actor, now_utc(), allow_raw=allow_raw, row_access=rows)
    with ws.write_lock(), ws.catalog.transaction():
        st.put_project(approved, iso(now_utc()))
        ws.emit(
            ev.ProjectApproved(
                actor=ws.actor,
                target=f"project:{name}",
                details={
                    "purpose": project.purpose.name,
                    "approved_at": iso(approved.approval.at),
                    "allow_raw": allow_raw,
                    "row_access": rows.value,
                    "datasets": [u.binding for u in project.datasets],
                },
            )
        )
    return approved


def raw_bindings(ws: Workspace, project: Project) -> list[str]:
    """The uses of ``project`` that reach raw data now (or, bound to imports, always will)."""
    out = []
    for use in project.datasets:
        if use.kind is VersionKind.IMPORT:
            out.append(use.binding)
            continue
        v = bound_version(ws, use)
        if v is not None and is_raw(ws, v):
            out.append(f"{use.binding}: {v.ref} is raw" if use.version is None else use.binding)
    return out


def personal_bindings(ws: Workspace, project: Project) -> list[str]:
    """The uses of ``project`` that may serve personal data that is not anonymized."""
    out = []
    for use in project.datasets:
        v = bound_version(ws, use)
        kind = use.kind if v is None else v.kind
        if kind is not VersionKind.ANONYMIZE and (v is None or v.personal_data):
            out.append(use.binding)
    return out


def list_purposes(ws: Workspace) -> list[Purpose]:
    return list(store(ws).purposes().values())


def list_projects(ws: Workspace) -> list[Project]:
    return store(ws).projects()


def bound_version(ws: Workspace, use: DatasetUse) -> DatasetVersion | None:
    """The version ``use`` serves now: its pinned version, or the newest of its kind (None if none)."""
    if use.version is not None:
        try:
            return ws.catalog.resolve(VersionRef(use.dataset, use.version))
        except NotFoundError:
            return None
    of_kind = [v for v in ws.catalog.versions(use.dataset) if v.kind is use.kind]
    return max(of_kind, key=lambda v: v.number) if of_kind else None


def is_raw(ws: Workspace, v: DatasetVersion, _seen: frozenset[str] = frozenset()) -> bool:
    """True unless a pseudonymization or an anonymization lies on every path from ``v`` to an import.

    Text de-identification alone does not count: it rewrites free text and keeps the other
    columns, subject ids included, as they were. A version with several parents is raw when any of
    them is; a lineage that cannot be followed (a missing parent, a cycle) counts as raw.
    """
    if v.kind in (VersionKind.PSEUDONYMIZE, VersionKind.ANONYMIZE):
        return False
    if v.kind is VersionKind.IMPORT or not v.parents or v.ref in _seen:
        return True
    for ref in v.parents:
        try:
            parent = ws.catalog.resolve(ref)
        except (NotFoundError, InputError):
            return True
        if is_raw(ws, parent, _seen | {v.ref}):
            return True
    return False


# -- reads -------------------------------------------------------------------------------------------------
def governed(ws: Workspace, v: DatasetVersion) -> GovernedDataset:
    st = store(ws)
    purpose_name = st.dataset_purpose(v.dataset)
    if purpose_name is None:
        raise AccessDenied(
            f"dataset {v.dataset!r} has no declared collection purpose: a custodian sets it with "
            f"`bulle dataset-purpose {v.dataset} PURPOSE`"
        )
    roles = ws.catalog.roles(v.dataset, v.number)
    subject = next((r.column for r in roles if r.role is ColumnRole.SUBJECT_ID), None)
    special = frozenset(r.column for r in roles if r.role is ColumnRole.SPECIAL_CATEGORY)
    names = tuple(c["name"] for c in v.schema)
    return GovernedDataset(
        v.dataset,
        st.purpose(purpose_name),
        names,
        subject,
        special & set(names),
        personal=v.personal_data,
        version=v.number,
        kind=v.kind,
        raw=is_raw(ws, v),
    )


def read_for_project(
    ws: Workspace,
    project_name: str,
    ref: str,
    columns: list[str] | None = None,
    *,
    at: dt.datetime | None = None,
) -> pa.Table:
    """Rows of ``ref`` that ``project_name`` may see now: declared columns, visible people only."""
    return read_served(ws, project_name, ref, columns, at=at)[0]


def read_served(
    ws: Workspace,
    project_name: str,
    ref: str,
    columns: list[str] | None = None,
    *,
    at: dt.datetime | None = None,
    delivery: str | None = None,
) -> tuple[pa.Table, DatasetVersion]:
    """Like :func:`read_for_project`, with the version served (``NAME`` reads the bound one).

    ``delivery`` is how the rows leave: ``show`` (on screen) or ``file`` (a download), checked
    against the approval's row access; None is the local caller holding the workspace's files
    (custodian-equivalent), to whom a project's row access does not apply.
    """
    from bulle.storage.engine import VISIBLE_READ

    ws.engine.require(VISIBLE_READ)
    read, v, project = plan_read(ws, project_name, ref, columns, at=at)
    if delivery is not None:
        require_row_access(ws, project, v, delivery)
    table = ws.engine.read_visible(read)
    summary = read.summary()
    record_read(ws, project, v, table.num_rows, summary)
    return table, v


def plan_read(
    ws: Workspace,
    project_name: str,
    ref: str,
    columns: list[str] | None = None,
    *,
    at: dt.datetime | None = None,
) -> tuple[VisibleRead, DatasetVersion, Project]:
    """Decide a read and return it, for the engine to perform (refusals are audited and raised)."""
    at = at or now_utc()
    st = store(ws)
    project = st.project(project_name)
    wanted = VersionRef.parse(ref)
    use = project.use_of(wanted.dataset)
    bound = bound_version(ws, use) if use is not None else None
    v = resolve(ws, bound.ref if wanted.number is None and bound is not None else ref)
    gd = governed(ws, v)
    latest = (
        bound.number if use is not None and use.kind is not None and bound is not None else None
    )
    decision = access.can_read(ws.actor, project, gd, columns, at=at, latest_of_kind=latest)
    if not decision.allowed:
        ws.emit(
            ev.DatasetRead(
                actor=ws.actor,
                target=v.ref,
                details={
                    "project": project.name,
                    "allowed": False,
                    "denials": [d.rule.value for d in decision.denials],
                },
            )
        )
        decision.require()
    choices = None
    if gd.subject_column and gd.personal:
        choices = snapshot(ws.catalog, ws.root / "cache", _tokenization(ws, v, gd.subject_column))
    id_column = "token" if choices is not None and "-tok-" in choices.name else "subject_id"
    read = VisibleRead(
        ws.path_of(v),
        tuple(decision.columns),
        gd.subject_column if gd.personal else None,
        project.purpose,
        iso(at),
        choices,
        id_column,
    )
    return read, v, project


def require_row_access(ws: Workspace, project: Project, v: DatasetVersion, delivery: str) -> None:
    """Refuse (and record) rows leaving a project in a way its approval's row access does not allow."""
    decision = access.can_receive_rows(ws.actor, project, v, delivery)
    if not decision.allowed:
        ws.emit(
            ev.DatasetRead(
                actor=ws.actor,
                target=v.ref,
                details={
                    "project": project.name,
                    "allowed": False,
                    "denials": [d.rule.value for d in decision.denials],
                },
            )
        )
        decision.require()


def record_read(
    ws: Workspace, project: Project, v: DatasetVersion, rows: int, summary: dict[str, Any]
) -> None:
    with ws.write_lock(), ws.catalog.transaction():
        store(ws).record_read(
            project.name,
            project.purpose.name,
            v.dataset,
            v.number,
            ws.actor.name,
            summary["at"],
            rows,
            summary,
        )
        ws.emit(
            ev.DatasetRead(
                actor=ws.actor,
                target=v.ref,
                details={
                    "project": project.name,
                    "purpose": project.purpose.name,
                    "allowed": True,
                    "rows": rows,
                    "filter": summary["mode"],
                },
            )
        )


def _tokenization(ws: Workspace, v: DatasetVersion, subject_column: str) -> Tokenization | None:
    """If ``v``'s subject column holds tokens, how they were made (walking up the lineage)."""
    current = v
    while current.kind is not VersionKind.IMPORT and current.parents:
        op = current.operation
        if op.get("name") == "pseudonymize" and subject_column in op.get("columns", {}):
            key_id, key = ws.keys.pseudonym_key(op["key_id"])
            return Tokenization(key_id, key, op["columns"][subject_column])
        current = ws.catalog.resolve(current.parents[0])
    return None


def query_for_project(
    ws: Workspace, project_name: str, sql: str, *, timeout_s: float | None = None
) -> pa.Table:
    """Run an analyst's SQL over the project's filtered views and return the whole result.

    The result is bounded by the workspace's result budget and row cap (``query.*`` settings);
    :func:`stream_query_for_project` hands it over batch by batch instead.
    """
    with stream_query_for_project(ws, project_name, sql, timeout_s=timeout_s) as result:
        return result.read_all()


@contextmanager
def stream_query_for_project(
    ws: Workspace,
    project_name: str,
    sql: str,
    *,
    timeout_s: float | None = None,
    delivery: str | None = None,
) -> Iterator[ResultStream]:
    """Run an analyst's SQL over the project's filtered views, on a locked-down connection.

    Each dataset of the project is read for the project (declared columns, visible people only)
    and handed to the executor as an in-memory table named after the dataset; the SQL never sees
    a file, a setting or the workspace. The result streams in Arrow batches within the limits of
    the workspace's ``query.*`` settings (``timeout_s`` None: ``query.timeout_default_s``);
    the audit event, emitted when the ``with`` block ends, counts the rows handed over (and names
    the limit that stopped the query, if one did).
    """
    from bulle.storage.engine import VISIBLE_READ
    from bulle.storage.sql_lockdown import Limits, LockedSession

    # The rows come through the engine's filtered read (any engine that has one); the SQL itself
    # runs in-process on an empty, locked-down DuckDB over those Arrow tables, whatever the engine.
    ws.engine.require(VISIBLE_READ)
    limits = Limits.from_settings(ws.settings, timeout_s)  # checked before any data is read
    project = store(ws).project(project_name)
    tables, served = {}, []
    for use in project.datasets:  # exactly the versions `read NAME` serves: the project's bindings
        name = use.dataset.replace("-", "_").replace(".", "_")
        tables[name], v = read_served(ws, project_name, use.dataset, delivery=delivery)
        served.append(v.ref)
    with LockedSession(tables, limits) as session, session.stream(sql) as result:
        details: dict[str, Any] = {
            "query": True,
            "tables": sorted(tables),
            "versions": sorted(served),
        }
        try:
            yield result
        except BulleError as exc:
            details["stopped"] = exc.code
            raise
        finally:
            details["rows"] = result.rows
            ws.emit(
                ev.DatasetRead(actor=ws.actor, target=f"project:{project_name}", details=details)
            )
