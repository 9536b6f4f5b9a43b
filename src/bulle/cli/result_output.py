"""Writing a read's or a query's rows to a file, batch by batch, all or nothing.

A query's result arrives as a stream of Arrow batches (:class:`~bulle.storage.sql_lockdown.
ResultStream`); writing it batch by batch keeps the memory to one batch whatever the result's
size. The rows go to a private temporary file beside the target (:func:`bulle.outputs.
atomic_output`: only a regular file is ever replaced, mode 0600), renamed only when the last batch
is written: a query stopped by a limit leaves no half-written file. CSV and JSON lines give dates
Python cannot hold as text (:mod:`bulle.storage.python_values`); Parquet keeps them exactly. CSV
cells that a spreadsheet would run as formulas are neutralised (:mod:`bulle.formulas`) unless
``keep_formulas``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from bulle.errors import InputError, Where

if TYPE_CHECKING:
    import pyarrow as pa

FORMATS = {".csv": "csv", ".parquet": "parquet", ".jsonl": "jsonl"}


def output_format(output: Path) -> str:
    """The format named by ``output``'s extension, checked before any work is done."""
    fmt = FORMATS.get(output.suffix.lower())
    if fmt is None:
        raise InputError("use a .csv, .parquet or .jsonl output name", Where(file=str(output)))
    return fmt


def write_batches(
    batches: Iterable[pa.RecordBatch], schema: pa.Schema, output: Path, keep_formulas: bool = False
) -> int:
    """Write every batch to ``output`` (atomically); return the number of rows written."""
    from bulle.outputs import ROWS, atomic_output

    fmt = output_format(output)
    rows = 0
    with atomic_output(output, ROWS) as tmp, _writer(fmt, tmp, schema, keep_formulas) as write:
        for batch in batches:
            write(batch)
            rows += batch.num_rows
    return rows


def write_table(table: pa.Table, output: Path, keep_formulas: bool = False) -> int:
    return write_batches(table.to_batches(), table.schema, output, keep_formulas)


class _writer:
    """A context manager giving a function that appends one batch to ``path`` in ``fmt``."""

    def __init__(
        self, fmt: str, path: Path, schema: pa.Schema, keep_formulas: bool = False
    ) -> None:
        self.fmt, self.path, self.schema = fmt, path, schema
        self.keep_formulas = keep_formulas
        self._close = lambda: None

    def __enter__(self):
        from bulle.services.rows import json_rows as python_rows
        from bulle.services.rows import text_dates as with_text_dates

        if self.fmt == "parquet":
            import pyarrow.parquet as pq

            w = pq.ParquetWriter(self.path, self.schema)
            self._close = w.close
            return w.write_batch
        if self.fmt == "csv":
            import pyarrow as pa
            import pyarrow.csv as pcsv

            from bulle.formulas import arrow_table

            def cells(batch):  # formulas first: dates written as text ("-infinity") are not cells
                if self.keep_formulas:
                    return batch
                table = batch if isinstance(batch, pa.Table) else pa.Table.from_batches([batch])
                return arrow_table(table)

            text_schema = with_text_dates(cells(self.schema.empty_table()), always=True).schema
            w = pcsv.CSVWriter(self.path, text_schema)
            self._close = w.close

            def write(batch) -> None:
                out = with_text_dates(cells(batch), always=True)
                (w.write_table if isinstance(out, pa.Table) else w.write_batch)(out)

            return write
        f = open(self.path, "w", encoding="utf-8")
        self._close = f.close

        def write_lines(batch: pa.RecordBatch) -> None:
            for row in python_rows(batch):
                f.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")

        return write_lines

    def __exit__(self, *exc: object) -> None:
        self._close()
