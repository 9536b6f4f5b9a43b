"""The one streaming pass over the rows: the base frequency table, built by the engine.

Everything the search needs is the number of records of each distinct combination of
quasi-identifiers and sensitive values (and, for δ-presence, how many of them belong to the
research subset). The engine computes it with one GROUP BY (``Engine.group_counts``); the rows are
never read again by the search. An engine that declares ``direct_csv`` groups a CSV file directly
(no Parquet copy); otherwise, or when it cannot read that file so, the file is imported through
the engine (which locates a bad line) and grouped (``frequency_table``).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from bulle.anonymization.encoding import COUNT, FIRST_ROW, SUBSET_COUNT
from bulle.errors import InputError, Where

if TYPE_CHECKING:
    import pyarrow as pa

    from bulle.storage.engine import Engine


def is_csv(path: Path) -> bool:
    return path.suffix.lower() in (".csv", ".txt", ".tsv")


def source_columns(engine: Engine, path: Path) -> list[str]:
    return engine.source_columns(Path(path))


def base_frequencies(
    engine: Engine,
    data: Path,
    columns: list[str],
    subset: Path | None = None,
    first_row: bool = False,
) -> pa.Table:
    """Distinct combinations of ``columns`` with ``__bulle_n`` (and ``__bulle_s`` for a subset).

    ``first_row`` adds ``__bulle_first``, the 0-based position in the file of each combination's
    first row: replaying ARX's hash tables (arx/replay.py) needs the order in which ARX met the
    rows. It costs a window over every row, so only specs that need it ask for it; it is computed
    on the direct DuckDB path without a research subset only (elsewhere the column is absent and
    the replay is not used).
    """
    data = Path(data)
    have = source_columns(engine, data)
    unknown = [c for c in columns if c not in have]
    if unknown:
        raise InputError(
            f"unknown column(s) {', '.join(repr(c) for c in unknown)}; the data has "
            f"{', '.join(repr(c) for c in have[:60])}",
            Where(file=str(data), column=unknown[0]),
        )
    if subset is not None:
        sub_cols = source_columns(engine, Path(subset))
        if sub_cols != have:
            raise InputError(
                "the research subset must have the same columns as the data, in the "
                f"same order (data: {', '.join(have)}; subset: {', '.join(sub_cols)})",
                Where(file=str(subset)),
            )
    if subset is not None:
        return _with_subset(engine, data, columns, have, Path(subset))
    freq = _group_counts(engine, data, columns, first_row)
    if freq is None:
        freq = _via_parquet(engine, data, columns)
    return freq


def _group_counts(
    engine: Engine, data: Path, columns: list[str], first_row: bool
) -> pa.Table | None:
    """The engine groups the file directly when it can (a CSV read as text, with no copy)."""
    from bulle.storage.engine import DIRECT_CSV

    if is_csv(data) and DIRECT_CSV not in engine.capabilities:
        return None
    return engine.group_counts(
        data, columns, count=COUNT, first_row=FIRST_ROW if first_row else None
    )


def first_appearance(engine: Engine, data: Path, column: str) -> list[str]:
    """Distinct values of ``column`` in order of first appearance (ARX numbers them so)."""
    return engine.first_appearance(Path(data), column)


def _with_subset(
    engine: Engine, data: Path, columns: list[str], all_columns: list[str], subset: Path
) -> pa.Table:
    """Counts of the data and of the research subset; ARX matches every subset row to a distinct
    data row, so a subset row that cannot match is reported."""
    import numpy as np
    import pyarrow as pa

    full = _group_counts(engine, data, all_columns, False)
    if full is None:
        full = _via_parquet(engine, data, all_columns)
    sub = _group_counts(engine, subset, all_columns, False)
    if sub is None:
        sub = _via_parquet(engine, subset, all_columns)
    key_columns = [full.column(c).to_pylist() for c in all_columns]
    data_index = dict(
        zip(zip(*key_columns, strict=True), full.column(COUNT).to_pylist(), strict=True)
    )
    sub_keys = zip(*[sub.column(c).to_pylist() for c in all_columns], strict=True)
    index = dict(zip(sub_keys, sub.column(COUNT).to_pylist(), strict=True))
    unmatched = [k for k in index if k not in data_index]
    excess = sum(1 for k, m in index.items() if k in data_index and m > data_index[k])
    if unmatched or excess:
        parts = []
        if unmatched:
            parts.append(f"{sum(index[k] for k in unmatched)} row(s) match no record of the data")
        if excess:
            parts.append(f"{excess} distinct row(s) appear more often than in the data")
        raise InputError("research subset: " + "; ".join(parts), Where(file=str(subset)))
    m = np.array([index.get(k, 0) for k in data_index], dtype=np.int64)
    full = full.append_column(SUBSET_COUNT, pa.array(m))
    grouped = full.group_by(columns).aggregate([(COUNT, "sum"), (SUBSET_COUNT, "sum")])
    return grouped.select([*columns, f"{COUNT}_sum", f"{SUBSET_COUNT}_sum"]).rename_columns(
        [*columns, COUNT, SUBSET_COUNT]
    )


def _via_parquet(engine: Engine, data: Path, columns: list[str]) -> pa.Table:
    """Portable path: the engine imports the CSV file to Parquet (locating any bad line) and groups."""
    from bulle.storage.engine import CsvOptions

    with tempfile.TemporaryDirectory(prefix="bulle-anon-") as tmp:
        dest = Path(tmp) / "data.parquet"
        engine.csv_to_parquet(data, dest, CsvOptions(all_varchar=True))
        freq = engine.frequency_table(dest, columns)
        return freq.rename_columns([*columns, COUNT])
