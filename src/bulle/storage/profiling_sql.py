"""Column statistics computed in SQL, so profiling a large version never loads it into Python.

Cost must stay linear in the number of columns: health tables commonly have thousands. So no
query holds one aggregate per column (DuckDB gives each ``count(DISTINCT ...)`` its own hash
table, and plans thousands of aggregates slowly: a 500-column table needed gigabytes). Instead the
columns of one type are ``UNPIVOT``-ed into a long ``(column, value)`` stream, in batches, and
each batch costs two grouped queries whatever its width:

* ``GROUP BY column`` gives non-null counts, typed ranges, lengths and the classifier's sample (a
  deterministic pseudo-random choice of ``SAMPLE_ROWS`` non-null values per column, taken with
  the bounded ``min_by(value, hash(row number), n)`` aggregate);
* ``GROUP BY (column, value)`` gives the exact distinct count and the most frequent values.

The number of columns per batch shrinks as the row count grows, so a batch's group-by holds about
``CELLS_PER_BATCH`` values (DuckDB spills to disk beyond its memory limit).
"""

from __future__ import annotations

from typing import Any

from bulle.settings import default
from bulle.storage.sqltext import ident

SAMPLE_ROWS: int = default("profile.sample_rows")  # a workspace may set its own
MAX_BATCH = 250  # columns per query: DuckDB plans very wide queries slowly and in much memory
CELLS_PER_BATCH = 4_000_000  # rows x columns grouped at once


def _jsonable(v: Any) -> Any:
    if v is None or isinstance(v, bool | int | float | str):
        return v
    return str(v)


def column_profile(
    col: dict[str, str], rows: int, non_null: int, distinct: int, s: dict[str, Any]
) -> dict[str, Any]:
    """One column's profile, the shape every engine returns (``s`` holds min, max, mean_length,
    max_length, top_values and sample, each optional)."""
    return {
        "name": col["name"],
        "type": col["type"],
        "rows": rows,
        "non_null": non_null,
        "null_rate": (rows - non_null) / rows if rows else 0.0,
        "distinct": distinct,
        "uniqueness": distinct / non_null if non_null else 0.0,
        "min": _jsonable(s.get("min")),
        "max": _jsonable(s.get("max")),
        "mean_length": s.get("mean_length"),
        "max_length": s.get("max_length"),
        "top_values": s.get("top_values", []),
        "sample": s.get("sample", []),
    }


def batches(schema: list[dict[str, str]], rows: int) -> list[list[int]]:
    """Positions of the columns profiled together: one type per batch (UNPIVOT needs it)."""
    width = max(1, min(MAX_BATCH, CELLS_PER_BATCH // max(rows, 1)))
    by_type: dict[str, list[int]] = {}
    for i, col in enumerate(schema):
        by_type.setdefault(col["type"], []).append(i)
    return [idx[s : s + width] for idx in by_type.values() for s in range(0, len(idx), width)]


def profile_parquet(
    con, qpath: str, schema: list[dict[str, str]], top: int, sample_rows: int = SAMPLE_ROWS
) -> list[dict[str, Any]]:
    if not schema:
        return []
    n = int(con.execute(f"SELECT count(*) FROM read_parquet({qpath})").fetchone()[0])
    stats: dict[int, dict[str, Any]] = {}
    for batch in batches(schema, n):
        stats.update(_profile_batch(con, qpath, schema, batch, int(top), int(sample_rows)))
    out = []
    for i, col in enumerate(schema):
        s = stats.get(i, {})
        out.append(column_profile(col, n, s.get("non_null", 0), s.get("distinct", 0), s))
    return out


def _profile_batch(
    con, qpath: str, schema: list[dict[str, str]], batch: list[int], top: int, sample_rows: int
) -> dict[int, dict[str, Any]]:
    # Positional aliases: a user's column names never reach the UNPIVOT's name column.
    select = ", ".join(f"{ident(schema[i]['name'])} AS {ident(str(i))}" for i in batch)
    long = (
        f"(UNPIVOT (SELECT file_row_number AS __row, {select} FROM read_parquet({qpath}, "
        "file_row_number=true)) ON COLUMNS(* EXCLUDE (__row)) INTO NAME k VALUE v)"
    )
    stats: dict[int, dict[str, Any]] = {}
    for k, count, mn, mx, avg_len, max_len, sample in con.execute(
        f"SELECT CAST(k AS INTEGER), count(*), min(v)::VARCHAR, max(v)::VARCHAR, "
        f"avg(length(v::VARCHAR)), max(length(v::VARCHAR)), "
        f"min_by(v::VARCHAR, hash(__row, 42), {sample_rows}) FROM {long} GROUP BY k"
    ).fetchall():  # UNPIVOT drops NULLs: a column with no value has no row here
        stats[k] = {
            "non_null": int(count),
            "min": mn,
            "max": mx,
            "mean_length": float(avg_len) if avg_len is not None else None,
            "max_length": int(max_len) if max_len is not None else None,
            "sample": list(sample or []),
            "top_values": [],
        }
    for k, v, count, distinct in con.execute(
        f"WITH g AS (SELECT k, v, count(*) AS n FROM {long} GROUP BY k, v), "
        "r AS (SELECT k, v::VARCHAR AS v, n, "
        "row_number() OVER (PARTITION BY k ORDER BY n DESC, v::VARCHAR) AS i, "
        "count(*) OVER (PARTITION BY k) AS d FROM g) "
        f"SELECT CAST(k AS INTEGER), v, n, d FROM r WHERE i <= {int(top)} ORDER BY 1, i"
    ).fetchall():
        stats[k]["distinct"] = int(distinct)
        stats[k]["top_values"].append({"value": v, "count": int(count)})
    return stats
