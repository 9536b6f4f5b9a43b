"""Importing very wide CSV files with Arrow's streaming reader, in memory linear in the columns.

DuckDB's CSV reader reserves memory per column that grows quickly with the width (a 2,000-column
file needs about 1.6 GB of address space, 10,000 columns can crash it), while wide tables are
normal in health data. Files with more than ``WIDE_COLUMNS`` columns are therefore read here, in
two streaming passes over blocks of rows:

1. every value is read as text and each column keeps the types that all its values so far cast
   to exactly (BIGINT, DOUBLE, DATE, TIMESTAMP, BOOLEAN, in that order of preference; VARCHAR
   when none is left or the column is empty), which is DuckDB's whole-file inference;
2. the text is cast to the chosen types (the very casts checked in pass 1) and written to Parquet.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

    import pyarrow as pa

    from bulle.storage.csv_checks import Dialect

WIDE_COLUMNS = 1000
BLOCK_BYTES = 16 << 20  # one row must fit in a block


def _candidates() -> list[pa.DataType]:
    import pyarrow as pa

    return [pa.int64(), pa.float64(), pa.date32(), pa.timestamp("us"), pa.bool_()]


def _batches(path: Path, dialect: Dialect) -> Iterator[pa.RecordBatch]:
    import pyarrow as pa
    import pyarrow.csv as pcsv

    read = pcsv.ReadOptions(
        column_names=dialect.columns, skip_rows=1 if dialect.header else 0, block_size=BLOCK_BYTES
    )
    parse = pcsv.ParseOptions(
        delimiter=dialect.delimiter,
        quote_char=dialect.quote,
        double_quote=True,
        newlines_in_values=True,
    )
    convert = pcsv.ConvertOptions(
        column_types={c: pa.string() for c in dialect.columns}, strings_can_be_null=True
    )
    stream = pa.input_stream(str(path))  # decompresses .gz and .zst by extension
    try:
        yield from pcsv.open_csv(
            stream, read_options=read, parse_options=parse, convert_options=convert
        )
    finally:
        stream.close()


def infer_types(path: Path, dialect: Dialect) -> list[pa.DataType]:
    import pyarrow as pa

    options = _candidates()
    left = [list(range(len(options))) for _ in dialect.columns]
    seen = [False] * len(dialect.columns)
    for batch in _batches(path, dialect):
        for i, col in enumerate(batch.columns):
            if col.null_count == len(col) or not left[i]:
                continue
            seen[i] = True
            left[i] = [k for k in left[i] if _casts(col, options[k])]
    return [options[ks[0]] if seen[i] and ks else pa.string() for i, ks in enumerate(left)]


def _casts(col: pa.Array, to: pa.DataType) -> bool:
    import pyarrow as pa

    try:
        col.cast(to)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return False
    return True


def csv_to_parquet(path: Path, dest: Path, dialect: Dialect) -> None:
    """Both passes; Arrow errors propagate for the caller's locator to turn into a line number."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    types = infer_types(path, dialect)
    schema = pa.schema([pa.field(c, t) for c, t in zip(dialect.columns, types, strict=True)])
    with pq.ParquetWriter(dest, schema, compression="zstd") as writer:
        for batch in _batches(path, dialect):
            writer.write_batch(
                pa.record_batch(
                    [col.cast(t) for col, t in zip(batch.columns, types, strict=True)],
                    schema=schema,
                )
            )


def read_text(path: Path, dialect: Dialect) -> pa.Table:
    """The whole file as text columns (an empty field is NULL): the reference engine reads so."""
    import pyarrow as pa

    schema = pa.schema([pa.field(c, pa.string()) for c in dialect.columns])
    return pa.Table.from_batches(list(_batches(path, dialect)), schema=schema)
