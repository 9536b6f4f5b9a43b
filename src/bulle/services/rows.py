"""Rows as every interface shows them: JSON values, dates as text where Python cannot hold them.

The conversion is the storage layer's (``storage/python_values.py``); interfaces reach it here so
that they depend on services only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa


def json_rows(table: pa.Table | pa.RecordBatch) -> list[dict[str, Any]]:
    """One dict per row, each value a JSON value (see docs/cli.md for dates and times)."""
    from bulle.storage.python_values import python_rows

    return python_rows(table)


def text_dates(
    table: pa.Table | pa.RecordBatch, *, always: bool = False
) -> pa.Table | pa.RecordBatch:
    """Temporal columns as text (all of them with ``always``, else those Python cannot hold)."""
    from bulle.storage.python_values import with_text_dates

    return with_text_dates(table, always=always)
