"""Spark column expressions shared by the Spark engine: row order, text, identifier normalization.

Spark gives no row order: a scan packs file splits into partitions by size, and a shuffle mixes
them. Bulle's versions are ordered (a release keeps the rows in the order of its source, the
search numbers values by first appearance), so every read that needs order tags each row, at the
scan, with its file, the start of its split and its position in the partition
(``monotonically_increasing_id``, consecutive within a split): sorting by the three is the order
in which the rows were written, for a single Parquet file as for a directory of parts (Spark names
the parts of one write in order). Positions are recovered from split sizes without a global
window (:func:`positions`).

Text and normalization are the twins of DuckDB's ``::VARCHAR`` and of
``duckdb_engine._norm``: both sides of every comparison go through them, and the engine spec
tests compare them with the reference engine's.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pyspark.sql import Column, DataFrame

    from bulle.storage.engine import ValueIn

FILE, BLOCK, MONO = "__bulle_file", "__bulle_block", "__bulle_mono"
ORDER = (FILE, BLOCK, MONO)
_SPACE = "[\\t\\n\\f\\r ]+"  # RE2's \s as DuckDB reads it (Java's \s also takes \x0B)


def with_order(df: DataFrame) -> DataFrame:
    """``df`` (straight from a scan) with the three columns that give its rows' order."""
    from pyspark.sql import functions as F

    return df.select(
        "*",
        F.input_file_name().alias(FILE),
        F.input_file_block_start().alias(BLOCK),
        F.monotonically_increasing_id().alias(MONO),
    )


def ordered(df: DataFrame) -> DataFrame:
    """Rows of a ``with_order`` frame sorted into their stored order, without the order columns."""
    return df.orderBy(*ORDER).drop(*ORDER)


def positions(df: DataFrame) -> dict[tuple[str, int], tuple[int, int]]:
    """For each split of a ``with_order`` frame: (position of its first row, its first mono id).

    A row's 0-based position is then ``offset + mono - first_mono`` (mono ids are consecutive
    within a split). One small aggregate over the splits, collected on the driver.
    """
    from pyspark.sql import functions as F

    splits = (
        df.groupBy(FILE, BLOCK)
        .agg(F.min(MONO).alias("first"), F.count(F.lit(1)).alias("n"))
        .orderBy(FILE, BLOCK)
        .collect()
    )
    out: dict[tuple[str, int], tuple[int, int]] = {}
    offset = 0
    for r in splits:
        out[(r[FILE], int(r[BLOCK]))] = (offset, int(r["first"]))
        offset += int(r["n"])
    return out


def position_of(pos: dict[tuple[str, int], tuple[int, int]], key: Any) -> int:
    """The 0-based position of a row whose order struct (file, block, mono) is ``key``."""
    offset, first = pos[(key[FILE], int(key[BLOCK]))]
    return offset + int(key[MONO]) - first


def text(col: Column, dtype: str) -> Column:
    """``col`` spelled as DuckDB's ``::VARCHAR`` spells it (NULL stays NULL)."""
    from pyspark.sql import functions as F

    if dtype == "boolean":
        return F.when(col.isNull(), F.lit(None)).when(col, "true").otherwise("false")
    if dtype in ("double", "float"):
        # Spark writes 1.0E-5 where DuckDB writes 1e-05: the digits agree, the exponent's form not
        return F.when(F.isnan(col), F.lit("nan")).otherwise(col.cast("string"))
    return col.cast("string")


def texts(df: DataFrame, columns: Sequence[str]) -> list[Column]:
    """Every column of ``columns`` as text, named as it was."""
    from pyspark.sql import functions as F

    types = dict(df.dtypes)
    return [text(F.col(q(c)), types[c]).alias(c) for c in columns]


def norm(col: Column, normal: str | None) -> Column:
    """An identifier's text normalized as its kind (the twin of ``duckdb_engine._norm``)."""
    from pyspark.sql import functions as F

    c = col.cast("string")
    if normal is None:
        return c
    if normal == "nir":
        return F.upper(F.regexp_replace(c, "[^0-9ABab]", ""))
    if normal == "email":
        return F.lower(F.trim(F.regexp_replace(c, _SPACE, " ")))
    d = F.regexp_replace(c, "[^0-9]", "")
    return (
        F.when(d.startswith("0033"), F.concat(F.lit("0"), F.substring(d, 5, 1 << 30)))
        .when(
            d.startswith("33") & (F.length(d) == 11),
            F.concat(F.lit("0"), F.substring(d, 3, 1 << 30)),
        )
        .otherwise(d)
    )


def matches(match: Sequence[ValueIn]) -> Column:
    """True exactly on the rows matching one of ``match`` (never NULL)."""
    from pyspark.sql import functions as F

    cond = F.lit(False)
    for m in match:
        if m.values:
            hit = norm(F.col(q(m.column)), m.normal).isin(sorted(m.values))
            cond = cond | F.coalesce(hit, F.lit(False))
    return cond


def q(name: str) -> str:
    """A column name as ``F.col`` reads it literally (backquotes doubled, dots kept)."""
    return "`" + name.replace("`", "``") + "`"


def uri(path: Path | str) -> str:
    """A local path or a Hadoop-compatible URI, as Spark reads it."""
    s = str(path)
    return s if "://" in s else str(Path(s).absolute())


def parts(path: Path) -> list[Path]:
    """The Parquet files of a version: the file itself, or a directory's parts in name order."""
    p = Path(path)
    if p.is_dir():
        return sorted(x for x in p.iterdir() if x.is_file() and not x.name.startswith((".", "_")))
    return [p]
