"""Rows to features, with nothing fitted on the rows.

SISA's promise (forgetting a person retrains one shard only) holds only if nothing outside the
shards depends on anyone's rows. So the encoding is decided from the schema alone: a numeric
column is used as it is (any scaling happens inside a shard), and every other column is hashed
into a fixed number of buckets (a keyless, data-independent hash of ``column = value``), so there is
no vocabulary to learn and a value seen only in one person's record leaves no trace outside the
shard holding them. The target's positive class is chosen once at training and recorded, so a
retrain never re-derives it from the remaining rows.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from bulle.errors import InputError, Where

if TYPE_CHECKING:
    import pyarrow as pa

BUCKETS = 1024  # hash width of a category column: fixed, so no vocabulary is ever learned
_NUMERIC = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
            "UINTEGER", "UBIGINT", "FLOAT", "DOUBLE", "REAL", "DECIMAL", "INT")  # fmt: skip


@dataclass(frozen=True)
class Encoding:
    """Which columns are numbers, which are hashed, and the target's positive class."""

    numeric: tuple[str, ...]
    hashed: tuple[str, ...]
    target: str
    positive: Any

    def to_dict(self) -> dict[str, Any]:
        return {
            "numeric": list(self.numeric),
            "hashed": list(self.hashed),
            "target": self.target,
            "positive": self.positive,
            "buckets": BUCKETS,
            "hash": "blake2b-64(column NUL value) mod buckets",
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Encoding:
        return cls(tuple(d["numeric"]), tuple(d["hashed"]), d["target"], d["positive"])

    @property
    def features(self) -> tuple[str, ...]:
        return self.numeric + self.hashed

    def encode(self, table: pa.Table) -> tuple[np.ndarray, np.ndarray]:
        """The numeric matrix (NaN missing) and the bucket matrix (-1 missing) of ``table``."""
        import pyarrow as pa
        import pyarrow.compute as pc

        n = table.num_rows
        num = np.empty((n, len(self.numeric)), dtype=np.float64)
        for j, c in enumerate(self.numeric):
            col = pc.cast(table.column(c), pa.float64())
            num[:, j] = col.to_numpy(zero_copy_only=False) if n else []
        cat = np.empty((n, len(self.hashed)), dtype=np.int64)
        for j, c in enumerate(self.hashed):
            cat[:, j] = _buckets(c, table.column(c))
        return num, cat

    def labels(self, table: pa.Table) -> np.ndarray:
        """1 where the target equals the positive class as Python compares them (a number never
        equals a string; a missing value is never positive), vectorised."""
        import pyarrow as pa
        import pyarrow.compute as pc

        col = table.column(self.target)
        p, t = self.positive, col.type
        if isinstance(p, str):
            same = (
                pc.equal(col, p) if pa.types.is_string(t) or pa.types.is_large_string(t) else None
            )
        elif isinstance(p, int | float) and (
            pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t)
            or pa.types.is_boolean(t)
        ):  # fmt: skip
            same = pc.equal(pc.cast(col, pa.float64()), float(p))
        else:
            values = col.to_pylist()
            return np.asarray([int(v == p) for v in values], dtype=np.int8)
        if same is None:
            return np.zeros(table.num_rows, dtype=np.int8)
        return pc.fill_null(same, False).to_numpy(zero_copy_only=False).astype(np.int8)


def _buckets(column: str, values) -> np.ndarray:
    """Bucket of each value, hashing each distinct value once (dictionary-encoded)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    enc = pc.dictionary_encode(pc.cast(values, pa.string())).combine_chunks()
    lookup = np.asarray([bucket(column, v) for v in enc.dictionary.to_pylist()] + [-1])
    idx = enc.indices.fill_null(len(lookup) - 1).to_numpy(zero_copy_only=False)
    return lookup[idx] if len(idx) else np.empty(0, dtype=np.int64)


def bucket(column: str, value: Any) -> int:
    digest = hashlib.blake2b(f"{column}\x00{value}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % BUCKETS


def is_numeric(sql_type: str) -> bool:
    t = sql_type.upper()
    return t.startswith(_NUMERIC)


def plan(
    schema: list[dict[str, str]],
    target: str,
    features: list[str] | None,
    excluded: set[str],
    target_values: list[Any],
    positive: Any = None,
) -> Encoding:
    """The encoding of a training request, or an ``InputError`` naming the column at fault.

    ``excluded`` are the columns that may never be features (the subject id, direct identifiers,
    free text). ``target_values`` are the distinct values of the target, read once to choose the
    positive class when the caller gave none: the greater of exactly two values.
    """
    types = {c["name"]: c["type"] for c in schema}
    if target not in types:
        raise InputError(f"no column {target!r} in the dataset", Where(field="target"))
    if features:
        bad = [f for f in features if f not in types]
        if bad:
            raise InputError(
                f"no column(s) {', '.join(bad)} in the dataset", Where(field="feature")
            )
        barred = [f for f in features if f in excluded or f == target]
        if barred:
            raise InputError(
                f"column(s) {', '.join(barred)} may not be features (the target, the subject id, "
                "direct identifiers and free text are excluded)",
                Where(field="feature"),
            )
        chosen = list(features)
    else:
        chosen = [c for c in types if c != target and c not in excluded]
    if not chosen:
        raise InputError("no feature column left to train on", Where(field="feature"))
    present = sorted({v for v in target_values if v is not None}, key=repr)
    if positive is None:
        if is_numeric(types[target]) and set(present) <= {0, 1}:
            positive = 1
        elif len(present) == 2:
            positive = max(present, key=str)
        else:
            raise InputError(
                f"target {target!r} has {len(present)} distinct values: a binary target is needed",
                Where(field="target"),
            )
    numeric = tuple(c for c in chosen if is_numeric(types[c]))
    hashed = tuple(c for c in chosen if not is_numeric(types[c]))
    return Encoding(numeric, hashed, target, positive)
