"""Which people's rows a read may see, in a form an engine applies in one join.

A filter is either "everyone", an allow-list (only these ids) or a deny-list (everyone but these
ids). Engines apply it as a semi join or an anti join against a one-column table of ids, which
stays a hash join whatever the row count. An anti join against a short deny-list is the cheapest
(see docs/governance.md for the figures), so ``subject_filter`` picks the shorter list when it is
told the full set of people present in the data.

The ids stay an Arrow array from the consent ledger to the engine: a million ids never become a
million Python strings unless someone asks for ``subject_ids``.

Rows whose subject id is null belong to nobody identifiable: an allow-list never admits them (no
consent can be shown), a deny-list and "everyone" keep them (nobody objected).

Subject ids are row values: ``to_dict`` (what goes to the audit log) gives counts, never ids.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from bulle.domain.governance_fields import iso

ID_COLUMN = "subject_id"
INTEGER_TEXT = r"^[+-]?[0-9]+$"


class FilterMode(StrEnum):
    ALL = "all"  # the legal basis needs no consent and allows no objection
    ALLOW = "allow"  # only the listed people
    DENY = "deny"  # everyone except the listed people


@dataclass(frozen=True, eq=False)
class SubjectFilter:
    """``ids``: an Arrow string array of distinct ids is kept as is (the ledger makes those); any
    other collection is deduplicated."""

    mode: FilterMode
    ids: pa.Array | Iterable[str]
    purpose: str
    at: dt.datetime
    reason: str
    universe: int | None = None  # how many people the choice of list was made against, if known

    def __post_init__(self) -> None:
        object.__setattr__(self, "mode", FilterMode(self.mode))
        object.__setattr__(
            self, "ids", id_array(self.ids, unique=not isinstance(self.ids, pa.Array))
        )

    @cached_property
    def subject_ids(self) -> frozenset[str]:
        return frozenset(self.ids.to_pylist())  # type: ignore[union-attr]

    @property
    def count(self) -> int:
        return len(self.ids)  # type: ignore[arg-type]

    def admits(self, subject_id: str | None) -> bool:
        if self.mode is FilterMode.ALL:
            return True
        if subject_id is None:
            return self.mode is FilterMode.DENY
        return (subject_id in self.subject_ids) == (self.mode is FilterMode.ALLOW)

    def visible(self, subjects: Iterable[str | None]) -> set[str | None]:
        return {s for s in subjects if self.admits(s)}

    # --- engines -------------------------------------------------------------------------------
    def ids_array(self, type: pa.DataType | None = None) -> pa.Array:
        """The listed ids converted to the subject column's type.

        Ids that cannot be represented in that type (text in an integer column) cannot match any
        row, so dropping them changes nothing for either kind of list.
        """
        ids: pa.Array = self.ids  # type: ignore[assignment]
        if type is None or pa.types.is_string(type):
            return ids
        if pa.types.is_dictionary(type):
            return self.ids_array(type.value_type)
        if pa.types.is_large_string(type) or pa.types.is_string_view(type):
            return ids.cast(type)
        if pa.types.is_integer(type):
            ids = ids.filter(pc.match_substring_regex(ids, INTEGER_TEXT))
        try:
            return ids.cast(type)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # out of range, or not a number
            kept = []
            for value in ids.to_pylist():
                try:
                    kept.append(pa.array([value]).cast(type)[0].as_py())
                except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                    continue
            return pa.array(kept, type=type)

    def ids_table(self, type: pa.DataType | None = None) -> pa.Table:
        """A one-column table (``subject_id``) to register in an engine and join against."""
        return pa.table({ID_COLUMN: self.ids_array(type)})

    def apply_arrow(self, table: pa.Table, column: str) -> pa.Table:
        """Keep the rows this filter admits (vectorised; nulls handled as documented above)."""
        if self.mode is FilterMode.ALL:
            return table
        values = table[column]
        mask = pc.is_in(values, value_set=self.ids_array(values.type))
        if self.mode is FilterMode.DENY:
            mask = pc.invert(mask)
        return table.filter(pc.fill_null(mask, self.mode is FilterMode.DENY))

    def to_dict(self) -> dict[str, Any]:
        """For the audit log and reports: the rule and its size, never the ids themselves."""
        return {
            "mode": self.mode.value,
            "count": self.count,
            "purpose": self.purpose,
            "at": iso(self.at),
            "reason": self.reason,
            "universe": self.universe,
        }


def id_array(ids: pa.Array | pa.ChunkedArray | Iterable[str], *, unique: bool = True) -> pa.Array:
    """Non-null subject ids as one Arrow string array; ``unique=False`` trusts them to be distinct
    (hashing a million ids costs about as much as the read it filters)."""
    if isinstance(ids, pa.ChunkedArray):
        ids = ids.combine_chunks()
    if not isinstance(ids, pa.Array):
        ids = pa.array(list(ids), type=pa.string())
    if not pa.types.is_string(ids.type):
        ids = ids.cast(pa.string())
    if ids.null_count:
        ids = ids.drop_null()
    return pc.unique(ids) if unique else ids
