"""Arrow values as Python values, including dates and times Python's types cannot hold.

DuckDB (and Parquet, and Arrow) hold dates and timestamps Python's ``datetime`` cannot:
``infinity`` and ``-infinity``, years after 9999 (``'294247-01-10'``) or before year 1, and the
time ``24:00:00``. Converting such a value with pyarrow raises (``OverflowError``) or, worse,
silently gives another value (``24:00:00`` becomes midnight; a nanosecond ``infinity`` becomes a
date in 2262; pandas turns a microsecond ``infinity`` into year 294247). Every place that turns
rows into Python values for a person (``show``, ``read``, ``query``, in text and JSON) or into
pandas goes through this module, so such values come out as text instead of a crash or a lie.

The rule, per column: a date, timestamp or time column (also inside lists, structs and maps)
holding at least one such value is given as strings for every row of it; other columns are
converted as pyarrow does. The strings are what ``str()`` gives for the Python value when there
is one (``2020-05-01``, ``2020-05-01 10:00:00.500000``, ``+00:00`` after a UTC timestamp), and
otherwise ISO 8601 in the same layout: ``infinity``, ``-infinity``, years beyond 9999 written in
full (``294247-01-10``), years before 1 in astronomical numbering (``0000`` is 1 BC, ``-0043`` is
44 BC), ``24:00:00``. Timestamps with a time zone are written in UTC. Arrow tables themselves are
never changed: Arrow holds these values exactly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1
# Python's date range, in days from 1970-01-01: date(1, 1, 1) and date(9999, 12, 31).
MIN_DAY, MAX_DAY = -719_162, 2_932_896
SECONDS_PER_DAY = 86_400
UNIT_PER_SECOND = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}


# -- deciding ------------------------------------------------------------------------------------
def needs_text(column: pa.Array | pa.ChunkedArray) -> bool:
    """Whether ``column`` holds a date or time that Python cannot represent faithfully."""
    import pyarrow as pa

    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    return any(_leaf_out_of_range(leaf) for chunk in chunks for leaf in _temporal_leaves(chunk))


def has_temporal(t: pa.DataType) -> bool:
    """Whether type ``t`` holds dates, timestamps or times (also nested)."""
    return _text_type(t) != t


def _temporal_leaves(arr: pa.Array):
    import pyarrow as pa
    import pyarrow.types as pt

    t = arr.type
    if pt.is_date(t) or pt.is_timestamp(t) or pt.is_time(t):
        yield arr
    elif pt.is_list(t) or pt.is_large_list(t) or pt.is_fixed_size_list(t) or pt.is_map(t):
        yield from _temporal_leaves(arr.values)  # a map's values are its key/value structs
    elif pt.is_struct(t):
        for i in range(t.num_fields):
            yield from _temporal_leaves(arr.field(i))
    elif pt.is_dictionary(t):
        yield from _temporal_leaves(arr.dictionary)
    elif isinstance(t, pa.ExtensionType):
        yield from _temporal_leaves(arr.storage)


def _leaf_out_of_range(arr: pa.Array) -> bool:
    import pyarrow.compute as pc

    if len(arr) == 0 or arr.null_count == len(arr):
        return False
    ints = _ints(arr)
    low, high = (v.as_py() for v in pc.min_max(ints).values())
    lo, hi, sentinels = _python_range(arr.type)
    return low < lo or high > hi or any(pc.any(pc.equal(ints, s)).as_py() for s in sentinels)


def _ints(arr: pa.Array) -> pa.Array:
    import pyarrow as pa

    return arr.view(pa.int32() if arr.type.bit_width == 32 else pa.int64())


def _python_range(t: pa.DataType) -> tuple[int, int, tuple[int, ...]]:
    """The raw values Python holds faithfully for type ``t``, and in-range values meaning infinity."""
    import pyarrow.types as pt

    if pt.is_date32(t):
        return MIN_DAY, MAX_DAY, ()
    if pt.is_date64(t):
        return MIN_DAY * SECONDS_PER_DAY * 1000, (MAX_DAY + 1) * SECONDS_PER_DAY * 1000 - 1, ()
    per_s = UNIT_PER_SECOND[t.unit]
    if pt.is_time(t):
        return 0, SECONDS_PER_DAY * per_s - 1, ()
    # timestamps: an infinite nanosecond value falls in Python's range (in 2262), so name it
    return (
        MIN_DAY * SECONDS_PER_DAY * per_s,
        (MAX_DAY + 1) * SECONDS_PER_DAY * per_s - 1,
        (INT64_MAX, -INT64_MAX),
    )


# -- converting ------------------------------------------------------------------------------------
def python_values(column: pa.Array | pa.ChunkedArray) -> list[Any]:
    """The column's values as Python objects, or as strings if Python cannot hold some of them."""
    if not needs_text(column):
        return column.to_pylist()
    return _text_values(column)


def python_rows(table: pa.Table | pa.RecordBatch) -> list[dict[str, Any]]:
    """``table.to_pylist()`` that never fails on a date: see the module's rule."""
    names = table.column_names
    columns = [python_values(table.column(i)) for i in range(table.num_columns)]
    return (
        [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]
        if columns
        else [{} for _ in range(table.num_rows)]
    )


