"""Datasets, versions and column roles: the vault's vocabulary, validated, with no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bulle.errors import InputError, Where

NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,127}$")


class ColumnRole(StrEnum):
    SUBJECT_ID = "subject_id"  # links rows to a data subject
    DIRECT_IDENTIFIER = "direct_identifier"  # identifies a person on its own (name, NIR, e-mail)
    QUASI_IDENTIFIER = "quasi_identifier"  # identifies in combination (birth date, postcode, sex)
    SPECIAL_CATEGORY = "special_category"  # GDPR art. 9 data (health, ethnic origin, religion...)
    FREE_TEXT = "free_text"  # prose that may hold any of the above
    OTHER = "other"


class VersionKind(StrEnum):
    IMPORT = "import"
    PSEUDONYMIZE = "pseudonymize"
    ANONYMIZE = "anonymize"
    TEXT = "text"
    ERASURE = "erasure"
    DERIVED = "derived"
    SYNTHETIC = "synthetic"  # made by a synthesizer; personal data until a custodian marks it


class VersionStatus(StrEnum):
    ACTIVE = "active"
    NEEDS_RECOMPUTE = "needs_recompute"  # withheld from use until recomputed (after an erasure)


def validate_dataset_name(name: str) -> str:
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise InputError(
            f"invalid dataset name {name!r}: use letters, digits, '_', '-', '.', starting with a letter",
            Where(field="dataset"),
        )
    return name


@dataclass(frozen=True)
class VersionRef:
    """``NAME@N`` names one version; ``NAME`` alone means the latest."""

    dataset: str
    number: int | None = None

    @classmethod
    def parse(cls, text: str) -> VersionRef:
        name, sep, num = text.partition("@")
        validate_dataset_name(name)
        if not sep:
            return cls(name)
        if not num.isdigit() or int(num) < 1:
            raise InputError(
                f"invalid version {text!r}: expected NAME@N with N >= 1", Where(field="dataset")
            )
        return cls(name, int(num))

    def __str__(self) -> str:
        return self.dataset if self.number is None else f"{self.dataset}@{self.number}"


@dataclass(frozen=True)
class ColumnRoleAssignment:
    column: str
    role: ColumnRole
    reason: str
    confirmed: bool = False  # True once a custodian confirmed or overrode it
    identifier_kind: str | None = (
        None  # normalization for pseudonyms: email, phone, nir, name, text
    )

    def to_dict(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "role": self.role.value,
            "reason": self.reason,
            "confirmed": self.confirmed,
            "identifier_kind": self.identifier_kind,
        }


@dataclass(frozen=True)
class DatasetVersion:
    dataset: str
    number: int
    kind: VersionKind
    path: str  # relative to the workspace root
    content_hash: str  # "sha256:<hex>" of the Parquet file's bytes
    row_count: int
    schema: list[dict[str, str]]
    parents: list[str]  # ["NAME@N", ...]
    operation: dict[str, Any]  # name and every parameter needed to recompute it from its parents
    created_at: str
    created_by: dict[str, str]
    personal_data: bool = True
    status: VersionStatus = VersionStatus.ACTIVE
    tombstones: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ref(self) -> str:
        return f"{self.dataset}@{self.number}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "version": self.number,
            "ref": self.ref,
            "kind": self.kind.value,
            "path": self.path,
            "content_hash": self.content_hash,
            "row_count": self.row_count,
            "schema": self.schema,
            "parents": self.parents,
            "operation": self.operation,
            "created_at": self.created_at,
            "created_by": self.created_by,
            "personal_data": self.personal_data,
            "status": self.status.value,
            "tombstones": self.tombstones,
        }
