"""Importing CSV, Parquet and JSON Lines files through Spark into a version directory.

The dialect (encoding, delimiter, header, names in NFC) is sniffed on the server by the same code
as for DuckDB (:mod:`bulle.storage.csv_checks`), and Spark reads the file with it, every column as
text, failing fast on a malformed row; the slow exact locator then names the bad line, as for
DuckDB. Types are inferred in one aggregate pass over the text (a column is BIGINT when every
non-empty value casts to one, else DOUBLE, BOOLEAN or DATE likewise, else VARCHAR), and the write
casts: two passes over the file, both parallel, none on the driver.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from bulle.errors import InputError, Where
from bulle.fsutil import remove_path
from bulle.storage import csv_checks
from bulle.storage import spark_rows as rows
from bulle.storage.engine import CsvOptions, WriteStats

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame

    from bulle.storage.spark_engine import SparkEngine

UTF8 = ("utf-8", "utf8", "utf-8-sig")
# Inferred types, most specific first, with the test a text value passes to be one.
_INFER = (
    ("bigint", "^[+-]?[0-9]{1,18}$"),
    ("double", "^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?$"),
    ("boolean", "^(?i)(true|false)$"),
    ("date", "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"),
)


def _frame(engine: SparkEngine, src: Path, dialect: csv_checks.Dialect) -> DataFrame:
    from pyspark.sql.types import StringType, StructField, StructType

    schema = StructType([StructField(c, StringType(), True) for c in dialect.columns])
    return (
        engine.spark.read.schema(schema)
        .option("sep", dialect.delimiter)
        .option("header", "true" if dialect.header else "false")
        .option("quote", dialect.quote)
        .option("escape", dialect.quote)
        .option("encoding", "UTF-8")
        .option("multiLine", "true" if _quoted(src, dialect.quote) else "false")
        .option("mode", "FAILFAST")
        .option("enforceSchema", "true")
        .csv(rows.uri(src))
    )


def _quoted(src: Path, quote: str) -> bool:
    """Whether the file holds its quote character at all: only a quoted field can hold a line
    break, and a file without one is read line by line, in parallel splits (a multi-line read
    is one task per file)."""
    needle = quote.encode("utf-8")
    with open(src, "rb") as f:
        while block := f.read(1 << 24):
            if needle in block:
                return True
    return False


def direct(src: Path) -> bool:
    """Whether Spark reads this CSV file as it is (UTF-8); others are imported first."""
    dialect = csv_checks.sniff(src, CsvOptions(all_varchar=True))
    return dialect.encoding.lower().replace("_", "-") in UTF8


def csv_text_frame(engine: SparkEngine, src: Path) -> DataFrame:
    """A CSV file read as text, as ARX reads it (UTF-8 only: others are imported first)."""
    dialect = csv_checks.sniff(src, CsvOptions(all_varchar=True))
    if dialect.encoding.lower().replace("_", "-") not in UTF8:
        raise InputError(
            f"the Spark engine reads CSV files in UTF-8 directly; import this {dialect.encoding} "
            "file first",
            Where(file=str(src)),
        )
    return _frame(engine, src, dialect)


def csv_to_parquet(engine: SparkEngine, src: Path, dest: Path, options: CsvOptions) -> WriteStats:
    from py4j.protocol import Py4JJavaError
    from pyspark.errors import PySparkException

    dialect = csv_checks.sniff(src, options)
    source, transcoded = src, None
    if dialect.encoding.lower().replace("_", "-") not in UTF8:
        transcoded = dest.with_name(dest.name + ".utf8.csv")
        csv_checks.transcode_to_utf8(src, transcoded, dialect.encoding)
        source = transcoded
    try:
        df = _frame(engine, source, dialect)
        if not options.all_varchar:
            df = df.select(*_typed(df, dialect.columns))
        stats = engine._write(df, dest)
    except (PySparkException, Py4JJavaError) as exc:
        found = csv_checks.locate_problem(src, dialect)
        raise found or InputError(
            f"malformed CSV ({type(exc).__name__})", Where(file=str(src))
        ) from None
    finally:
        if transcoded is not None:
            transcoded.unlink(missing_ok=True)
    if stats.rows == 0 and (found := csv_checks.locate_problem(src, dialect)) is not None:
        remove_path(dest)
        raise found
    return stats


def _typed(df: DataFrame, columns: list[str]) -> list:
    """Each column cast to the most specific type all its non-empty values take (one pass)."""
    from pyspark.sql import functions as F

    aggs = []
    for i, c in enumerate(columns):
        v = F.trim(F.col(rows.q(c)))
        present = F.col(rows.q(c)).isNotNull() & (v != "")
        aggs.append(F.count_if(present).alias(f"n{i}"))
        for t, pattern in _INFER:
            ok = present & v.rlike(pattern)
            if t == "date":
                ok = ok & v.try_cast("date").isNotNull()
            aggs.append(F.count_if(ok).alias(f"{t}{i}"))
    counts = df.agg(*aggs).collect()[0] if columns else None
    out = []
    for i, c in enumerate(columns):
        col = F.col(rows.q(c))
        n = counts[f"n{i}"]
        chosen = next((t for t, _ in _INFER if n and counts[f"{t}{i}"] == n), None)
        if chosen is None:
            out.append(col.alias(c))
        else:
            clean = F.when(F.trim(col) == "", F.lit(None)).otherwise(F.trim(col))
            out.append(clean.try_cast(chosen).alias(c))
    return out


def read_csv_table(engine: SparkEngine, src: Path, options: CsvOptions) -> pa.Table:
    from py4j.protocol import Py4JJavaError
    from pyspark.errors import PySparkException

    dialect = csv_checks.sniff(src, options)
    try:
        df = rows.with_order(csv_text_frame(engine, src))
        if not options.all_varchar:
            df = df.select(*_typed(df, dialect.columns), *rows.ORDER)
        return rows.ordered(df).toArrow()
    except (PySparkException, Py4JJavaError):
        found = csv_checks.locate_problem(src, dialect)
        raise found or InputError("malformed CSV", Where(file=str(src))) from None


def converted_parquet(engine: SparkEngine, src: Path, dest: Path, schema: pa.Schema) -> WriteStats:
    """A Parquet input needing Bulle's faithful conversion (wide decimals, durations): converted
    batch by batch on the server into a temporary file beside ``dest``, then written by Spark."""
    import pyarrow.parquet as pq

    from bulle.storage import parquet_input

    staged = dest.with_name(dest.name + ".converted.parquet")
    reader = parquet_input.converted_reader(src, schema)
    try:
        with pq.ParquetWriter(staged, reader.schema) as writer:
            for batch in reader:
                writer.write_batch(batch)
        return engine._write(engine._read(staged), dest)
    finally:
        remove_path(staged)


def jsonl_to_parquet(engine: SparkEngine, src: Path, dest: Path) -> WriteStats:
    """JSON Lines (or one JSON array) through Spark's reader; columns in first-seen key order."""
    from py4j.protocol import Py4JJavaError
    from pyspark.errors import PySparkException

    from bulle.storage import json_checks

    csv_checks.check_regular_file(src)
    if src.stat().st_size == 0:
        raise InputError("empty file: no records", Where(file=str(src)))
    array = json_checks.is_array_file(src)

    def located() -> InputError | None:
        return (
            json_checks.locate_array_problem(src)
            if array
            else json_checks.locate_lines_problem(src)
        )

    try:
        reader = engine.spark.read.option("mode", "FAILFAST").option("multiLine", array)
        df = reader.json(rows.uri(src))
        names = _key_order(src, array, df.columns)
        csv_checks.check_column_names(names, src)
        return engine._write(df.select(*[rows.q(c) for c in names]), dest)
    except (PySparkException, Py4JJavaError) as exc:
        raise located() or InputError(
            f"malformed JSON ({type(exc).__name__})", Where(file=str(src))
        ) from None


def _key_order(src: Path, array: bool, columns: list[str]) -> list[str]:
    """Spark sorts JSON keys by name; DuckDB keeps the order they appear in: follow DuckDB."""
    import json

    seen: dict[str, None] = {}
    if not array:
        with open(src, encoding="utf-8") as f:
            for i, line in enumerate(f):
                if i >= 1000 or len(seen) == len(columns):
                    break
                if line.strip():
                    record = json.loads(line)
                    if isinstance(record, dict):
                        seen.update(dict.fromkeys(record))
    ordered = [c for c in seen if c in columns]
    return ordered + [c for c in columns if c not in seen]
