"""Dummy rows of a project's view: the job runs on dummy data, and the analyst's CSV download.

The rows come from the *profile* of the project's view (:mod:`bulle.synthesis.dummy`: no value
rarer than ``synthesis.dummy_min_count``, no extreme, no relationship between columns), and they
have the view's exact Arrow schema, column by column: code written against dummy data must meet
the same types on the real run. Profiling reads the view (consent- and purpose-filtered, as the
project allows), so each making is recorded (``dataset.dummy``), though no real row leaves.

A column of a type dummy values are not made for (lists, binary, intervals...) is all nulls of
that type: the schema stays exact, and nothing is guessed.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from bulle.audit import events as ev
from bulle.services import governance

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from bulle.domain.datasets import DatasetVersion
    from bulle.workspace import Workspace

DUMMY_ROWS = 1000


def dummy_table(
    ws: Workspace, project: str, dataset: str, *, use: str = "download", job: str | None = None
) -> tuple[pa.Table, DatasetVersion]:
    """``DUMMY_ROWS`` dummy rows with the project's view's schema, and the version they stand for."""
    from bulle.synthesis.dummy import dummy_from_profile, profile_frame

    read, served, proj = governance.plan_read(ws, project, dataset)
    view = ws.engine.read_visible(read)
    min_count = int(ws.settings["synthesis.dummy_min_count"])
    frame = dummy_from_profile(
        profile_frame(_profiled(view)), DUMMY_ROWS, seed=0, min_count=min_count
    )
    table = conform(frame, view.schema)
    ws.emit(
        ev.DummyDataMade(
            actor=ws.actor,
            target=served.ref,
            details={
                "project": proj.name,
                "use": use,
                "job": job,
                "rows": table.num_rows,
                "columns": list(table.column_names),
                "min_count": min_count,
            },
        )
    )
    return table, served


def dummy_csv(ws: Workspace, project: str, dataset: str) -> tuple[bytes, DatasetVersion]:
    """The project's dummy rows of ``dataset`` as CSV (header, UTF-8), for the analyst to write
    code against before submitting it."""
    import pyarrow.csv as pacsv

    from bulle.formulas import arrow_table

    table, served = dummy_table(ws, project, dataset, use="download")
    buffer = io.BytesIO()
    # frequent values and column names come from the data: a spreadsheet must not run them
    pacsv.write_csv(arrow_table(table), buffer)
    return buffer.getvalue(), served


def _profiled(view: pa.Table) -> pd.DataFrame:
    """The view as pandas with each column in the dtype its profile must report: nullable integers
    and booleans stay integers and booleans, dates are dates (not text)."""
    import pandas as pd
    import pyarrow.types as t

    from bulle.storage.python_values import to_pandas

    frame = to_pandas(view)
    for field in view.schema:
        s = frame[field.name]
        if t.is_integer(field.type):
            frame[field.name] = s.astype("Int64")
        elif t.is_boolean(field.type):
            frame[field.name] = s.astype("boolean")
        elif t.is_date(field.type) or t.is_timestamp(field.type):
            stamps = pd.to_datetime(s, errors="coerce")
            frame[field.name] = stamps.dt.tz_convert(None) if stamps.dt.tz else stamps
    return frame


def conform(frame: pd.DataFrame, schema: pa.Schema) -> pa.Table:
    """The dummy frame as a table of exactly ``schema`` (same names, order and types)."""
    import pyarrow as pa

    columns = [_column(frame[f.name], f.type, len(frame)) for f in schema]
    table = pa.Table.from_arrays(columns, schema=schema.remove_metadata())
    if not table.schema.equals(schema.remove_metadata()):  # a bug: never a different schema
        raise RuntimeError(f"dummy data schema {table.schema} differs from the view's {schema}")
    return table


def _column(s: pd.Series, type_: pa.DataType, n: int) -> pa.Array:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.types as t

    present = s.notna().to_numpy()
    if t.is_integer(type_) or t.is_floating(type_) or t.is_boolean(type_) or t.is_string(type_):
        return pa.array(s, from_pandas=True).cast(type_)
    if t.is_large_string(type_):
        return pa.array(s, type=pa.string(), from_pandas=True).cast(type_)
    if t.is_decimal(type_):
        from decimal import Decimal

        values: list[Any] = [
            Decimal(str(round(float(v), type_.scale))) if ok else None
            for v, ok in zip(s, present, strict=True)
        ]
        return pa.array(values, type=type_)
    if t.is_date(type_):
        return pa.array(_dates(s), type=pa.date32()).cast(type_)
    if t.is_timestamp(type_):
        naive = pa.array(s, type=pa.timestamp("ns"), from_pandas=True).cast(
            pa.timestamp(type_.unit), safe=False
        )
        return pc.assume_timezone(naive, type_.tz) if type_.tz else naive
    return pa.nulls(n, type=type_)  # no dummy value is made for this type: nulls keep the schema


def _dates(s: pd.Series) -> list[Any]:
    import pandas as pd

    stamps = pd.to_datetime(s, errors="coerce")
    return [None if pd.isna(v) else v.date() for v in stamps]
