"""The default engine: embedded DuckDB reading and writing Parquet.

Ingest streams through DuckDB (``COPY (SELECT ... FROM read_csv(...)) TO ... (FORMAT parquet)``)
so a file larger than memory imports within a fixed memory limit. When DuckDB rejects a file, the
slow exact locator in :mod:`bulle.storage.csv_checks` finds the first bad line so the user gets a
precise message; the fast path never pays for it.
"""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bulle.errors import InputError, Where
from bulle.storage import csv_arrow, csv_checks, json_checks, parquet_input
from bulle.storage import engine as caps
from bulle.storage.engine import CsvOptions, Engine, Release, ValueIn, WriteStats
from bulle.storage.sqltext import ident, lit

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    import duckdb
    import pyarrow as pa

    from bulle.storage.consent_sql import VisibleRead

PARQUET_OPTIONS = "FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880"
NATIVE_ENCODINGS = {
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "utf-16": "utf-16",
    "latin-1": "latin-1",
    "latin1": "latin-1",
    "iso-8859-1": "latin-1",
}


class DuckDBEngine(Engine):
    name = "duckdb"
    capabilities = caps.CORE | {
        caps.INGEST_CSV,
        caps.INGEST_PARQUET,
        caps.INGEST_JSONL,
        caps.PROFILE,
        caps.EXPORT,
        caps.DIRECT_CSV,
        caps.ANALYST_SQL,
        caps.VISIBLE_READ,
    }

    def __init__(
        self,
        memory_limit: str | None = None,
        threads: int | None = None,
        temp_directory: Path | None = None,
    ):
        self.memory_limit = (
            memory_limit or os.environ.get("BULLE_MEMORY_LIMIT") or _default_memory_limit()
        )
        self.threads = threads
        self.temp_directory = temp_directory

    # -- connections -------------------------------------------------------------------------
    def connect(self) -> duckdb.DuckDBPyConnection:
        import duckdb

        con = duckdb.connect(
            config={"autoinstall_known_extensions": False, "autoload_known_extensions": False}
        )
        con.execute(f"SET memory_limit={lit(self.memory_limit)}")
        if self.threads:
            con.execute(f"SET threads={int(self.threads)}")
        if self.temp_directory:
            con.execute(f"SET temp_directory={lit(self.temp_directory)}")
        con.execute("SET enable_progress_bar=false")
        return con

    # -- ingest ------------------------------------------------------------------------------
    def csv_to_parquet(self, src: Path, dest: Path, options: CsvOptions) -> WriteStats:
        dialect = csv_checks.sniff(src, options)
        wide = len(dialect.columns) > csv_arrow.WIDE_COLUMNS
        source = src
        transcoded: Path | None = None
        encoding = NATIVE_ENCODINGS.get(dialect.encoding.lower())
        if encoding is None or (wide and encoding != "utf-8"):  # transcode to UTF-8 first
            transcoded = dest.with_suffix(".utf8.csv")
            csv_checks.transcode_to_utf8(src, transcoded, dialect.encoding)
            source, encoding = transcoded, "utf-8"
        try:
            if wide:
                return self._wide_csv_to_parquet(src, source, dest, dialect)
            con = self.connect()
            try:
                max_line = None
                while True:  # a line over DuckDB's limit (2 MB by default) is legal CSV: read it
                    reader = self._read_csv_sql(
                        source, dialect, encoding, options.all_varchar, max_line_size=max_line
                    )
                    try:
                        self._copy(con, reader, dest, on_error=lambda exc: _LongLine(exc))
                        break
                    except _LongLine as long:
                        size = long.size()
                        if size is None or size > MAX_LINE_BYTES or (max_line and size < max_line):
                            raise self._csv_error(src, dialect, long.exc, size) from None
                        max_line = size * 2 + 2
                stats = self._stats(con, dest)
            finally:
                con.close()
            if stats.rows == 0 and (found := csv_checks.locate_problem(src, dialect)) is not None:
                dest.unlink(missing_ok=True)  # DuckDB may read a ragged file as no rows at all
                raise found
            return stats
        finally:
            if transcoded is not None:
                transcoded.unlink(missing_ok=True)

    def _wide_csv_to_parquet(
        self, src: Path, source: Path, dest: Path, dialect: csv_checks.Dialect
    ) -> WriteStats:
        import pyarrow as pa

        try:
            csv_arrow.csv_to_parquet(source, dest, dialect)
        except (pa.ArrowException, OSError) as exc:
            Path(dest).unlink(missing_ok=True)
            found = csv_checks.locate_problem(src, dialect)
            if found is None and ("straddl" in str(exc) or "larger than block size" in str(exc)):
                found = InputError(
                    f"a row is longer than the {csv_arrow.BLOCK_BYTES >> 20} MB read at once "
                    f"for files of more than {csv_arrow.WIDE_COLUMNS} columns",
                    Where(file=str(src)),
                )
            # Arrow's messages quote the row: never show cells, only where the reading stopped.
            raise found or InputError(
                f"malformed CSV ({type(exc).__name__})", Where(file=str(src))
            ) from None
        con = self.connect()
        try:
            return self._stats(con, dest)
        finally:
            con.close()

    def _read_csv_sql(
        self,
        path: Path,
        dialect: csv_checks.Dialect,
        encoding: str,
        all_varchar: bool,
        types: dict[str, str] | None = None,
        max_line_size: int | None = None,
    ) -> str:
        args = [
            lit(path),
            f"delim={lit(dialect.delimiter)}",
            f"header={'true' if dialect.header else 'false'}",
            f"quote={lit(dialect.quote)}",
            f"escape={lit(dialect.quote)}",
            f"encoding={lit(encoding)}",
            "strict_mode=true",
            "sample_size=-1" if os.path.getsize(path) < 64 * 1024 * 1024 else "sample_size=200000",
        ]
        # Always the sniffed names: in NFC, as checked (a header may spell "é" in NFD).
        args.append("names=[" + ", ".join(lit(c) for c in dialect.columns) + "]")
        if max_line_size:
            args.append(f"max_line_size={int(max_line_size)}")
        if all_varchar:
            args.append("all_varchar=true")
        elif types:
            args.append(
                "types={" + ", ".join(f"{lit(k)}: {lit(v)}" for k, v in types.items()) + "}"
            )
        return f"SELECT * FROM read_csv({', '.join(args)})"

    def _copy(self, con, select_sql: str, dest: Path, on_error) -> None:
        import duckdb

        try:
            con.execute(f"COPY ({select_sql}) TO {lit(dest)} ({PARQUET_OPTIONS})")
        except (duckdb.Error, RuntimeError) as exc:
            Path(dest).unlink(missing_ok=True)
            raise on_error(exc) from None

    def _csv_error(
        self, src: Path, dialect: csv_checks.Dialect, exc: Exception, line_bytes: int | None = None
    ) -> InputError:
        found = csv_checks.locate_problem(src, dialect)
        if found is not None:
            return found
        if line_bytes is not None:
            return InputError(
                f"a row of {line_bytes:,} bytes is longer than the {MAX_LINE_BYTES:,} bytes "
                "Bulle reads in one row",
                Where(file=str(src)),
            )
        return InputError(_first_line(str(exc)), Where(file=str(src), line=_line_of(str(exc))))

    def parquet_to_parquet(self, src: Path, dest: Path) -> WriteStats:
        csv_checks.check_regular_file(src)
        if src.stat().st_size < 12:
            raise InputError(
                "not a Parquet file (too small to hold a Parquet footer)", Where(file=str(src))
            )
        schema = parquet_input.read_schema(src)
        convert = parquet_input.check_schema(src, schema)  # before DuckDB renames anything
        con = self.connect()
        try:

            def err(exc: Exception) -> InputError:
                return InputError(
                    f"cannot read as Parquet: {_first_line(str(exc))}", Where(file=str(src))
                )

            if convert:
                import pyarrow as pa

                try:
                    con.register("__bulle_src", parquet_input.converted_reader(src, schema))
                    self._copy(con, "SELECT * FROM __bulle_src", dest, err)
                except pa.ArrowException as exc:
                    Path(dest).unlink(missing_ok=True)
                    raise err(exc) from None
            else:
                self._copy(con, f"SELECT * FROM read_parquet({lit(src)})", dest, err)
            return self._stats(con, dest)
        finally:
            con.close()

    def jsonl_to_parquet(self, src: Path, dest: Path) -> WriteStats:
        csv_checks.check_regular_file(src)
        if src.stat().st_size == 0:
            raise InputError("empty file: no records", Where(file=str(src)))
        array = json_checks.is_array_file(src)
        con = self.connect()
        try:

            def err(exc: Exception) -> InputError:
                found = (
                    json_checks.locate_array_problem(src)
                    if array
                    else json_checks.locate_lines_problem(src)
                )
                return found or InputError(
                    _first_line(str(exc)), Where(file=str(src), line=_line_of(str(exc)))
                )

            sql = (
                f"SELECT * FROM read_json({lit(src)}, format={lit('array' if array else 'newline_delimited')}, "
                "records='true', sample_size=-1, maximum_object_size=67108864)"
            )
            self._copy(con, sql, dest, err)
            names = [c["name"] for c in self._schema(con, dest)]
            csv_checks.check_column_names(names, src)
            if any(unicodedata.normalize("NFC", n) != n for n in names):  # keys spelled in NFD
                renamed = dest.with_suffix(".nfc.parquet")
                self._copy(
                    con,
                    f"SELECT {parquet_input.nfc_select(names)} FROM read_parquet({lit(dest)})",
                    renamed,
                    err,
                )
                renamed.replace(dest)
            return self._stats(con, dest)
        except BaseException:
            Path(dest).unlink(missing_ok=True)
            raise
        finally:
            con.close()

    def _stats(self, con, dest: Path) -> WriteStats:
        meta = con.execute(
            f"SELECT sum(num_rows) FROM (SELECT DISTINCT row_group_id, row_group_num_rows AS num_rows "
            f"FROM parquet_metadata({lit(dest)}))"
        ).fetchone()
        rows = int(meta[0] or 0)
        schema = self._schema(con, dest)
        return WriteStats(rows=rows, schema=schema, bytes=dest.stat().st_size)

    def _schema(self, con, path: Path) -> list[dict[str, str]]:
        rows = con.execute(f"DESCRIBE SELECT * FROM read_parquet({lit(path)})").fetchall()
        return [{"name": r[0], "type": str(r[1])} for r in rows]

    # -- read ----------------------------------------------------------------------------------
    def read_table(
        self, path: Path, columns: list[str] | None = None, limit: int | None = None
    ) -> pa.Table:
        con = self.connect()
        try:
            cols = ", ".join(ident(c) for c in columns) if columns else "*"
            sql = f"SELECT {cols} FROM read_parquet({lit(path)})"
            if limit is not None:
                sql += f" LIMIT {int(limit)}"
            return con.sql(sql).to_arrow_table()
        finally:
            con.close()

    def read_csv_table(self, src: Path, options: CsvOptions) -> pa.Table:
        dialect = csv_checks.sniff(src, options)
        encoding = NATIVE_ENCODINGS.get(dialect.encoding.lower(), "utf-8")
        con = self.connect()
        try:
            import duckdb

            try:
                return con.sql(
                    self._read_csv_sql(src, dialect, encoding, options.all_varchar)
                ).to_arrow_table()
            except (duckdb.Error, RuntimeError) as exc:
                raise self._csv_error(src, dialect, exc) from None
        finally:
            con.close()

    def write_table(self, table: pa.Table, dest: Path) -> WriteStats:
        con = self.connect()
        try:
            con.register("__bulle_src", table)
            con.execute(f"COPY (SELECT * FROM __bulle_src) TO {lit(dest)} ({PARQUET_OPTIONS})")
            con.unregister("__bulle_src")
            return WriteStats(
                rows=table.num_rows, schema=self._schema(con, dest), bytes=dest.stat().st_size
            )
        finally:
            con.close()

    def export(
        self,
        path: Path,
        dest: Path,
        fmt: str,
        *,
        keep_formulas: bool = False,
        delimiter: str = ",",
    ) -> None:
        if fmt == "parquet":
            import shutil

            shutil.copyfile(path, dest)  # byte for byte: the stored file is the open format
            return
        options = {
            "csv": f"FORMAT csv, HEADER true, DELIMITER {lit(delimiter)}",
            "jsonl": "FORMAT json",
        }[fmt]
        con = self.connect()
        try:
            sql = f"SELECT * FROM read_parquet({lit(path)})"
            if fmt == "csv" and not keep_formulas:
                from bulle.storage.formulas_sql import sql_select

                sql = sql_select(con, sql)
            con.execute(f"COPY ({sql}) TO {lit(dest)} ({options})")
        finally:
            con.close()

    def write_sql(self, sql: str, dest: Path, tables: dict[str, Any] | None = None) -> WriteStats:
        """Write the result of a SQL query over Parquet files (and registered tables) as Parquet."""
        con = self.connect()
        try:
            for name, tbl in (tables or {}).items():
                con.register(name, tbl)
            con.execute(f"COPY ({sql}) TO {lit(dest)} ({PARQUET_OPTIONS})")
            return self._stats(con, dest)
        finally:
            con.close()

    # -- compute -------------------------------------------------------------------------------
    def frequency_table(self, path: Path, columns: list[str]) -> pa.Table:
        con = self.connect()
        try:
            cols = ", ".join(ident(c) for c in columns)
            return con.sql(
                f"SELECT {cols}, count(*)::BIGINT AS count FROM read_parquet({lit(path)}) GROUP BY ALL"
            ).to_arrow_table()
        finally:
            con.close()

    # -- typed row operations ------------------------------------------------------------------
    def schema(self, path: Path) -> list[dict[str, str]]:
        con = self.connect()
        try:
            return self._schema(con, path)
        finally:
            con.close()

    def read_text(
        self, path: Path, columns: Sequence[str], *, where_not: Sequence[ValueIn] = ()
    ) -> pa.Table:
        cols = ", ".join(f"{ident(c)}::VARCHAR AS {ident(c)}" for c in columns)
        where = f" WHERE NOT {_matches(where_not)}" if where_not else ""
        return self._arrow(f"SELECT {cols} FROM read_parquet({lit(path)}){where}")

    def value_counts(self, path: Path, column: str) -> list[tuple[str, int]]:
        con = self.connect()
        try:
            return [
                (v, int(n))
                for v, n in con.execute(
                    f"SELECT {ident(column)}::VARCHAR, count(*) FROM read_parquet({lit(path)}) "
                    f"WHERE {ident(column)} IS NOT NULL GROUP BY 1"
                ).fetchall()
            ]
        finally:
            con.close()

    def write_projection(
        self,
        path: Path,
        dest: Path,
        *,
        text: Sequence[str] = (),
        keep: Sequence[str] = (),
        drop: Sequence[str] = (),
    ) -> WriteStats:
        if text or keep:
            cols = ", ".join(
                [f"{ident(c)}::VARCHAR AS {ident(c)}" for c in text] + [ident(c) for c in keep]
            )
        else:
            cols = "*" + (f" EXCLUDE ({', '.join(ident(c) for c in drop)})" if drop else "")
        return self.write_sql(f"SELECT {cols} FROM read_parquet({lit(path)})", dest)

    def write_without(self, path: Path, dest: Path, match: Sequence[ValueIn]) -> WriteStats:
        where = f" WHERE NOT {_matches(match)}" if match else ""
        return self.write_sql(f"SELECT * FROM read_parquet({lit(path)}){where}", dest)

    def normalized_text(self, path: Path, column: str, normal: str | None) -> list[str | None]:
        con = self.connect()
        try:
            return [
                r[0]
                for r in con.execute(
                    f"SELECT {_norm(normal, column)} FROM read_parquet({lit(path)})"
                ).fetchall()
            ]
        finally:
            con.close()

    def count_matches(self, path: Path, match: Sequence[ValueIn]) -> tuple[int, list[int]]:
        per = "".join(f", count(*) FILTER (WHERE {_matches([m])})" for m in match)
        con = self.connect()
        try:
            row = con.execute(
                f"SELECT count(*) FILTER (WHERE {_matches(match)}){per} "
                f"FROM read_parquet({lit(path)})"
            ).fetchone()
        finally:
            con.close()
        return int(row[0]), [int(n) for n in row[1:]]

    def distinct_matches(
        self, path: Path, match: Sequence[ValueIn], columns: Sequence[tuple[str, str | None]]
    ) -> set[tuple[str | None, ...]]:
        if not columns:
            return set()
        select = ", ".join(f"{ident(c)}::VARCHAR, {_norm(n, c)}" for c, n in columns)
        con = self.connect()
        try:
            return set(
                con.execute(
                    f"SELECT DISTINCT {select} FROM read_parquet({lit(path)}) "
                    f"WHERE {_matches(match)}"
                ).fetchall()
            )
        finally:
            con.close()

    def token_key_ids(self, path: Path, column: str, prefix: str) -> set[str]:
        c = f"{ident(column)}::VARCHAR"
        pattern = lit(prefix.replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%") + "\\_%")
        con = self.connect()
        try:
            found = con.execute(
                f"SELECT list(DISTINCT split_part({c}, '_', 2)) FILTER (WHERE {c} LIKE "
                f"{pattern} ESCAPE '\\') FROM read_parquet({lit(path)})"
            ).fetchone()
        finally:
            con.close()
        return set(found[0] or ())

    def source_columns(self, source: Path) -> list[str]:
        from bulle.storage.duckdb_anonymization import is_csv

        if is_csv(source):
            return list(csv_checks.sniff(source, CsvOptions(all_varchar=True)).columns)
        return list(self.read_table(source, limit=0).column_names)

    def group_counts(
        self, source: Path, columns: Sequence[str], *, count: str, first_row: str | None = None
    ) -> pa.Table | None:
        from bulle.storage import duckdb_anonymization

        con = self.connect()
        try:
            return duckdb_anonymization.group_counts(con, Path(source), columns, count, first_row)
        finally:
            con.close()

    def first_appearance(self, source: Path, column: str) -> list[str]:
        from bulle.storage import duckdb_anonymization

        con = self.connect()
        try:
            return duckdb_anonymization.first_appearance(con, Path(source), column)
        finally:
            con.close()

    def write_release(self, source: Path, dest: Path, release: Release) -> None:
        from bulle.storage import duckdb_anonymization

        con = self.connect()
        try:
            duckdb_anonymization.write_release(con, Path(source), Path(dest), release)
        finally:
            con.close()

    def pseudonymize(
        self, path: Path, dest: Path, tokenizers: Mapping[str, Callable[[pa.Array], pa.Array]]
    ) -> WriteStats:
        from duckdb import sqltypes

        con = self.connect()
        try:
            exprs = []
            for i, (col, fn) in enumerate(tokenizers.items()):
                con.create_function(
                    f"bulle_token_{i}",
                    fn,
                    [sqltypes.VARCHAR],
                    sqltypes.VARCHAR,
                    type="arrow",
                    side_effects=False,
                )
                exprs.append(f"bulle_token_{i}({ident(col)}::VARCHAR) AS {ident(col)}")
            replace = f" REPLACE ({', '.join(exprs)})" if exprs else ""
            con.execute(
                "SET threads=1"
            )  # one UDF instance: a tokenizer's cache and mapping stay consistent
            con.execute(
                f"COPY (SELECT *{replace} FROM read_parquet({lit(path)})) TO {lit(dest)} "
                "(FORMAT parquet, COMPRESSION zstd)"
            )
            return self._stats(con, dest)
        finally:
            con.close()

    def read_visible(self, read: VisibleRead) -> pa.Table:
        """A project's read: declared columns, visible people only. The people filter is DuckDB SQL
        (:mod:`bulle.storage.consent_sql`), hence the ``sql`` capability."""
        return self._arrow(read.sql())

    def _arrow(self, sql: str) -> pa.Table:
        con = self.connect()
        try:
            return con.sql(sql).to_arrow_table()
        finally:
            con.close()

    def profile(
        self, path: Path, top: int = 5, sample_rows: int | None = None
    ) -> list[dict[str, Any]]:
        from bulle.storage.profiling_sql import SAMPLE_ROWS, profile_parquet

        con = self.connect()
        try:
            # Profiling reads one file many times (a batch of columns per query): parse its footer
            # once, or a wide file's footer is parsed once per batch (quadratic in the columns).
            con.execute("SET parquet_metadata_cache=true")
            return profile_parquet(
                con,
                lit(path),
                self._schema(con, path),
                top,
                SAMPLE_ROWS if sample_rows is None else sample_rows,
            )
        finally:
            con.close()


def _matches(match: Sequence[ValueIn]) -> str:
    """A condition true exactly on the rows matching one of ``match`` (never NULL)."""
    parts = [
        f"coalesce({_norm(m.normal, m.column)} IN ({', '.join(lit(v) for v in sorted(m.values))}), FALSE)"
        for m in match
        if m.values
    ]
    return "(" + " OR ".join(parts) + ")" if parts else "FALSE"


def _norm(normal: str | None, column: str) -> str:
    """The SQL twin of ``vault.pseudonymize.normalize`` for an identifier kind (both sides of a
    comparison go through it, so only agreement with itself matters)."""
    c = f"CAST({ident(column)} AS VARCHAR)"
    if normal is None:
        return c
    if normal == "nir":
        return f"upper(regexp_replace({c}, '[^0-9ABab]', '', 'g'))"
    if normal == "email":
        return f"lower(trim(regexp_replace({c}, '\\s+', ' ', 'g')))"
    digits = f"regexp_replace({c}, '[^0-9]', '', 'g')"
    return (
        f"(CASE WHEN starts_with({digits}, '0033') THEN '0' || {digits}[5:] "
        f"WHEN starts_with({digits}, '33') AND length({digits}) = 11 THEN '0' || {digits}[3:] "
        f"ELSE {digits} END)"
    )


MAX_LINE_BYTES = 256 << 20
_LONG_LINE_RE = re.compile(r"Maximum line size of \d+ bytes exceeded\. Actual Size:\s*(\d+)")


class _LongLine(Exception):
    """DuckDB refused a row longer than its ``max_line_size``: retry with a larger one."""

    def __init__(self, exc: Exception):
        super().__init__(str(exc))
        self.exc = exc

    def size(self) -> int | None:
        m = _LONG_LINE_RE.search(str(self.exc))
        return int(m.group(1)) if m else None


def _default_memory_limit() -> str:
    """4 GB, or a quarter of the process's address-space limit when one is set (``ulimit -v``).

    DuckDB cannot see that limit: it would plan for 4 GB and fail to allocate instead of spilling.
    """
    import resource

    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY or soft >= 16 << 30:
        return "4GB"
    return f"{max(soft // 4, 64 << 20) >> 20}MB"


_LINE_RE = re.compile(r"[Ll]ine:? (\d+)")


def _line_of(message: str) -> int | None:
    m = _LINE_RE.search(message)
    return int(m.group(1)) if m else None


def _first_line(message: str) -> str:
    return message.strip().splitlines()[0] if message.strip() else "unreadable input"
