"""The Spark engine: the engine interface over Apache Spark, for data that outgrows one machine.

A version is a Parquet *directory* (Spark's parts, written by parallel tasks); the engine writes it
at the temporary path the workspace gives, and the workspace commits it with the one rename it
uses for files (``store_files.commit_version``), so a failed or killed job leaves a temporary
directory that recovery removes, never a half-written version. The catalog, the keys and the audit
log stay with the Bulle server: only rows go to Spark. Two operations deliberately keep a small
part on the server: pseudonymization tokenizes each *distinct* value there (the custodian's key
never reaches a worker; the tokens join back in Spark), and consent reads fold the subjects'
choices there (the consent snapshot is the catalog's) and hand Spark the people to keep or drop as
a broadcast semi- or anti-join.

Spark runs the same operations as DuckDB and must give the same results: the engine spec tests and
the anonymization tests run over both. Known differences, by design: CSV type inference reads
BIGINT, DOUBLE, BOOLEAN, DATE or VARCHAR (DuckDB also infers times and timestamps); a double's
text uses Java's exponent form (``1.0E-5``); a profile's sample is another pseudo-random choice.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from bulle.errors import InputError, Where
from bulle.fsutil import remove_path
from bulle.storage import csv_checks, parquet_input
from bulle.storage import engine as caps
from bulle.storage import spark_rows as rows
from bulle.storage.engine import CsvOptions, Engine, Release, ValueIn, WriteStats

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    import pyarrow as pa
    from pyspark.sql import DataFrame, SparkSession

    from bulle.storage.consent_sql import VisibleRead


class SparkEngine(Engine):
    name = "spark"
    capabilities = caps.CORE | {
        caps.INGEST_CSV,
        caps.INGEST_PARQUET,
        caps.INGEST_JSONL,
        caps.PROFILE,
        caps.EXPORT,
        caps.DIRECT_CSV,
        caps.VISIBLE_READ,
    }

    def __init__(self, master: str | None = None, conf: dict[str, str] | None = None):
        from bulle.storage.spark_session import DEFAULT_MASTER

        self.master = master or DEFAULT_MASTER
        self.conf = dict(conf or {})

    @property
    def spark(self) -> SparkSession:
        from bulle.storage.spark_session import session

        return session(self.master, self.conf)

    # -- reading and writing -------------------------------------------------------------------
    def _read(self, path: Path, order: bool = False) -> DataFrame:
        from bulle.storage.spark_rows import uri

        df = self.spark.read.parquet(uri(path))
        return rows.with_order(df) if order else df

    def _write(self, df: DataFrame, dest: Path) -> WriteStats:
        """Write ``df`` as a Parquet directory at ``dest``; nothing is left there on failure."""
        try:
            df.write.mode("errorifexists").parquet(rows.uri(dest))
        except BaseException:
            remove_path(dest)
            raise
        return self._stats(dest)

    def _stats(self, dest: Path) -> WriteStats:
        import pyarrow.parquet as pq

        files = rows.parts(dest)
        count = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
        return WriteStats(
            rows=count, schema=self.schema(dest), bytes=sum(f.stat().st_size for f in files)
        )

    def schema(self, path: Path) -> list[dict[str, str]]:
        import pyarrow.parquet as pq

        from bulle.storage.reference_engine import type_name

        return [
            {"name": f.name, "type": type_name(f.type)} for f in pq.read_schema(rows.parts(path)[0])
        ]

    def read_table(
        self, path: Path, columns: list[str] | None = None, limit: int | None = None
    ) -> pa.Table:
        df = self._read(path, order=True)
        if columns is not None:
            df = df.select(*[rows.q(c) for c in columns], *rows.ORDER)
        df = rows.ordered(df)
        if limit is not None:
            df = df.limit(int(limit))
        return df.toArrow()

    def write_table(self, table: pa.Table, dest: Path) -> WriteStats:
        return self._write(self.spark.createDataFrame(table), dest)

    # -- ingest ----------------------------------------------------------------------------------
    def csv_to_parquet(self, src: Path, dest: Path, options: CsvOptions) -> WriteStats:
        from bulle.storage import spark_ingest

        return spark_ingest.csv_to_parquet(self, Path(src), Path(dest), options)

    def parquet_to_parquet(self, src: Path, dest: Path) -> WriteStats:
        csv_checks.check_regular_file(src)
        if src.stat().st_size < 12:
            raise InputError(
                "not a Parquet file (too small to hold a Parquet footer)", Where(file=str(src))
            )
        schema = parquet_input.read_schema(src)
        if parquet_input.check_schema(src, schema):  # converted on the server, then read
            from bulle.storage import spark_ingest

            return spark_ingest.converted_parquet(self, Path(src), Path(dest), schema)
        return self._write(self._read(src), dest)

    def jsonl_to_parquet(self, src: Path, dest: Path) -> WriteStats:
        from bulle.storage import spark_ingest

        return spark_ingest.jsonl_to_parquet(self, Path(src), Path(dest))

    def read_csv_table(self, src: Path, options: CsvOptions) -> pa.Table:
        from bulle.storage import spark_ingest

        return spark_ingest.read_csv_table(self, Path(src), options)

    # -- compute ---------------------------------------------------------------------------------
    def frequency_table(self, path: Path, columns: list[str]) -> pa.Table:
        from pyspark.sql import functions as F

        df = self._read(path).groupBy(*[rows.q(c) for c in columns])
        return df.agg(F.count(F.lit(1)).cast("bigint").alias("count")).toArrow()

    def profile(
        self, path: Path, top: int = 5, sample_rows: int | None = None
    ) -> list[dict[str, Any]]:
        from bulle.storage import spark_profile
        from bulle.storage.profiling_sql import SAMPLE_ROWS

        n = SAMPLE_ROWS if sample_rows is None else sample_rows
        return spark_profile.profile(self._read(path), self.schema(path), top, n)

    def export(
        self,
        path: Path,
        dest: Path,
        fmt: str,
        *,
        keep_formulas: bool = False,
        delimiter: str = ",",
    ) -> None:
        from bulle.storage import spark_release

        spark_release.export(self, Path(path), Path(dest), fmt, keep_formulas, delimiter)

    # -- typed row operations --------------------------------------------------------------------
    def read_text(
        self, path: Path, columns: Sequence[str], *, where_not: Sequence[ValueIn] = ()
    ) -> pa.Table:
        import pyarrow as pa

        df = self._read(path, order=True)
        if where_not:
            df = df.where(~rows.matches(where_not))
        df = rows.ordered(df.select(*rows.texts(df, columns), *rows.ORDER))
        table = df.toArrow() if columns else None
        if table is None:
            return pa.table({})
        return table.cast(pa.schema([(c, pa.string()) for c in columns]))

    def value_counts(self, path: Path, column: str) -> list[tuple[str, int]]:
        df = self._read(path)
        (col,) = rows.texts(df, [column])
        grouped = df.select(col).where(col.isNotNull()).groupBy(rows.q(column)).count()
        return [(r[0], int(r[1])) for r in grouped.collect()]

    def write_projection(
        self,
        path: Path,
        dest: Path,
        *,
        text: Sequence[str] = (),
        keep: Sequence[str] = (),
        drop: Sequence[str] = (),
    ) -> WriteStats:
        df = self._read(path, order=True)
        if text or keep:
            df = df.select(*rows.texts(df, text), *[rows.q(c) for c in keep], *rows.ORDER)
        else:
            df = df.drop(*drop)
        return self._write(rows.ordered(df), dest)

    def write_without(self, path: Path, dest: Path, match: Sequence[ValueIn]) -> WriteStats:
        df = self._read(path, order=True)
        if match:
            df = df.where(~rows.matches(match))
        return self._write(rows.ordered(df), dest)

    def normalized_text(self, path: Path, column: str, normal: str | None) -> list[str | None]:
        from pyspark.sql import functions as F

        df = self._read(path, order=True)
        df = df.select(rows.norm(F.col(rows.q(column)), normal).alias("v"), *rows.ORDER)
        return [r[0] for r in rows.ordered(df).collect()]

    def count_matches(self, path: Path, match: Sequence[ValueIn]) -> tuple[int, list[int]]:
        from pyspark.sql import functions as F

        df = self._read(path)
        aggs = [F.count_if(rows.matches(match))] + [F.count_if(rows.matches([m])) for m in match]
        row = df.agg(*aggs).collect()[0]
        return int(row[0]), [int(n) for n in row[1:]]

    def distinct_matches(
        self, path: Path, match: Sequence[ValueIn], columns: Sequence[tuple[str, str | None]]
    ) -> set[tuple[str | None, ...]]:
        from pyspark.sql import functions as F

        if not columns:
            return set()
        df = self._read(path)
        select = []
        for i, (c, n) in enumerate(columns):
            (t,) = rows.texts(df, [c])
            select += [t.alias(f"t{i}"), rows.norm(F.col(rows.q(c)), n).alias(f"n{i}")]
        found = df.where(rows.matches(match)).select(*select).distinct().collect()
        return {tuple(r) for r in found}

    def token_key_ids(self, path: Path, column: str, prefix: str) -> set[str]:
        from pyspark.sql import functions as F

        df = self._read(path)  # first: the session exists before any column expression
        c = F.col(rows.q(column)).cast("string")
        df = df.where(c.startswith(prefix + "_"))
        found = df.select(F.split_part(c, F.lit("_"), F.lit(2)).alias("k")).distinct().collect()
        return {r[0] for r in found}

    def source_columns(self, source: Path) -> list[str]:
        from bulle.storage.duckdb_anonymization import is_csv

        if is_csv(source):
            return list(csv_checks.sniff(source, CsvOptions(all_varchar=True)).columns)
        return [c["name"] for c in self.schema(source)]

    def group_counts(
        self, source: Path, columns: Sequence[str], *, count: str, first_row: str | None = None
    ) -> pa.Table | None:
        from bulle.storage import spark_release

        return spark_release.group_counts(self, Path(source), list(columns), count, first_row)

    def first_appearance(self, source: Path, column: str) -> list[str]:
        from bulle.storage import spark_release

        return spark_release.first_appearance(self, Path(source), column)

    def write_release(self, source: Path, dest: Path, release: Release) -> None:
        from bulle.storage import spark_release

        spark_release.write_release(self, Path(source), Path(dest), release)

    def pseudonymize(
        self, path: Path, dest: Path, tokenizers: Mapping[str, Callable[[pa.Array], pa.Array]]
    ) -> WriteStats:
        from bulle.storage import spark_release

        return spark_release.pseudonymize(self, Path(path), Path(dest), tokenizers)

    def read_visible(self, read: VisibleRead) -> pa.Table:
        from bulle.storage import spark_release

        return spark_release.read_visible(self, read)

    def source(self, source: Path, order: bool = False) -> DataFrame:
        """A Parquet version, or a CSV file read as text (as ARX reads it)."""
        from bulle.storage.duckdb_anonymization import is_csv

        if is_csv(source):
            from bulle.storage import spark_ingest

            df = spark_ingest.csv_text_frame(self, Path(source))
            return rows.with_order(df) if order else df
        return self._read(source, order)
