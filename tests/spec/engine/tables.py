"""Small literal tables with the edge values every engine must handle alike."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

HOSTILE = "we\"ird'; DROP TABLE x; --"  # a column name from a user's file
UNICODE = "âge é"


def people() -> pa.Table:
    return pa.table(
        {
            "id": pa.array(["p1", "p2", "p3", "p4", None, "p6"], type=pa.string()),
            UNICODE: pa.array([34, 34, None, 51, 34, 51], type=pa.int64()),
            HOSTILE: pa.array(["Zoé", "zoé", None, "Zoé", "", "🙂"], type=pa.string()),
            "score": pa.array([1.5, 2.0, None, 0.1, 1.5, -3.25], type=pa.float64()),
        }
    )


def empty() -> pa.Table:
    return people().slice(0, 0)


def write(table: pa.Table, path: Path) -> Path:
    pq.write_table(table, path)
    return path
