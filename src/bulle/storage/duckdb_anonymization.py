"""DuckDB SQL for anonymization: the base frequency table and the release, in one pass each.

The search needs the number of records of each distinct combination of quasi-identifiers and
sensitive values: one GROUP BY. A CSV file is grouped directly, read as text as ARX reads it (no
Parquet copy); when DuckDB cannot read it so (another encoding, a malformed line), ``None`` tells
the caller to import it through the engine, which locates the bad line. The release is one query
over the source joined with small mapping tables, written next to its destination and renamed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from bulle.errors import InputError, Where
from bulle.storage.engine import SUPPRESSED, CsvOptions, Release
from bulle.storage.sqltext import ident, lit

if TYPE_CHECKING:
    from collections.abc import Sequence

    import pyarrow as pa


def is_csv(path: Path) -> bool:
    return path.suffix.lower() in (".csv", ".txt", ".tsv")


class NotDirect(Exception):
    """DuckDB's CSV reader cannot read this file as text: the caller imports it first."""


def csv_relation(path: Path) -> str:
    """SQL reading a CSV file as text (ARX reads every value as a string)."""
    from bulle.storage import csv_checks

    dialect = csv_checks.sniff(path, CsvOptions(all_varchar=True))
    if dialect.encoding.lower().replace("_", "-") not in ("utf-8", "utf8"):
        raise NotDirect()
    args = [
        lit(path),
        f"delim={lit(dialect.delimiter)}",
        f"header={'true' if dialect.header else 'false'}",
        f"quote={lit(dialect.quote)}",
        f"escape={lit(dialect.quote)}",
        "strict_mode=true",
        "all_varchar=true",
        "sample_size=-1" if os.path.getsize(path) < 64 * 1024 * 1024 else "sample_size=200000",
    ]
    if not dialect.header:
        args.append("names=[" + ", ".join(lit(c) for c in dialect.columns) + "]")
    return f"read_csv({', '.join(args)})"


def relation(path: Path) -> str:
    return csv_relation(path) if is_csv(path) else f"read_parquet({lit(path)})"


def group_counts(
    con, source: Path, columns: Sequence[str], count: str, first_row: str | None
) -> pa.Table | None:
    import duckdb

    cols = ", ".join(ident(c) for c in columns)
    try:
        rel = relation(source)
    except NotDirect:
        return None
    if first_row:
        sql = (
            f"SELECT {cols}, count(*)::BIGINT AS {ident(count)}, "
            f"(min(__bulle_rn) - 1)::BIGINT AS {ident(first_row)} "
            f"FROM (SELECT {cols}, row_number() OVER () AS __bulle_rn FROM {rel}) GROUP BY ALL"
        )
    elif columns:
        sql = f"SELECT {cols}, count(*)::BIGINT AS {ident(count)} FROM {rel} GROUP BY ALL"
    else:
        sql = f"SELECT count(*)::BIGINT AS {ident(count)} FROM {rel}"
    try:
        return con.sql(sql).to_arrow_table()
    except (duckdb.Error, RuntimeError):
        if is_csv(source):
            return None
        raise


def first_appearance(con, source: Path, column: str) -> list[str]:
    rows = con.sql(
        f"SELECT coalesce(v, '') AS v, min(rn) AS first FROM (SELECT {ident(column)}::VARCHAR AS v, "
        f"row_number() OVER () AS rn FROM {relation(source)}) GROUP BY ALL ORDER BY first"
    ).fetchall()
    return [r[0] for r in rows]


def write_release(con, source: Path, dest: Path, release: Release) -> None:
    import pyarrow as pa

    def strings(values: list[str]) -> pa.Array:
        return pa.array(values, type=pa.string())

    qis = list(release.maps)
    rel = relation(source)
    columns = [r[0] for r in con.sql(f"DESCRIBE SELECT * FROM {rel}").fetchall()]
    for i, q in enumerate(qis):
        leaves = list(release.maps[q])
        con.register(
            f"__bulle_map{i}",
            pa.table({"v": strings(leaves), "g": strings([release.maps[q][v] for v in leaves])}),
        )
    joins = [
        f"LEFT JOIN __bulle_map{i} m{i} ON coalesce(d.{ident(q)}::VARCHAR, '') = m{i}.v"
        for i, q in enumerate(qis)
    ]
    sup_join = ""
    flag = "FALSE"
    if release.suppressed_classes and qis:
        rows = sorted(release.suppressed_classes)
        con.register(
            "__bulle_sup",
            pa.table({f"s{i}": strings([r[i] for r in rows]) for i in range(len(qis))}),
        )
        cond = " AND ".join(f"m{i}.g = s.s{i}" for i in range(len(qis)))
        sup_join = f"LEFT JOIN (SELECT DISTINCT *, TRUE AS hit FROM __bulle_sup) s ON {cond}"
        flag = "coalesce(s.hit, FALSE)"
    select = []
    for c in columns:
        if c in qis:
            i = qis.index(c)
            select.append(f"CASE WHEN {flag} THEN {lit(SUPPRESSED)} ELSE m{i}.g END AS {ident(c)}")
        else:
            select.append(f"d.{ident(c)}")
    where = f"WHERE NOT {flag}" if release.remove_suppressed else ""
    sql = (
        f"SELECT {', '.join(select)} FROM (SELECT *, row_number() OVER () AS __bulle_rn "
        f"FROM {rel}) d {' '.join(joins)} {sup_join} {where} ORDER BY d.__bulle_rn"
    )
    dest = Path(dest)
    tmp = dest.with_name(f".{dest.name}.tmp")
    if dest.suffix.lower() == ".parquet":
        options = "FORMAT parquet, COMPRESSION zstd"
    else:
        options = f"FORMAT csv, HEADER true, DELIMITER {lit(release.delimiter)}"
        if not release.keep_formulas:
            from bulle.storage.formulas_sql import sql_select

            sql = sql_select(con, sql)
    try:
        con.execute(f"COPY ({sql}) TO {lit(tmp)} ({options})")
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, dest)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise InputError(
            f"cannot write the release: {exc.strerror or exc}", Where(file=str(dest))
        ) from None
