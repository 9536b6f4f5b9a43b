"""The registers a public body and its DPO keep: the public transparency register of approved
projects, and the record of processing activities of GDPR art. 30.

The public register is read by anyone, without signing in: it names projects, their purpose,
legal basis, the categories of data they use and their period, and nothing about a person (no
member, no approver, no subject, no value). The record of processing activities is the DPO's and
the custodian's (``can_view_audit_log``: the same people who answer for the processing).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bulle.audit import events as ev
from bulle.catalog.register_store import FIELDS, RegisterStore
from bulle.errors import InputError, Problem, ValidationError, Where
from bulle.governance import access
from bulle.services.results import Result

if TYPE_CHECKING:
    from bulle.domain.datasets import DatasetVersion
    from bulle.domain.projects import Project
    from bulle.workspace import Workspace

# What a column's role says about the data, in the words of a register (art. 30(1)(c)).
CATEGORY_OF_ROLE = {
    "subject_id": "identifiers of people (pseudonymized where the lineage says so)",
    "direct_identifier": "direct identifiers",
    "quasi_identifier": "indirectly identifying data",
    "special_category": "special categories of data (GDPR art. 9)",
    "free_text": "free text",
    "other": "other data",
}
SECURITY_MEASURES = (
    "accounts with roles, Argon2id passwords, sessions with CSRF protection, API tokens",
    "deny-by-default permissions on every route; access decisions recorded",
    "pseudonymization with a custodian-held key; anonymization with measured risk",
    "analysts reach rows only through approved projects, filtered by consent and objection",
    "tamper-evident, signed and hash-chained audit log, verifiable against witnesses",
    "workspace files private to the server's account; atomic writes",
)


@dataclass(frozen=True)
class PublicProject(Result):
    name: str
    description: str
    purpose: str
    purpose_description: str
    legal_basis: str
    special_categories: bool
    art9_condition: str | None
    datasets: list[str]
    data_categories: list[str]
    valid_from: str
    valid_until: str
    approved_on: str
    row_access: str
    outcomes: str


@dataclass(frozen=True)
class ProcessingActivity(Result):
    purpose: str
    description: str
    legal_basis: str
    special_categories: bool
    art9_condition: str | None
    datasets: list[str]
    data_categories: list[str]
    projects: list[str]
    recipients: list[str]
    people: str
    retention: str
    sources: list[str]


@dataclass(frozen=True)
class RegisterDetails(Result):
    kind: str
    name: str
    fields: dict[str, str]


@dataclass(frozen=True)
class ProcessingRegister(Result):
    controller: str
    security_measures: list[str]
    activities: list[ProcessingActivity]


def _categories(
    ws: Workspace, v: DatasetVersion | None, columns: tuple[str, ...] | None
) -> set[str]:
    """What the roles of ``v``'s columns (those named, or all) say about the data."""
    if v is None:
        return set()
    return {
        CATEGORY_OF_ROLE[r.role.value]
        for r in ws.catalog.roles(v.dataset, v.number)
        if columns is None or r.column in columns
    }


def _latest(ws: Workspace, dataset: str) -> DatasetVersion | None:
    versions = ws.catalog.versions(dataset)
    return versions[-1] if versions else None


def _approved(project: Project) -> bool:
    return project.approval is not None


def public_register(ws: Workspace) -> list[PublicProject]:
    """Approved projects as the public may see them (no personal data: see the module's note)."""
    from bulle.services.governance import bound_version, list_projects

    details = RegisterStore(ws.catalog).details("project")
    out = []
    for p in list_projects(ws):
        if not _approved(p):
            continue
        assert p.approval is not None
        categories: set[str] = set()
        for use in p.datasets:
            categories |= _categories(ws, bound_version(ws, use), use.columns)
        out.append(
            PublicProject(
                name=p.name,
                description=p.description,
                purpose=p.purpose.name,
                purpose_description=p.purpose.description,
                legal_basis=p.purpose.legal_basis.value,
                special_categories=p.purpose.special_categories,
                art9_condition=p.purpose.art9_condition.value
                if p.purpose.art9_condition is not None
                else None,
                datasets=sorted({u.dataset for u in p.datasets}),
                data_categories=sorted(categories),
                valid_from=p.valid_from.date().isoformat(),
                valid_until=p.valid_until.date().isoformat(),
                approved_on=p.approval.at.date().isoformat(),
                row_access=p.row_access.value,
                outcomes=details.get(p.name, {}).get("outcomes", ""),
            )
        )
    return sorted(out, key=lambda e: e.name)


