"""Projects: the only way an analyst gets to personal data.

A project binds people (members with roles) to one purpose, the datasets that purpose needs, the
columns it needs in each (data minimisation, art. 5(1)(c)), and a validity window (storage
limitation, art. 5(1)(e)). It is inert until a custodian approves it; any revision drops the
approval, so what was approved is exactly what runs.

A dataset is not one table but a series of versions (the raw import, its pseudonymized and
anonymized versions...), so each dataset use is bound either to one version (``NAME@N``) or to a
kind of version (the latest ``pseudonymize`` version, say): a project approved for pseudonymized
data must never be served the raw import it was made from. Raw data needs the approval's own
``allow_raw`` flag, so that a custodian grants it explicitly and the audit log records it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bulle.domain.actor import Actor, Role
from bulle.domain.datasets import VersionKind
from bulle.domain.governance_fields import Checker, iso, set_fields
from bulle.domain.purposes import Purpose
from bulle.errors import AccessDenied, ValidationError

MEMBER_ROLES = frozenset({Role.ANALYST, Role.CUSTODIAN, Role.CHECKER})


@dataclass(frozen=True)
class DatasetUse:
    """One dataset a project reads, the columns it declared it needs, and which versions.

    Exactly one of ``version`` (this version and no other) and ``kind`` (the latest version of
    this kind at each read) is set: a use bound to nothing would follow whatever version is newest,
    raw imports included.
    """

    dataset: str
    columns: tuple[str, ...]
    version: int | None = None
    kind: VersionKind | None = None

    def __post_init__(self) -> None:
        c = Checker(f"dataset use {self.dataset!r}")
        c.name(self.dataset, "dataset")
        columns = _column_names(c, self.columns, "columns")
        version = self.version
        if version is not None and (
            isinstance(version, bool) or not isinstance(version, int) or version < 1
        ):
            c.add(f"{version!r} is not a version number (an integer from 1)", "version")
        kind = c.enum(VersionKind, self.kind, "kind", required=False)
        if version is None and self.kind is None:
            c.add(
                f"bind {self.dataset!r} to a version ({self.dataset}@N) or to a kind of version "
                f"({', '.join(k.value for k in VersionKind)})",
                "version",
            )
        elif version is not None and self.kind is not None:
            c.add("bind a dataset to a version or to a kind of version, not both", "kind")
        c.done()
        set_fields(self, columns=columns, kind=kind)

    @property
    def binding(self) -> str:
        """How refusals and listings name what the use is bound to."""
        if self.version is not None:
            return f"{self.dataset}@{self.version}"
        return f"the latest {self.kind.value if self.kind else '?'} version of {self.dataset}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "columns": list(self.columns),
            "version": self.version,
            "kind": self.kind.value if self.kind is not None else None,
        }

    @classmethod
    def parse(cls, ref: Any, columns: Any, kind: Any = None) -> DatasetUse:
        """``NAME@N`` pins a version; a bare ``NAME`` takes ``kind``."""
        if isinstance(ref, str) and "@" in ref:
            name, _, number = ref.partition("@")
            return cls(name, columns, int(number) if number.isdigit() else number, kind)  # type: ignore[arg-type]
        return cls(ref, columns, None, kind)


@dataclass(frozen=True)
class Member:
    name: str
    role: Role

    def __post_init__(self) -> None:
        c = Checker(f"member {self.name!r}")
        c.text(self.name, "name")
        role = c.enum(Role, self.role, "role")
        if role is not None and role not in MEMBER_ROLES:
            c.add(
                f"a project member is an analyst, a custodian or an output checker, not a {role.value}",
                "role",
            )
        c.done()
        set_fields(self, role=role)

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "role": self.role.value}


class RowAccess(StrEnum):
    """What an approved project may do with rows, decided at approval.

    ``none``: no rows leave (analyses run where the data is, and only their checked outputs do);
    ``view``: rows shown on screen, page by page, every view audited, no file; ``export``: files
    too, and only of anonymized versions. Until the analysis bubble lands, ``view`` is the most a
    project reading personal data gets.
    """

    NONE = "none"
    VIEW = "view"
    EXPORT = "export"

    def allows(self, delivery: str) -> bool:
        """``show`` (rows on screen) needs view or export; ``file`` needs export."""
        if delivery == "file":
            return self is RowAccess.EXPORT
        return self is not RowAccess.NONE


@dataclass(frozen=True)
class Approval:
    """Who approved the project, when, and whether raw (not pseudonymized) versions may be served.

    Only a custodian can approve. ``allow_raw`` is false unless the custodian said so: a binding
    that reaches a raw import is refused at every read without it.
    """

    by: Actor
    at: dt.datetime
    allow_raw: bool = False
    row_access: RowAccess = RowAccess.VIEW  # approvals recorded before row access: shown rows

    def __post_init__(self) -> None:
        c = Checker("approval")
        if not isinstance(self.by, Actor):
            c.add("expected the approving actor", "by")
        elif self.by.role is not Role.CUSTODIAN:
            c.add(
                f"only a custodian approves a project; {self.by.name!r} is a {self.by.role.value}",
                "by",
            )
        at = c.instant(self.at, "at")
        if not isinstance(self.allow_raw, bool):
            c.add(f"expected true or false, got {self.allow_raw!r}", "allow_raw")
        try:
            row_access = RowAccess(self.row_access)
        except ValueError:
            c.add(
                f"expected one of {', '.join(r.value for r in RowAccess)}, got {self.row_access!r}",
                "row_access",
            )
            row_access = RowAccess.NONE
        c.done()
        set_fields(self, at=at, row_access=row_access)

    def to_dict(self) -> dict[str, Any]:
        return {
            "by": self.by.to_dict(),
            "at": iso(self.at),
            "allow_raw": self.allow_raw,
            "row_access": self.row_access.value,
        }


@dataclass(frozen=True)
class Project:
    name: str
    purpose: Purpose
    datasets: tuple[DatasetUse, ...]
    members: tuple[Member, ...]
    valid_from: dt.datetime
    valid_until: dt.datetime
    approval: Approval | None = None
    description: str = ""

    def __post_init__(self) -> None:
        c = Checker(f"project {self.name!r}")
        c.name(self.name, "name")
        if not isinstance(self.purpose, Purpose):
            c.add("expected a declared purpose", "purpose")
        datasets = _dataset_uses(c, self.datasets)
        members = _members(c, self.members)
        start = c.instant(self.valid_from, "valid_from")
        end = c.instant(self.valid_until, "valid_until")
        if start is not None and end is not None and end <= start:
            c.add("the project must end after it starts", "valid_until")
        if self.approval is not None:
            if not isinstance(self.approval, Approval):
                c.add("expected an approval", "approval")
            elif end is not None and self.approval.at >= end:
                c.add("approved after the end of its validity: it could never be used", "approval")
        c.text(self.description, "description", required=False)
        c.done()
        set_fields(self, datasets=datasets, members=members, valid_from=start, valid_until=end)

    # --- questions access decisions ask --------------------------------------------------------
    def use_of(self, dataset: str) -> DatasetUse | None:
        return next((u for u in self.datasets if u.dataset == dataset), None)

    def member(self, name: str) -> Member | None:
        return next((m for m in self.members if m.name == name), None)

    def is_valid_at(self, at: dt.datetime) -> bool:
        """The validity window is half-open: from ``valid_from`` included to ``valid_until`` excluded."""
        return self.valid_from <= at < self.valid_until

    def is_approved_at(self, at: dt.datetime) -> bool:
        return self.approval is not None and self.approval.at <= at

    # --- changes -------------------------------------------------------------------------------
    def approve(
        self,
        by: Actor,
        at: dt.datetime,
        *,
        allow_raw: bool = False,
        row_access: RowAccess | str = RowAccess.VIEW,
    ) -> Project:
        if not isinstance(by, Actor) or by.role is not Role.CUSTODIAN:
            who = getattr(by, "name", by)
            raise AccessDenied(f"only a custodian approves a project; {who!r} is not one")
        return dataclasses.replace(
            self,
            approval=Approval(by, at, allow_raw, row_access),  # type: ignore[arg-type]
        )

    @property
    def row_access(self) -> RowAccess:
        return self.approval.row_access if self.approval is not None else RowAccess.NONE

    @property
    def allows_raw(self) -> bool:
        return self.approval is not None and self.approval.allow_raw

    def revise(self, **changes: Any) -> Project:
        """A changed project needs a new approval: what a custodian approved is what runs."""
        if "approval" in changes:
            raise ValueError("revise() drops the approval; use approve() to approve the revision")
        return dataclasses.replace(self, approval=None, **changes)

    # --- stored form ---------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "purpose": self.purpose.name,
            "datasets": [u.to_dict() for u in self.datasets],
            "members": [m.to_dict() for m in self.members],
            "valid_from": iso(self.valid_from),
            "valid_until": iso(self.valid_until),
            "approval": self.approval.to_dict() if self.approval else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], purposes: Mapping[str, Purpose]) -> Project:
        """Rebuild a project; its purpose is stored by name and resolved against ``purposes``."""
        c = Checker(f"project {data.get('name')!r}")
        purpose = purposes.get(data.get("purpose"))  # type: ignore[arg-type]
        if purpose is None:
            c.add(f"unknown purpose {data.get('purpose')!r}", "purpose")
        approval = data.get("approval")
        by = approval.get("by") if isinstance(approval, Mapping) else None
        if approval is not None and not (
            isinstance(by, Mapping)
            and isinstance(by.get("name"), str)
            and isinstance(by.get("role"), str)
        ):
            c.add("expected the approval's fields: by (name and role), at, allow_raw", "approval")
        c.done()
        return cls(
            name=data.get("name"),  # type: ignore[arg-type]
            purpose=purpose,  # type: ignore[arg-type]
            datasets=data.get("datasets") or (),  # type: ignore[arg-type]
            members=data.get("members") or (),  # type: ignore[arg-type]
            valid_from=data.get("valid_from"),  # type: ignore[arg-type]
            valid_until=data.get("valid_until"),  # type: ignore[arg-type]
            approval=Approval(
                Actor(by["name"], by["role"]),
                approval.get("at"),  # type: ignore[index]
                approval.get("allow_raw", False),
                approval.get("row_access", RowAccess.VIEW.value),
            )
            if approval is not None
            else None,
            description=data.get("description", ""),
        )


def _column_names(c: Checker, columns: Any, field: str) -> tuple[str, ...]:
    """Column names are whatever the dataset has (spaces, accents): only emptiness and repeats are errors."""
    if isinstance(columns, str) or not isinstance(columns, Iterable):
        c.add("expected a list of column names", field)
        return ()
    out: list[str] = []
    for i, col in enumerate(columns):
        if not isinstance(col, str) or not col:
            c.add(f"{col!r} is not a column name", f"{field}[{i}]")
        elif col in out:
            c.add(f"column {col!r} is listed twice", f"{field}[{i}]")
        else:
            out.append(col)
    if not out and not c.problems:
        c.add("declare at least one column", field)
    return tuple(out)


def _dataset_uses(c: Checker, value: Any) -> tuple[DatasetUse, ...]:
    """Accepts DatasetUse objects, {"dataset", "columns", "version"|"kind"} dicts, or {"NAME@N": columns}."""
    items: list[Any]
    if isinstance(value, Mapping):
        items = list(value.items())
    elif isinstance(value, Iterable) and not isinstance(value, str):
        items = list(value)
    else:
        c.add("expected the datasets the project reads", "datasets")
        return ()
    uses: list[DatasetUse] = []
    for i, item in enumerate(items):
        try:
            if isinstance(item, DatasetUse):
                use = item
            elif isinstance(item, tuple) and len(item) in (2, 3):
                use = DatasetUse.parse(*item)
            elif isinstance(item, Mapping):
                use = DatasetUse(
                    item.get("dataset"),
                    item.get("columns"),  # type: ignore[arg-type]
                    item.get("version"),
                    item.get("kind"),
                )
            else:
                c.add(f"expected a dataset and its columns, got {item!r}", f"datasets[{i}]")
                continue
        except ValidationError as exc:  # fold the use's own problems into the project's
            for p in exc.problems:
                c.add(p.message, f"datasets[{i}].{p.where.field}")
            continue
        if any(u.dataset == use.dataset for u in uses):
            c.add(f"dataset {use.dataset!r} is listed twice", f"datasets[{i}]")
            continue
        uses.append(use)
    if not uses and not any(
        p.where.field and p.where.field.startswith("datasets") for p in c.problems
    ):
        c.add("a project reads at least one dataset", "datasets")
    return tuple(uses)


def _members(c: Checker, value: Any) -> tuple[Member, ...]:
    """Accepts Member objects, {"name":..., "role":...} dicts, or {name: role}."""
    if isinstance(value, Mapping):
        items: list[Any] = list(value.items())
    elif isinstance(value, Iterable) and not isinstance(value, str):
        items = list(value)
    else:
        c.add("expected the project's members", "members")
        return ()
    members: list[Member] = []
    for i, item in enumerate(items):
        try:
            if isinstance(item, Member):
                member = item
            elif isinstance(item, tuple) and len(item) == 2:
                member = Member(item[0], item[1])
            elif isinstance(item, Mapping):
                member = Member(item.get("name"), item.get("role"))  # type: ignore[arg-type]
            else:
                c.add(f"expected a member name and role, got {item!r}", f"members[{i}]")
                continue
        except ValidationError as exc:
            for p in exc.problems:
                c.add(p.message, f"members[{i}].{p.where.field}")
            continue
        if any(m.name == member.name for m in members):
            c.add(f"{member.name!r} is listed twice", f"members[{i}]")
            continue
        members.append(member)
    if not members and not any(
        p.where.field and p.where.field.startswith("members") for p in c.problems
    ):
        c.add("a project has at least one member", "members")
    return tuple(members)
