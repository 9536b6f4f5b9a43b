"""The one streaming pass over the rows: the base frequency table, built by the engine.

Everything the search needs is the number of records of each distinct combination of
quasi-identifiers and sensitive values (and, for δ-presence, how many of them belong to the
research subset). The engine computes it with one GROUP BY; the rows are never read again by
the search. With the DuckDB engine a CSV file is grouped directly (no Parquet copy); any other
engine goes through its public interface (import to Parquet, ``frequency_table``).
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


def _q(s: str | Path) -> str:
    return "'" + str(s).replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def is_csv(path: Path) -> bool:
    return path.suffix.lower() in (".csv", ".txt", ".tsv")


def _csv_source(path: Path) -> tuple[str, list[str]]:
    """SQL reading a CSV file as text (ARX reads every value as a string) and its columns."""
    import os

    from bulle.storage import csv_checks
    from bulle.storage.engine import CsvOptions

    dialect = csv_checks.sniff(path, CsvOptions(all_varchar=True))
    if dialect.encoding.lower().replace("_", "-") not in ("utf-8", "utf8"):
        raise _NeedsEngine()
    args = [_q(path), f"delim={_q(dialect.delimiter)}", f"header={'true' if dialect.header else 'false'}",
            f"quote={_q(dialect.quote)}", f"escape={_q(dialect.quote)}", "strict_mode=true",
            "all_varchar=true",
            "sample_size=-1" if os.path.getsize(path) < 64 * 1024 * 1024 else "sample_size=200000"]
    if not dialect.header:
        args.append("names=[" + ", ".join(_q(c) for c in dialect.columns) + "]")
    return f"read_csv({', '.join(args)})", list(dialect.columns)


class _NeedsEngine(Exception):
    """The direct CSV path cannot read this file: let the engine import it (and locate errors)."""


def source_columns(engine: Engine, path: Path) -> list[str]:
    if is_csv(path):
        from bulle.storage import csv_checks
        from bulle.storage.engine import CsvOptions

        return list(csv_checks.sniff(path, CsvOptions(all_varchar=True)).columns)
    return list(engine.read_table(path, limit=0).column_names)


def base_frequencies(engine: Engine, data: Path, columns: list[str],
                     subset: Path | None = None, first_row: bool = False) -> pa.Table:
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
        raise InputError(f"unknown column(s) {', '.join(repr(c) for c in unknown)}; the data has "
                         f"{', '.join(repr(c) for c in have[:60])}",
                         Where(file=str(data), column=unknown[0]))
    if subset is not None:
        sub_cols = source_columns(engine, Path(subset))
        if sub_cols != have:
            raise InputError("the research subset must have the same columns as the data, in the "
                             f"same order (data: {', '.join(have)}; subset: {', '.join(sub_cols)})",
                             Where(file=str(subset)))
    if hasattr(engine, "connect"):
        try:
            return _duckdb_frequencies(engine, data, columns, have, subset, first_row)
        except _NeedsEngine:
            pass
    return _via_parquet(engine, data, columns, have, subset)


def first_appearance(engine: Engine, data: Path, column: str) -> list[str]:
    """Distinct values of ``column`` in order of first appearance (ARX numbers them so)."""
    data = Path(data)
    if hasattr(engine, "connect"):
        con = engine.connect()
        try:
            rows = con.sql(
                f"SELECT coalesce(v, '') AS v, min(rn) AS first FROM (SELECT {_ident(column)} AS v, "
                f"row_number() OVER () AS rn FROM {_relation(data)}) GROUP BY ALL ORDER BY first"
            ).fetchall()
            return [r[0] for r in rows]
        finally:
            con.close()
    table = engine.read_table(data, [column])  # pragma: no cover - engines without SQL
    seen: dict[str, None] = {}
    for v in table.column(column).to_pylist():
        seen.setdefault("" if v is None else str(v), None)
    return list(seen)


def _relation(path: Path) -> str:
    if is_csv(path):
        return _csv_source(path)[0]
    return f"read_parquet({_q(path)})"


def _duckdb_frequencies(engine, data: Path, columns: list[str], all_columns: list[str],
                        subset: Path | None, first_row: bool = False) -> pa.Table:
    import duckdb

    cols = ", ".join(_ident(c) for c in columns)
    con = engine.connect()
    try:
        if subset is None and first_row:
            sql = (f"SELECT {cols}, count(*)::BIGINT AS {COUNT}, (min(__bulle_rn) - 1)::BIGINT AS {FIRST_ROW} "
                   f"FROM (SELECT {cols}, row_number() OVER () AS __bulle_rn FROM {_relation(data)}) "
                   f"GROUP BY ALL")
        elif subset is None:
            sql = (f"SELECT {cols}, count(*)::BIGINT AS {COUNT} FROM {_relation(data)} GROUP BY ALL")
        else:
            sql = _subset_sql(_relation(data), _relation(Path(subset)), columns, all_columns)
            _check_subset(con, _relation(data), _relation(Path(subset)), all_columns, subset)
        try:
            return con.sql(sql).to_arrow_table()
        except (duckdb.Error, RuntimeError):
            raise _NeedsEngine() from None
    finally:
        con.close()


def _subset_sql(data_rel: str, subset_rel: str, columns: list[str], all_columns: list[str]) -> str:
    every = ", ".join(_ident(c) for c in all_columns)
    on = " AND ".join(f"d.{_ident(c)} IS NOT DISTINCT FROM s.{_ident(c)}" for c in all_columns)
    cols = ", ".join(f"d.{_ident(c)}" for c in columns)
    return (f"WITH d AS (SELECT {every}, count(*)::BIGINT AS n FROM {data_rel} GROUP BY ALL), "
            f"s AS (SELECT {every}, count(*)::BIGINT AS m FROM {subset_rel} GROUP BY ALL) "
            f"SELECT {cols}, sum(d.n)::BIGINT AS {COUNT}, sum(coalesce(s.m, 0))::BIGINT AS {SUBSET_COUNT} "
            f"FROM d LEFT JOIN s ON {on} GROUP BY ALL")


def _check_subset(con, data_rel: str, subset_rel: str, all_columns: list[str], subset: Path) -> None:
    """ARX matches every subset row to a distinct data row; report rows that cannot match."""
    every = ", ".join(_ident(c) for c in all_columns)
    on = " AND ".join(f"d.{_ident(c)} IS NOT DISTINCT FROM s.{_ident(c)}" for c in all_columns)
    row = con.sql(
        f"WITH d AS (SELECT {every}, count(*)::BIGINT AS n FROM {data_rel} GROUP BY ALL), "
        f"s AS (SELECT {every}, count(*)::BIGINT AS m FROM {subset_rel} GROUP BY ALL) "
        f"SELECT count(*) FILTER (WHERE d.n IS NULL), sum(s.m) FILTER (WHERE d.n IS NULL), "
        f"count(*) FILTER (WHERE s.m > d.n) FROM s LEFT JOIN d ON {on}").fetchall()[0]
    unmatched, unmatched_rows, excess = int(row[0] or 0), int(row[1] or 0), int(row[2] or 0)
    if unmatched or excess:
        parts = []
        if unmatched:
            parts.append(f"{unmatched_rows} row(s) match no record of the data")
        if excess:
            parts.append(f"{excess} distinct row(s) appear more often than in the data")
        raise InputError("research subset: " + "; ".join(parts), Where(file=str(subset)))


def _via_parquet(engine, data: Path, columns: list[str], all_columns: list[str],
                 subset: Path | None) -> pa.Table:
    """Portable path: the engine imports CSV to Parquet (locating any bad line) and groups."""
    import numpy as np
    import pyarrow as pa

    from bulle.storage.engine import CsvOptions

    with tempfile.TemporaryDirectory(prefix="bulle-anon-") as tmp:
        def parquet(path: Path, name: str) -> Path:
            if not is_csv(path):
                return path
            dest = Path(tmp) / f"{name}.parquet"
            engine.csv_to_parquet(path, dest, CsvOptions(all_varchar=True))
            return dest

        data_pq = parquet(data, "data")
        if subset is None:
            freq = engine.frequency_table(data_pq, columns)
            return freq.rename_columns([*columns, COUNT])
        sub_pq = parquet(Path(subset), "subset")
        full = engine.frequency_table(data_pq, all_columns)
        sub = engine.frequency_table(sub_pq, all_columns)
        index = {tuple(r[c] for c in all_columns): r["count"] for r in sub.to_pylist()}
        rows = full.to_pylist()
        unmatched = set(index) - {tuple(r[c] for c in all_columns) for r in rows}
        if unmatched:
            raise InputError(f"research subset: {sum(index[k] for k in unmatched)} row(s) match no "
                             "record of the data", Where(file=str(subset)))
        m = []
        for r in rows:
            k = tuple(r[c] for c in all_columns)
            got = index.get(k, 0)
            if got > r["count"]:
                raise InputError("research subset: a row appears more often than in the data",
                                 Where(file=str(subset)))
            m.append(got)
        full = full.append_column(SUBSET_COUNT, pa.array(np.array(m, dtype=np.int64)))
        grouped = full.group_by(columns).aggregate([("count", "sum"), (SUBSET_COUNT, "sum")])
        return grouped.select([*columns, "count_sum", f"{SUBSET_COUNT}_sum"]).rename_columns(
            [*columns, COUNT, SUBSET_COUNT])
