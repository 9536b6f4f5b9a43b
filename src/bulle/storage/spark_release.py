"""Spark's anonymization and release work: the base frequency table, first appearances, the
release, pseudonymization, consent-filtered reads and exports.

The base frequency table is one ``groupBy`` (a shuffle of one row per combination per partition),
collected on the driver where the search runs unchanged on the compressed table. A combination's
first row is the minimum of the rows' order tags, turned into a position from the splits' sizes
(:func:`bulle.storage.spark_rows.positions`), so no global window serializes the scan. The
release joins each quasi-identifier with its small generalization map and the suppressed classes,
all broadcast, and keeps the source's row order.

Files written for a user (a CSV release, an export) are single files: Spark writes one part into a
temporary directory beside the destination, which is then fsynced and renamed into place.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from bulle.errors import InputError, Where
from bulle.fsutil import remove_path
from bulle.storage import spark_ingest
from bulle.storage import spark_rows as rows
from bulle.storage.engine import SUPPRESSED, Release, WriteStats

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    import pyarrow as pa
    from pyspark.sql import DataFrame

    from bulle.storage.consent_sql import VisibleRead
    from bulle.storage.spark_engine import SparkEngine


def group_counts(
    engine: SparkEngine, source: Path, columns: list[str], count: str, first_row: str | None
) -> pa.Table | None:
    from py4j.protocol import Py4JJavaError
    from pyspark.errors import PySparkException

    from bulle.storage.duckdb_anonymization import is_csv

    if is_csv(source) and not spark_ingest.direct(source):
        return None  # not UTF-8: the caller imports it first
    try:
        return _group_counts(engine, source, columns, count, first_row)
    except (PySparkException, Py4JJavaError):
        if is_csv(source):  # a malformed row: the caller's import names the line
            return None
        raise


def _group_counts(
    engine: SparkEngine, source: Path, columns: list[str], count: str, first_row: str | None
) -> pa.Table:
    import pyarrow as pa
    from pyspark.sql import functions as F

    df = engine.source(source, order=bool(first_row))
    n = F.count(F.lit(1)).cast("bigint").alias(count)
    if not first_row:
        grouped = df.groupBy(*[rows.q(c) for c in columns]).agg(n) if columns else df.agg(n)
        return grouped.toArrow()
    first = F.min(F.struct(*rows.ORDER)).alias("__first")
    found = df.groupBy(*[rows.q(c) for c in columns]).agg(n, first).collect()
    pos = rows.positions(df)
    types = {f.name: f.dataType for f in df.schema.fields}
    from pyspark.sql.pandas.types import to_arrow_type

    out = {
        c: pa.array([r[i] for r in found], type=to_arrow_type(types[c]))
        for i, c in enumerate(columns)
    }
    out[count] = pa.array([r[count] for r in found], type=pa.int64())
    out[first_row] = pa.array([rows.position_of(pos, r["__first"]) for r in found], pa.int64())
    return pa.table(out)


def first_appearance(engine: SparkEngine, source: Path, column: str) -> list[str]:
    from pyspark.sql import functions as F

    df = engine.source(source, order=True)
    (text,) = rows.texts(df, [column])
    v = F.coalesce(text, F.lit("")).alias("v")
    found = df.select(v, *rows.ORDER).groupBy("v").agg(F.min(F.struct(*rows.ORDER)).alias("f"))
    return [r[0] for r in found.orderBy("f").collect()]


def _released(engine: SparkEngine, source: Path, release: Release) -> DataFrame:
    """The release's rows as a frame, in the order of the source, without order columns."""
    from pyspark.sql import functions as F

    spark = engine.spark
    df = engine.source(source, order=True)
    columns = [c for c in df.columns if c not in rows.ORDER]
    qis = list(release.maps)
    for i, q in enumerate(qis):
        pairs = [(v, g) for v, g in release.maps[q].items()]
        m = spark.createDataFrame(pairs, f"v{i} string, g{i} string")
        (text,) = rows.texts(df, [q])
        df = df.join(F.broadcast(m), F.coalesce(text, F.lit("")) == F.col(f"v{i}"), "left")
    flag = F.lit(False)
    if release.suppressed_classes and qis:
        sup = spark.createDataFrame(
            sorted(release.suppressed_classes), ", ".join(f"s{i} string" for i in range(len(qis)))
        ).distinct()
        sup = sup.withColumn("__hit", F.lit(True))
        cond = [F.col(f"g{i}") == F.col(f"s{i}") for i in range(len(qis))]
        df = df.join(F.broadcast(sup), cond, "left")
        flag = F.coalesce(F.col("__hit"), F.lit(False))
    select = []
    for c in columns:
        if c in qis:
            g = F.col(f"g{qis.index(c)}")
            select.append(F.when(flag, F.lit(SUPPRESSED)).otherwise(g).alias(c))
        else:
            select.append(F.col(rows.q(c)))
    if release.remove_suppressed:
        df = df.where(~flag)
    return rows.ordered(df.select(*select, *rows.ORDER))


