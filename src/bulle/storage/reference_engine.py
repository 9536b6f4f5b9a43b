"""The reference engine: the engine interface in plain Python over pyarrow, obviously correct.

Not fast and not meant for a workspace: every operation reads the whole file into memory and
works row by row with dictionaries and lists, so that what it computes can be checked by reading
it. The engine spec tests (``tests/spec/engine/``) and the property tests run every other engine
next to this one on small tables and require identical results. What it cannot do (ingest with
type inference, profiling, export, analysts' SQL) it does not declare in ``capabilities``.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bulle.errors import InputError, Where
from bulle.storage import engine as caps
from bulle.storage.engine import SUPPRESSED, CsvOptions, Engine, Release, ValueIn, WriteStats

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    import pyarrow as pa

# DuckDB's names for the Arrow types a stored version holds, so that schemas compare equal.
_TYPE_NAMES = {
    "string": "VARCHAR",
    "large_string": "VARCHAR",
    "int64": "BIGINT",
    "int32": "INTEGER",
    "int16": "SMALLINT",
    "int8": "TINYINT",
    "uint64": "UBIGINT",
    "uint32": "UINTEGER",
    "double": "DOUBLE",
    "float": "FLOAT",
    "bool": "BOOLEAN",
    "date32[day]": "DATE",
    "null": '"NULL"',
}


class ReferenceEngine(Engine):
    name = "reference"
    capabilities = caps.CORE | {caps.DIRECT_CSV}

    # -- declared as not supported -------------------------------------------------------------
    def csv_to_parquet(self, src: Path, dest: Path, options: CsvOptions) -> WriteStats:
        self.require(caps.INGEST_CSV)
        raise AssertionError("unreachable")  # pragma: no cover

    def parquet_to_parquet(self, src: Path, dest: Path) -> WriteStats:
        self.require(caps.INGEST_PARQUET)
        raise AssertionError("unreachable")  # pragma: no cover

    def jsonl_to_parquet(self, src: Path, dest: Path) -> WriteStats:
        self.require(caps.INGEST_JSONL)
        raise AssertionError("unreachable")  # pragma: no cover

    def profile(
        self, path: Path, top: int = 5, sample_rows: int | None = None
    ) -> list[dict[str, Any]]:
        self.require(caps.PROFILE)
        raise AssertionError("unreachable")  # pragma: no cover

    def export(
        self,
        path: Path,
        dest: Path,
        fmt: str,
        *,
        keep_formulas: bool = False,
        delimiter: str = ",",
    ) -> None:
        self.require(caps.EXPORT)

    # -- read and write ------------------------------------------------------------------------
    def read_table(
        self, path: Path, columns: list[str] | None = None, limit: int | None = None
    ) -> pa.Table:
        import pyarrow.parquet as pq

        table = pq.read_table(path, columns=columns)
        return table.slice(0, limit) if limit is not None else table

    def read_csv_table(self, src: Path, options: CsvOptions) -> pa.Table:
        if not options.all_varchar:  # type inference is DuckDB's
            self.require(caps.INGEST_CSV)
        return self._source(src)

    def write_table(self, table: pa.Table, dest: Path) -> WriteStats:
        import pyarrow.parquet as pq

        pq.write_table(table, dest, compression="zstd")
        return WriteStats(
            rows=table.num_rows, schema=self.schema(dest), bytes=Path(dest).stat().st_size
        )

    def schema(self, path: Path) -> list[dict[str, str]]:
        import pyarrow.parquet as pq

        return [{"name": f.name, "type": type_name(f.type)} for f in pq.read_schema(path)]

    def frequency_table(self, path: Path, columns: list[str]) -> pa.Table:
        return self._group(self.read_table(path), columns, "count", None)

    # -- typed row operations --------------------------------------------------------------------
    def read_text(
        self, path: Path, columns: Sequence[str], *, where_not: Sequence[ValueIn] = ()
    ) -> pa.Table:
        import pyarrow as pa

        table = self.read_table(path)
        keep = _keep(table, where_not)
        return pa.table(
            {
                c: pa.array(
                    [v for v, k in zip(_texts(table.column(c)), keep, strict=True) if k],
                    type=pa.string(),
                )
                for c in columns
            }
        )

    def value_counts(self, path: Path, column: str) -> list[tuple[str, int]]:
        counts = Counter(
            v for v in _texts(self.read_table(path, [column]).column(column)) if v is not None
        )
        return list(counts.items())

    def write_projection(
        self,
        path: Path,
        dest: Path,
        *,
        text: Sequence[str] = (),
        keep: Sequence[str] = (),
        drop: Sequence[str] = (),
    ) -> WriteStats:
        import pyarrow as pa

        table = self.read_table(path)
        if text or keep:
            out = pa.table(
                {
                    **{c: pa.array(_texts(table.column(c)), type=pa.string()) for c in text},
                    **{c: table.column(c) for c in keep},
                }
            )
        else:
            out = table.drop_columns(list(drop))
        return self.write_table(out, dest)

    def write_without(self, path: Path, dest: Path, match: Sequence[ValueIn]) -> WriteStats:
        import pyarrow as pa

        table = self.read_table(path)
        return self.write_table(table.filter(pa.array(_keep(table, match), type=pa.bool_())), dest)

    def normalized_text(self, path: Path, column: str, normal: str | None) -> list[str | None]:
        return [
            _normalize(v, normal) for v in _texts(self.read_table(path, [column]).column(column))
        ]

    def count_matches(self, path: Path, match: Sequence[ValueIn]) -> tuple[int, list[int]]:
        table = self.read_table(path)
        per = [_keep(table, [m]).count(False) for m in match]
        return _keep(table, match).count(False), per

    def distinct_matches(
        self, path: Path, match: Sequence[ValueIn], columns: Sequence[tuple[str, str | None]]
    ) -> set[tuple[str | None, ...]]:
        table = self.read_table(path)
        if not columns:
            return set()
        texts = {c: _texts(table.column(c)) for c, _ in columns}
        out = set()
        for i, kept in enumerate(_keep(table, match)):
            if not kept:
                row: list[str | None] = []
                for c, normal in columns:
                    row += [texts[c][i], _normalize(texts[c][i], normal)]
                out.add(tuple(row))
        return out

    def token_key_ids(self, path: Path, column: str, prefix: str) -> set[str]:
        values = _texts(self.read_table(path, [column]).column(column))
        return {v.split("_")[1] for v in values if v is not None and v.startswith(prefix + "_")}

    def source_columns(self, source: Path) -> list[str]:
        import pyarrow.parquet as pq

        if _is_csv(source):
            return list(_dialect(source).columns)
        return list(pq.read_schema(source).names)

    def group_counts(
        self, source: Path, columns: Sequence[str], *, count: str, first_row: str | None = None
    ) -> pa.Table:
        return self._group(self._source(source), list(columns), count, first_row)

    def first_appearance(self, source: Path, column: str) -> list[str]:
        seen: dict[str, None] = {}
        for v in _texts(self._source(source).column(column)):
            seen.setdefault("" if v is None else v, None)
        return list(seen)

    def write_release(self, source: Path, dest: Path, release: Release) -> None:
        import pyarrow as pa

        table = self._source(source)
        qis = list(release.maps)
        generalized = {
            q: [release.maps[q].get("" if v is None else v) for v in _texts(table.column(q))]
            for q in qis
        }
        rows = range(table.num_rows)
        suppressed = [
            bool(qis) and tuple(generalized[q][i] for q in qis) in release.suppressed_classes
            for i in rows
        ]
        kept = [i for i in rows if not (release.remove_suppressed and suppressed[i])]
        columns = {}
        for name in table.column_names:
            if name in generalized:
                values = [SUPPRESSED if suppressed[i] else generalized[name][i] for i in kept]
                columns[name] = pa.array(values, type=pa.string())
            else:
                columns[name] = table.column(name).take(pa.array(kept, type=pa.int64()))
        out = pa.table(columns)
        dest = Path(dest)
        tmp = dest.with_name(f".{dest.name}.tmp")
        try:
            if dest.suffix.lower() == ".parquet":
                import pyarrow.parquet as pq

                pq.write_table(out, tmp, compression="zstd")
            else:
                import pyarrow.csv as pcsv

                if not release.keep_formulas:
                    from bulle.formulas import arrow_table

                    out = arrow_table(out)
                pcsv.write_csv(
                    out, tmp, pcsv.WriteOptions(delimiter=release.delimiter, quoting_style="needed")
                )
            with open(tmp, "rb+") as f:
                os.fsync(f.fileno())
            os.replace(tmp, dest)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise InputError(
                f"cannot write the release: {exc.strerror or exc}", Where(file=str(dest))
            ) from None

    def pseudonymize(
        self, path: Path, dest: Path, tokenizers: Mapping[str, Callable[[pa.Array], pa.Array]]
    ) -> WriteStats:
        import pyarrow as pa

        table = self.read_table(path)
        for col, fn in tokenizers.items():
            tokens = fn(pa.array(_texts(table.column(col)), type=pa.string()))
            table = table.set_column(table.column_names.index(col), col, tokens)
        return self.write_table(table, dest)

    # -- helpers ---------------------------------------------------------------------------------
    def _source(self, source: Path) -> pa.Table:
        from bulle.storage import csv_arrow

        if _is_csv(source):
            return csv_arrow.read_text(source, _dialect(source))
        return self.read_table(source)

    @staticmethod
    def _group(table: pa.Table, columns: list[str], count: str, first_row: str | None) -> pa.Table:
        """Row by row: a dictionary from each combination to its count and first position."""
        import pyarrow as pa

        counts: dict[tuple, int] = {}
        first: dict[tuple, int] = {}
        values = [table.column(c).to_pylist() for c in columns]
        for i in range(table.num_rows):
            key = tuple(v[i] for v in values)
            counts[key] = counts.get(key, 0) + 1
            first.setdefault(key, i)
        keys = list(counts)
        out = {
            c: pa.array([k[j] for k in keys], type=table.schema.field(c).type)
            for j, c in enumerate(columns)
        }
        out[count] = pa.array([counts[k] for k in keys], type=pa.int64())
        if first_row:
            out[first_row] = pa.array([first[k] for k in keys], type=pa.int64())
        return pa.table(out)


def _is_csv(path: Path) -> bool:
    return Path(path).suffix.lower() in (".csv", ".txt", ".tsv")


def _dialect(path: Path):
    from bulle.storage import csv_checks

    return csv_checks.sniff(path, CsvOptions(all_varchar=True))


def type_name(t: pa.DataType) -> str:
    import pyarrow as pa

    if pa.types.is_timestamp(t):
        return "TIMESTAMP WITH TIME ZONE" if t.tz else "TIMESTAMP"
    return _TYPE_NAMES.get(str(t), str(t).upper())


def _texts(column: pa.ChunkedArray) -> list[str | None]:
    """Each value as DuckDB's ``::VARCHAR`` spells it (NULL stays None)."""
    out: list[str | None] = []
    for v in column.to_pylist():
        if v is None or isinstance(v, str):
            out.append(v)
        elif isinstance(v, bool):
            out.append("true" if v else "false")
        elif isinstance(v, float):
            out.append(
                repr(v)
                if v == v and v not in (float("inf"), float("-inf"))
                else {"nan": "nan", "inf": "inf", "-inf": "-inf"}[repr(v)]
            )
        else:
            out.append(str(v))
    return out


def _keep(table: pa.Table, match: Sequence[ValueIn]) -> list[bool]:
    """True for the rows matching none of ``match`` (a NULL matches nothing)."""
    keep = [True] * table.num_rows
    for m in match:
        for i, v in enumerate(_texts(table.column(m.column))):
            n = _normalize(v, m.normal)
            if n is not None and n in m.values:
                keep[i] = False
    return keep


_RE2_SPACE = re.compile(r"[\t\n\f\r ]+")  # RE2's \s, which DuckDB's twin uses


def _normalize(v: str | None, normal: str | None) -> str | None:
    """An identifier's text normalized as its kind: NIR digits (and A/B of Corsica), lower-cased
    e-mail with blanks collapsed, national telephone digits."""
    if v is None or normal is None:
        return v
    if normal == "nir":
        return re.sub(r"[^0-9ABab]", "", v).upper()
    if normal == "email":
        return _RE2_SPACE.sub(" ", v).strip(" ").lower()
    digits = re.sub(r"[^0-9]", "", v)
    if digits.startswith("0033"):
        return "0" + digits[4:]
    if digits.startswith("33") and len(digits) == 11:
        return "0" + digits[2:]
    return digits
