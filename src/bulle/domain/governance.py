"""The governance model in one import: purposes, consents, projects, and what a dataset declares.

``GovernedDataset`` is what access decisions need to know about a dataset, independent of where
it is stored: the purpose its data was collected for (reuse must be compatible with it), the
column holding the pseudonymous subject id (how consents and objections reach rows), and which
columns are special categories (they need an art. 9 condition). The catalog builds one from its
records; decisions never look at rows. It also names the version being read, its kind, and
whether it is raw (no pseudonymization or anonymization in its lineage), because a project is
approved for some versions of a dataset, not for all of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from bulle.domain.consents import (
    Consent,
    ConsentStatus,
    DataSubject,
    Objection,
    consent_state,
)
from bulle.domain.datasets import VersionKind
from bulle.domain.governance_fields import Checker, set_fields
from bulle.domain.projects import Approval, DatasetUse, Member, Project
from bulle.domain.purposes import LegalBasis, Purpose, SpecialCategoryCondition

__all__ = [
    "Approval",
    "Consent",
    "ConsentStatus",
    "DataSubject",
    "DatasetUse",
    "GovernedDataset",
    "LegalBasis",
    "Member",
    "Objection",
    "Project",
    "Purpose",
    "SpecialCategoryCondition",
    "consent_state",
]


@dataclass(frozen=True)
class GovernedDataset:
    """A dataset as governance sees it.

    ``personal`` is false for data that no longer relates to identifiable people (an anonymized
    release): no subject filter applies to it. Personal data read for a purpose that needs consent
    or allows objection must have a ``subject_column``, otherwise choices could not be honoured.
    ``version`` and ``kind`` name the version read (a read of an unknown version is refused);
    ``raw`` is true when no pseudonymization or anonymization lies between it and its import.
    """

    name: str
    collection_purpose: Purpose
    columns: tuple[str, ...]
    subject_column: str | None = None
    special_category_columns: frozenset[str] = field(default_factory=frozenset)
    personal: bool = True
    version: int | None = None
    kind: VersionKind | None = None
    raw: bool = True

    def __post_init__(self) -> None:
        c = Checker(f"dataset {self.name!r}")
        c.name(self.name, "name")
        if not isinstance(self.collection_purpose, Purpose):
            c.add("expected the purpose the data was collected for", "collection_purpose")
        columns = _columns(c, self.columns)
        if self.subject_column is not None and self.subject_column not in columns:
            c.add(
                f"the subject column {self.subject_column!r} is not a column of the dataset",
                "subject_column",
            )
        special = frozenset(self.special_category_columns)
        for col in sorted(special - set(columns), key=str):
            c.add(
                f"special-category column {col!r} is not a column of the dataset",
                "special_category_columns",
            )
        if not isinstance(self.personal, bool):
            c.add("expected true or false", "personal")
        if self.version is not None and (
            isinstance(self.version, bool) or not isinstance(self.version, int) or self.version < 1
        ):
            c.add(f"{self.version!r} is not a version number", "version")
        kind = c.enum(VersionKind, self.kind, "kind", required=False)
        if not isinstance(self.raw, bool):
            c.add("expected true or false", "raw")
        c.done()
        set_fields(self, columns=columns, special_category_columns=special, kind=kind)

    @property
    def ref(self) -> str:
        return self.name if self.version is None else f"{self.name}@{self.version}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "collection_purpose": self.collection_purpose.name,
            "columns": list(self.columns),
            "subject_column": self.subject_column,
            "special_category_columns": sorted(self.special_category_columns),
            "personal": self.personal,
            "version": self.version,
            "kind": self.kind.value if self.kind is not None else None,
            "raw": self.raw,
        }


def _columns(c: Checker, columns: Any) -> tuple[str, ...]:
    if isinstance(columns, str) or not isinstance(columns, Iterable):
        c.add("expected a list of column names", "columns")
        return ()
    out = tuple(columns)
    if len(set(out)) != len(out):
        c.add("a column name appears twice", "columns")
    if not out:
        c.add("a dataset has at least one column", "columns")
    return out
