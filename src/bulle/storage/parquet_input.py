"""Reading a Parquet input faithfully: names as written, exact decimals, durations as intervals.

DuckDB's Parquet reader quietly changes three things a custodian would not expect: it renames
duplicate or empty column names (``a_1``, ``C0``), reads decimals wider than 38 digits as DOUBLE
(losing digits), and reads Arrow durations as BIGINT (losing the unit). So the file's own schema
is read first (the footer only) and:

* names are checked by the rule of every format (:func:`csv_checks.column_name_problems`) and
  stored in Unicode NFC;
* a decimal wider than 38 digits becomes ``DECIMAL(38, scale)`` when every value fits, else the
  import is refused naming the column;
* a duration becomes ``INTERVAL`` when every value can be stored as a Parquet INTERVAL
  (non-negative, whole milliseconds), else the import is refused naming the column.

Files that need a conversion stream through Arrow record batches into DuckDB; the others are read
by DuckDB directly.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING

from bulle.errors import InputError, Problem, ValidationError, Where
from bulle.storage import csv_checks

if TYPE_CHECKING:
    import pyarrow as pa

MAX_DECIMAL_DIGITS = 38
_UNIT_PER_MS = {"s": None, "ms": None, "us": 1_000, "ns": 1_000_000}
_UNIT_NAMES = {"us": "microsecond", "ns": "nanosecond"}


def read_schema(src: Path) -> pa.Schema:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        return pq.read_schema(src)
    except (pa.ArrowException, OSError) as exc:
        raise InputError(
            f"cannot read as Parquet: {_first_line(str(exc))}", Where(file=str(src))
        ) from None


def check_schema(src: Path | str, schema: pa.Schema) -> bool:
    """Refuse bad names and unconvertible types; True when the file needs the Arrow path."""
    import pyarrow as pa

    csv_checks.check_column_names(schema.names, src)
    problems: list[Problem] = []
    convert = False
    for i, field in enumerate(schema, start=1):
        t = field.type
        if pa.types.is_decimal(t) and t.precision > MAX_DECIMAL_DIGITS:
            convert = True
            if t.scale > MAX_DECIMAL_DIGITS or t.scale < 0:
                problems.append(
                    Problem(
                        f"column {field.name!r} is DECIMAL({t.precision},{t.scale}): a scale outside 0..38 "
                        "cannot be stored exactly",
                        Where(file=str(src), column=i),
                    )
                )
        elif pa.types.is_duration(t):
            convert = True
    if problems:
        raise ValidationError.from_problems(f"cannot import {src} faithfully", problems)
    return convert or any(unicodedata.normalize("NFC", n) != n for n in schema.names)


def nfc_select(names: list[str]) -> str:
    """``SELECT`` list renaming each column to its NFC spelling (identity for most files)."""
    from bulle.storage.sqltext import ident

    return ", ".join(f"{ident(n)} AS {ident(unicodedata.normalize('NFC', n))}" for n in names)


def _target(schema: pa.Schema) -> pa.Schema:
    import pyarrow as pa

    fields = []
    for f in schema:
        t = f.type
        if pa.types.is_decimal(t) and t.precision > MAX_DECIMAL_DIGITS:
            t = pa.decimal128(MAX_DECIMAL_DIGITS, t.scale)
        fields.append(pa.field(unicodedata.normalize("NFC", f.name), t))
    return pa.schema(fields)


def _batch(
    src: Path | str, schema: pa.Schema, target: pa.Schema, batch: pa.RecordBatch
) -> pa.RecordBatch:
    import pyarrow as pa

    return pa.record_batch(
        [
            _convert(src, schema.field(i), col, target.field(i).type, i + 1)
            for i, col in enumerate(batch.columns)
        ],
        schema=target,
    )


def converted_reader(src: Path, schema: pa.Schema) -> pa.RecordBatchReader:
    """Stream the file as Arrow batches with wide decimals and durations made exact."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    target = _target(schema)

    def batches():
        for batch in pq.ParquetFile(src).iter_batches(batch_size=65_536):
            yield _batch(src, schema, target, batch)

    # A first pass refuses bad values with this module's message: an exception raised while
    # DuckDB pulls the batches would reach the caller as DuckDB's error, without the column.
    for _ in batches():
        pass
    return pa.RecordBatchReader.from_batches(target, batches())


def faithful_table(table: pa.Table, name: str) -> pa.Table:
    """The same rules for an in-memory table (pandas, Arrow) as for a Parquet file."""
    import pyarrow as pa

    check_schema(name, table.schema)
    target = _target(table.schema)
    return pa.Table.from_batches(
        [_batch(name, table.schema, target, b) for b in table.to_batches()], schema=target
    )


def _convert(
    src: Path | str, field: pa.Field, col: pa.Array, target: pa.DataType, position: int
) -> pa.Array:
    import pyarrow as pa
    import pyarrow.compute as pc

    where = Where(file=str(src), column=position)
    if pa.types.is_decimal(field.type) and field.type != target:
        try:
            return pc.cast(col, target)  # a safe cast: refuses a value that does not fit
        except pa.ArrowInvalid:
            raise InputError(
                f"column {field.name!r} holds values with more than {MAX_DECIMAL_DIGITS} "
                "digits: it cannot be stored exactly as DECIMAL(38)",
                where,
            ) from None
    if pa.types.is_duration(field.type):
        raw = col.cast(pa.int64())
        if (pc.min(raw).as_py() or 0) < 0:
            raise InputError(
                f"column {field.name!r} holds negative durations, which a Parquet "
                "INTERVAL cannot store",
                where,
            )
        per_ms = _UNIT_PER_MS[field.type.unit]
        if per_ms is not None:
            whole = pc.multiply(pc.divide(raw, per_ms), per_ms)
            if pc.any(pc.not_equal(whole, raw)).as_py():
                raise InputError(
                    f"column {field.name!r} holds {_UNIT_NAMES[field.type.unit]} durations "
                    "finer than a millisecond, which a Parquet INTERVAL cannot store",
                    where,
                )
    return col


def _first_line(message: str) -> str:
    return message.strip().splitlines()[0] if message.strip() else "unreadable input"
