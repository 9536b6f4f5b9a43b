"""Column statistics computed in SQL, so profiling a large version never loads it into Python.

One aggregate pass gives counts, distinct counts and ranges for every column; then one group-by
per column gives its most frequent values, and a bounded sample feeds the classifier's value
patterns (e-mails, NIR, phone numbers...).
"""

from __future__ import annotations

from typing import Any

from bulle.storage.sqltext import ident

SAMPLE_ROWS = 2000




def _jsonable(v: Any) -> Any:
    if v is None or isinstance(v, bool | int | float | str):
        return v
    return str(v)


def profile_parquet(con, qpath: str, schema: list[dict[str, str]], top: int) -> list[dict[str, Any]]:
    src = f"read_parquet({qpath})"
    if not schema:
        return []
    parts = ["count(*)"]
    for col in schema:
        c = ident(col["name"])
        text = f"{c}::VARCHAR"
        parts += [f"count({c})", f"count(DISTINCT {c})", f"min({c})::VARCHAR", f"max({c})::VARCHAR",
                  f"avg(length({text}))", f"max(length({text}))"]
    row = con.execute(f"SELECT {', '.join(parts)} FROM {src}").fetchone()
    n = int(row[0])
    out: list[dict[str, Any]] = []
    for i, col in enumerate(schema):
        base = 1 + i * 6
        non_null, distinct, mn, mx, avg_len, max_len = row[base:base + 6]
        c = ident(col["name"])
        top_rows = con.execute(
            f"SELECT {c}::VARCHAR AS v, count(*) AS n FROM {src} WHERE {c} IS NOT NULL "
            f"GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {int(top)}"
        ).fetchall()
        sample = [r[0] for r in con.execute(
            f"SELECT {c}::VARCHAR FROM (SELECT {c} FROM {src} WHERE {c} IS NOT NULL LIMIT 200000) "
            f"USING SAMPLE {SAMPLE_ROWS} ROWS (reservoir, 42)"
        ).fetchall()]
        out.append({
            "name": col["name"],
            "type": col["type"],
            "rows": n,
            "non_null": int(non_null),
            "null_rate": (n - int(non_null)) / n if n else 0.0,
            "distinct": int(distinct),
            "uniqueness": int(distinct) / int(non_null) if non_null else 0.0,
            "min": _jsonable(mn),
            "max": _jsonable(mx),
            "mean_length": float(avg_len) if avg_len is not None else None,
            "max_length": int(max_len) if max_len is not None else None,
            "top_values": [{"value": v, "count": int(k)} for v, k in top_rows],
            "sample": sample,
        })
    return out