def with_text_dates(
    table: pa.Table | pa.RecordBatch, *, always: bool = False
) -> pa.Table | pa.RecordBatch:
    """``table`` with every column that needs text replaced by its strings (for pandas).

    With ``always``, every column holding dates, timestamps or times is replaced, whatever its
    values: batches of one stream then share one schema (for CSV, written batch by batch).
    """
    import pyarrow as pa

    for i, name in enumerate(table.column_names):
        column = table.column(i)
        if (always and has_temporal(column.type)) or needs_text(column):
            kind = _text_type(table.schema.field(i).type)
            table = table.set_column(
                i, pa.field(name, kind), pa.array(_text_values(table.column(i)), kind)
            )
    return table


def _text_type(t: pa.DataType) -> pa.DataType:
    """``t`` with its date, timestamp and time parts as strings (nesting kept)."""
    import pyarrow as pa
    import pyarrow.types as pt

    if pt.is_date(t) or pt.is_timestamp(t) or pt.is_time(t):
        return pa.string()
    if pt.is_map(t):
        return pa.map_(_text_type(t.key_type), _text_type(t.item_type))
    if pt.is_list(t) or pt.is_fixed_size_list(t):
        return pa.list_(_text_type(t.value_type))
    if pt.is_large_list(t):
        return pa.large_list(_text_type(t.value_type))
    if pt.is_struct(t):
        return pa.struct([pa.field(f.name, _text_type(f.type)) for f in t])
    if pt.is_dictionary(t):
        return _text_type(t.value_type)
    return t


def to_pandas(table: pa.Table) -> pd.DataFrame:
    """``table.to_pandas()``, where a date column Python cannot hold comes as strings."""
    return with_text_dates(table).to_pandas()


def _text_values(column: pa.Array | pa.ChunkedArray) -> list[Any]:
    import pyarrow as pa

    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    out: list[Any] = []
    for chunk in chunks:
        t = chunk.type
        if pa.types.is_date(t) or pa.types.is_timestamp(t) or pa.types.is_time(t):
            out.extend(None if v is None else format_raw(t, v) for v in _ints(chunk).to_pylist())
        else:
            out.extend(_scalar_text(chunk[i]) for i in range(len(chunk)))
    return out


def _scalar_text(s: pa.Scalar) -> Any:
    """One value of a nested column, its temporal leaves as strings (a slow path, for rare data)."""
    import pyarrow.types as pt

    if not s.is_valid:
        return None
    t = s.type
    if pt.is_date(t) or pt.is_timestamp(t) or pt.is_time(t):
        return format_raw(t, s.value)
    if pt.is_map(t):
        return [(_scalar_text(kv["key"]), _scalar_text(kv["value"])) for kv in s.values]
    if pt.is_list(t) or pt.is_large_list(t) or pt.is_fixed_size_list(t):
        return [_scalar_text(v) for v in s.values]
    if pt.is_struct(t):
        return {k: _scalar_text(v) for k, v in s.items()}
    if pt.is_dictionary(t):
        return _scalar_text(s.value)
    return s.as_py()


# -- formatting --------------------------------------------------------------------------------------
def format_raw(t: pa.DataType, raw: int) -> str:
    """The text of one raw Arrow date/timestamp/time value (see the module's rule)."""
    import pyarrow.types as pt

    if pt.is_date32(t):
        if abs(raw) == INT32_MAX:
            return "infinity" if raw > 0 else "-infinity"
        return format_day(raw)
    if pt.is_date64(t):
        return format_day(raw // (SECONDS_PER_DAY * 1000))
    per_s = UNIT_PER_SECOND[t.unit]
    if pt.is_time(t):
        seconds, frac = divmod(raw, per_s)
        return _clock(seconds, frac, t.unit)
    if abs(raw) == INT64_MAX:
        return "infinity" if raw > 0 else "-infinity"
    seconds, frac = divmod(raw, per_s)
    day, second_of_day = divmod(seconds, SECONDS_PER_DAY)
    text = f"{format_day(day)} {_clock(second_of_day, frac, t.unit)}"
    return text + "+00:00" if t.tz is not None else text


def format_day(day: int) -> str:
    """ISO 8601 date of ``day`` days after 1970-01-01, proleptic Gregorian, any year."""
    # H. Hinnant's civil_from_days: exact integer arithmetic for every year.
    z = day + 719_468
    era = z // 146_097
    doe = z - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    y = yoe + era * 400 + (1 if m <= 2 else 0)
    year = f"{y:04d}" if y >= 0 else f"-{-y:04d}"
    return f"{year}-{m:02d}-{d:02d}"


def _clock(seconds: int, frac: int, unit: str) -> str:
    h, rest = divmod(seconds, 3600)
    text = f"{h:02d}:{rest // 60:02d}:{rest % 60:02d}"
    if not frac:
        return text
    if unit == "ms":
        return f"{text}.{frac * 1000:06d}"
    if unit == "ns" and frac % 1000:
        return f"{text}.{frac:09d}"
    return f"{text}.{frac // 1000 if unit == 'ns' else frac:06d}"