def processing_register(ws: Workspace) -> ProcessingRegister:
    """The record of processing activities (GDPR art. 30(1)), one activity per purpose."""
    from bulle.services.governance import list_projects, list_purposes, store

    access.can_view_audit_log(ws.actor).require()
    st = store(ws)
    registered = RegisterStore(ws.catalog)
    of_purpose, of_dataset = registered.details("purpose"), registered.details("dataset")
    of_project = registered.details("project")
    datasets = {v.dataset for v in ws.catalog.versions()}
    projects = list_projects(ws)
    activities = []
    for purpose in sorted(list_purposes(ws), key=lambda p: p.name):
        held = sorted(d for d in datasets if st.dataset_purpose(d) == purpose.name)
        using = [p for p in projects if p.purpose.name == purpose.name]
        categories: set[str] = set()
        for d in held:
            categories |= _categories(ws, _latest(ws, d), None)
        mine = of_purpose.get(purpose.name, {})
        recipients = sorted(
            {
                f"{m.role.value} of project {p.name}"
                for p in using
                if _approved(p)
                for m in p.members
            }
            | {
                of_project[p.name]["recipients"]
                for p in using
                if "recipients" in of_project.get(p.name, {})
            }
            | ({mine["recipients"]} if "recipients" in mine else set())
        )
        activities.append(
            ProcessingActivity(
                purpose=purpose.name,
                description=purpose.description,
                legal_basis=purpose.legal_basis.value,
                special_categories=purpose.special_categories,
                art9_condition=purpose.art9_condition.value
                if purpose.art9_condition is not None
                else None,
                datasets=held,
                data_categories=sorted(categories),
                projects=sorted(p.name for p in using),
                recipients=recipients,
                people=mine.get("people", ""),
                retention=mine.get("retention", ""),
                sources=[
                    f"{d}: {of_dataset[d]['source']}"
                    for d in held
                    if "source" in of_dataset.get(d, {})
                ],
            )
        )
    return ProcessingRegister(
        controller=str(ws.settings["register.controller"]),
        security_measures=list(SECURITY_MEASURES),
        activities=activities,
    )


MAX_FIELD = 4000  # custodian prose, like a purpose's description


def set_register_details(
    ws: Workspace, kind: str, name: str, fields: dict[str, str]
) -> RegisterDetails:
    """Set what the registers say of a purpose, dataset or project (custodian only, audited);
    an empty value removes the field. Every problem is reported at once."""
    from bulle.services.governance import store

    access.can_administer(ws.actor, "fill the register of processing activities").require()
    if kind not in FIELDS:
        raise InputError(f"unknown kind {kind!r}: {', '.join(FIELDS)}", Where(field="kind"))
    problems = [
        Problem(
            f"{kind}s have no field {k!r} (they have {', '.join(FIELDS[kind])})", Where(field=k)
        )
        for k in fields
        if k not in FIELDS[kind]
    ]
    problems += [
        Problem(f"at most {MAX_FIELD} characters", Where(field=k))
        for k, v in fields.items()
        if len(v) > MAX_FIELD
    ]
    if problems:
        raise ValidationError.from_problems("register details", problems)
    if kind == "purpose":
        store(ws).purpose(name)  # NotFoundError when there is no such purpose
    elif kind == "project":
        store(ws).project(name)
    elif not ws.catalog.versions(name):
        raise InputError(f"no dataset {name!r}", Where(field="name"))
    cleaned = {k: v.strip() for k, v in fields.items()}
    at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    with ws.write_lock(), ws.catalog.transaction():
        RegisterStore(ws.catalog).put(kind, name, cleaned, at, ws.actor.name)
        ws.emit(
            ev.RegisterDetailsSet(
                actor=ws.actor,
                target=f"{kind}:{name}",
                details={"kind": kind, "name": name, "fields": cleaned},
            )
        )
    return RegisterDetails(kind, name, RegisterStore(ws.catalog).details(kind).get(name, {}))


def register_details(ws: Workspace, kind: str) -> dict[str, dict[str, str]]:
    """What the registers say of every ``kind`` object (the custodian's and the DPO's view)."""
    access.can_view_audit_log(ws.actor).require()
    return RegisterStore(ws.catalog).details(kind)