def write_release(engine: SparkEngine, source: Path, dest: Path, release: Release) -> None:
    df = _released(engine, source, release)
    try:
        if dest.suffix.lower() == ".parquet":  # a version: a directory committed by one rename
            tmp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:8]}.tmp")
            engine._write(df, tmp)
            _fsync_tree(tmp)
            os.replace(tmp, dest)
        else:
            if not release.keep_formulas:
                df = _neutralized(df)
            _single_file(engine, df, dest, "csv", release.delimiter)
    except OSError as exc:
        raise InputError(
            f"cannot write the release: {exc.strerror or exc}", Where(file=str(dest))
        ) from None


def _neutralized(df: DataFrame) -> DataFrame:
    """Text cells and names a spreadsheet would run, prefixed with a quote (``bulle.formulas``)."""
    from pyspark.sql import functions as F

    from bulle.formulas import PLAIN_NUMBER, neutralize

    out = []
    for name, dtype in df.dtypes:
        c = F.col(rows.q(name))
        if dtype == "string":
            bad = c.rlike("^[=+\\-@\t\r]") & ~c.rlike("^" + PLAIN_NUMBER + "$")
            c = F.when(bad, F.concat(F.lit("'"), c)).otherwise(c)
        out.append(c.alias(neutralize(name)))
    return df.select(*out)


def _single_file(
    engine: SparkEngine, df: DataFrame, dest: Path, fmt: str, delimiter: str = ","
) -> None:
    """One file at ``dest``: one Spark part in a temporary directory, fsynced, renamed."""
    tmp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        writer = df.coalesce(1).write.mode("errorifexists")
        if fmt == "csv":
            writer.option("header", "true").option("sep", delimiter).option("quote", '"').option(
                "escape", '"'
            ).option("emptyValue", "").csv(rows.uri(tmp))
        elif fmt == "jsonl":
            writer.option("ignoreNullFields", "false").json(rows.uri(tmp))
        else:
            writer.parquet(rows.uri(tmp))
        (part,) = rows.parts(tmp) or [None]
        if part is None:
            raise OSError("Spark wrote no file")
        with open(part, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(part, dest)
    finally:
        remove_path(tmp)


def _fsync_tree(path: Path) -> None:
    from bulle.fsutil import fsync_dir

    for part in rows.parts(path):
        with open(part, "rb+") as f:
            os.fsync(f.fileno())
    fsync_dir(path)


def export(
    engine: SparkEngine, path: Path, dest: Path, fmt: str, keep_formulas: bool, delimiter: str = ","
) -> None:
    df = rows.ordered(engine._read(path, order=True))
    if fmt == "csv" and not keep_formulas:
        df = _neutralized(df)
    _single_file(engine, df, dest, fmt, delimiter)


def pseudonymize(
    engine: SparkEngine,
    path: Path,
    dest: Path,
    tokenizers: Mapping[str, Callable[[pa.Array], pa.Array]],
) -> WriteStats:
    """Each distinct value is tokenized on the server (the key never reaches a worker), in one
    call per column, and the tokens join back to the rows in Spark (broadcast when small)."""
    import pyarrow as pa
    from pyspark.sql import functions as F

    spark = engine.spark
    df = engine._read(path, order=True)
    for i, (col, fn) in enumerate(tokenizers.items()):
        (text,) = rows.texts(df, [col])
        distinct = df.select(text.alias("v")).where(F.col("v").isNotNull()).distinct()
        values = distinct.toArrow().column("v").combine_chunks().cast(pa.string())
        tokens = fn(values)
        table = pa.table({f"v{i}": values, f"t{i}": tokens.cast(pa.string())})
        mapping = spark.createDataFrame(table) if table.num_rows else None
        if mapping is None:
            df = df.withColumn(col, F.lit(None).cast("string"))
            continue
        df = df.join(F.broadcast(mapping), text == F.col(f"v{i}"), "left")
        df = df.withColumn(col, F.col(f"t{i}")).drop(f"v{i}", f"t{i}")
    return engine._write(rows.ordered(df), dest)


def read_visible(engine: SparkEngine, read: VisibleRead) -> pa.Table:
    """Declared columns of the people visible: the people kept (consent) as a broadcast semi-join,
    or those dropped (objection) as a broadcast anti-join, on the subject column as text."""
    from pyspark.sql import functions as F

    from bulle.storage.consent_sql import people

    df = engine._read(read.data, order=True)
    mode, ids = people(read)
    if mode != "all":
        subject = df[rows.q(read.subject_column or "")].cast("string")
        who = engine.spark.createDataFrame([(i,) for i in sorted(ids)], "__sid string")
        how = "left_semi" if mode == "allow" else "left_anti"
        df = df.join(F.broadcast(who), subject == F.col("__sid"), how)
    df = df.select(*[rows.q(c) for c in read.columns], *rows.ORDER)
    return rows.ordered(df).toArrow()
