"""Evidence to and from JSON and Parquet, read back as hostile input.

The sandbox writes the evidence of every output it declares; the server reads it back to run the
checks. Whatever is in the job's output folder was written by the analyst's code, so the reader
trusts nothing: unknown keys, wrong types, arrays of the wrong length, negative or fractional
counts, contributions larger than the records behind them, a published value differing from the
checked one in an exact cell, more cells than :data:`MAX_CELLS` are each a :class:`Problem`, and all
of them are reported in one :class:`~bulle.errors.ValidationError` (exit code 2) naming the file
and field. Both formats go through the same validator (:func:`from_dict`).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from bulle.disclosure.evidence import (
    STATE_CODES,
    STATES,
    STATISTICS,
    CellState,
    Kind,
    TableEvidence,
)
from bulle.errors import Problem, ValidationError, Where
from bulle.fsutil import atomic_write_bytes

FORMAT = "bulle.disclosure.evidence"
VERSION = 1
MAX_CELLS = 1_000_000  # format limit: beyond it the evidence is refused, not read
MAX_BYTES = 256 << 20  # an evidence file larger than this is refused before it is parsed
MAX_TOP = 100
MAX_TEXT = 1_000
INT_FIELDS = ("count", "negatives", "missing", "below", "above", "ties")
FLOAT_FIELDS = ("total", "value", "published")
META_KEYS = {
    "format",
    "version",
    "name",
    "kind",
    "statistic",
    "row_vars",
    "col_vars",
    "row_labels",
    "col_labels",
    "has_values",
    "dof",
    "has_table",
    "round_base",
    "mitigation",
}
CELL_KEYS = {*INT_FIELDS, *FLOAT_FIELDS, "top", "state"}
PARQUET_META = b"bulle.evidence"


def _num(x: float) -> float | None:
    return None if math.isnan(x) else float(x)


def to_dict(ev: TableEvidence) -> dict[str, Any]:
    cells: dict[str, Any] = {k: [int(x) for x in getattr(ev, k)] for k in INT_FIELDS}
    cells.update({k: [_num(x) for x in getattr(ev, k)] for k in FLOAT_FIELDS})
    cells["top"] = [[_num(x) for x in row] for row in ev.top]
    cells["state"] = [STATES[int(s)].value for s in ev.state]
    return {**_meta(ev), "cells": cells}


def _meta(ev: TableEvidence) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "name": ev.name,
        "kind": ev.kind.value,
        "statistic": ev.statistic,
        "row_vars": list(ev.row_vars),
        "col_vars": list(ev.col_vars),
        "row_labels": [list(r) for r in ev.row_labels],
        "col_labels": [list(c) for c in ev.col_labels],
        "has_values": ev.has_values,
        "dof": ev.dof,
        "has_table": ev.has_table,
        "round_base": ev.round_base,
        "mitigation": ev.mitigation,
    }


def to_json(ev: TableEvidence) -> str:
    return json.dumps(to_dict(ev), allow_nan=False, separators=(",", ":"))


def from_json(text: str | bytes, file: str = "evidence.json") -> TableEvidence:
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:
        raise ValidationError.from_problems(
            "invalid evidence", [Problem(f"not JSON: {exc}", Where(file=file))]
        ) from None
    return from_dict(data, file)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")


def write_json(ev: TableEvidence, path: Path) -> None:
    atomic_write_bytes(path, to_json(ev).encode())


def write_parquet(ev: TableEvidence, path: Path) -> None:
    """One row per cell; the rest of the evidence as JSON in the schema's metadata."""
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    d = to_dict(ev)
    cells = d.pop("cells")
    cols = {k: pa.array(cells[k], pa.int64()) for k in INT_FIELDS}
    cols.update({k: pa.array(cells[k], pa.float64()) for k in FLOAT_FIELDS})
    cols["top"] = pa.array(cells["top"], pa.list_(pa.float64()))
    cols["state"] = pa.array(cells["state"], pa.string())
    table = pa.table(cols).replace_schema_metadata({PARQUET_META: json.dumps(d).encode()})
    buf = io.BytesIO()
    pq.write_table(table, buf)
    atomic_write_bytes(path, buf.getvalue())


def read_parquet(path: Path) -> TableEvidence:
    import pyarrow.parquet as pq

    file = str(path)
    _size_ok(path)
    try:
        table = pq.read_table(path)
        meta = json.loads((table.schema.metadata or {})[PARQUET_META])
    except Exception as exc:  # any unreadable file is the analyst's input, not a bug
        raise ValidationError.from_problems(
            "invalid evidence", [Problem(f"not a Bulle evidence file: {exc}", Where(file=file))]
        ) from None
    if not isinstance(meta, dict):
        meta = {"format": None}
    meta["cells"] = {name: table.column(name).to_pylist() for name in table.column_names}
    return from_dict(meta, file)


def _size_ok(path: Path) -> None:
    size = Path(path).stat().st_size
    if size > MAX_BYTES:
        raise ValidationError.from_problems(
            "invalid evidence",
            [
                Problem(
                    f"{size} bytes is more than an evidence file may have", Where(file=str(path))
                )
            ],
        )


def read_json(path: Path) -> TableEvidence:
    _size_ok(path)
    return from_json(Path(path).read_bytes(), str(path))


class _Checker:
    def __init__(self, file: str):
        self.file = file
        self.problems: list[Problem] = []

    def add(self, message: str, field: str) -> None:
        if len(self.problems) < 50:  # enough to fix a file; a hostile one cannot flood the report
            self.problems.append(Problem(message, Where(file=self.file, field=field)))

    def text(self, value: Any, field: str, empty_ok: bool = False) -> str:
        if not isinstance(value, str) or (not value and not empty_ok) or len(value) > MAX_TEXT:
            self.add(f"must be a text of 1 to {MAX_TEXT} characters", field)
            return ""
        return value

    def texts(self, value: Any, field: str, length: int | None = None) -> tuple[str, ...]:
        if not isinstance(value, list) or (length is not None and len(value) != length):
            want = f" of {length}" if length is not None else ""
            self.add(f"must be a list{want} of texts", field)
            return ()
        return tuple(self.text(v, f"{field}[{i}]", empty_ok=True) for i, v in enumerate(value))

    def flag(self, value: Any, field: str) -> bool:
        if not isinstance(value, bool):
            self.add("must be true or false", field)
            return False
        return value


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _ints(ck: _Checker, values: Any, field: str, n: int) -> np.ndarray:
    if not isinstance(values, list) or len(values) != n:
        ck.add(f"must be a list of {n} whole numbers", field)
        return np.zeros(n, np.int64)
    bad = [i for i, v in enumerate(values) if not _whole(v) or v < 0 or v > 2**53]
    if bad:
        ck.add(f"cell {bad[0]} is not a whole number >= 0 ({len(bad)} such cells)", field)
        return np.zeros(n, np.int64)
    return np.asarray(values, dtype=np.int64)


def _floats(ck: _Checker, values: Any, field: str, n: int) -> np.ndarray:
    if not isinstance(values, list) or len(values) != n:
        ck.add(f"must be a list of {n} numbers or nulls", field)
        return np.full(n, np.nan)
    ok = all(
        v is None or (isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v))
        for v in values
    )
    if not ok:
        ck.add("holds something that is not a finite number or null", field)
        return np.full(n, np.nan)
    return np.asarray([np.nan if v is None else v for v in values], dtype=float)


def from_dict(data: Any, file: str = "evidence") -> TableEvidence:
    """Validated evidence from its plain form, or one ValidationError listing every problem."""
    ck = _Checker(file)
    if not isinstance(data, dict):
        raise ValidationError.from_problems(
            "invalid evidence", [Problem("must be a JSON object", Where(file=file))]
        )
    for key in sorted(set(data) - META_KEYS - {"cells"}, key=str):
        ck.add("unknown key", str(key)[:100])
    if data.get("format") != FORMAT or data.get("version") != VERSION:
        ck.add(f"must be {FORMAT!r} version {VERSION}", "format")
        _raise(ck)
    name = ck.text(data.get("name"), "name")
    kind = _enum(ck, Kind, data.get("kind"), "kind")
    stat = data.get("statistic")
    if not isinstance(stat, str) or stat not in STATISTICS | {""}:
        ck.add(f"must be one of {', '.join(sorted(STATISTICS))} or empty", "statistic")
    row_vars = ck.texts(data.get("row_vars"), "row_vars")
    col_vars = ck.texts(data.get("col_vars"), "col_vars")
    row_labels, col_labels = data.get("row_labels"), data.get("col_labels")
    n_rows = len(row_labels) if isinstance(row_labels, list) else 0
    n_cols = len(col_labels) if isinstance(col_labels, list) else 0
    n = n_rows * n_cols
    if n > MAX_CELLS:
        ck.add(f"{n} cells is more than the {MAX_CELLS} a table may have", "row_labels")
        _raise(ck)
    rows = _labels(ck, row_labels, "row_labels", len(row_vars))
    cols = _labels(ck, col_labels, "col_labels", len(col_vars))
    has_values = ck.flag(data.get("has_values"), "has_values")
    has_table = ck.flag(data.get("has_table"), "has_table")
    dof = data.get("dof")
    if dof is not None and not _whole(dof):
        ck.add("must be a whole number or null", "dof")
        dof = None
    round_base = data.get("round_base")
    if not _whole(round_base) or not 0 <= round_base <= 1_000_000:
        ck.add("must be a whole number >= 0", "round_base")
        round_base = 0
    mitigation = data.get("mitigation")
    if not isinstance(mitigation, str) or mitigation not in ("", "suppress", "round", "opensafely"):
        ck.add("must be empty, suppress, round or opensafely", "mitigation")
    cells = data.get("cells")
    if not isinstance(cells, dict) or set(cells) != CELL_KEYS:
        ck.add(f"must be an object with exactly {', '.join(sorted(CELL_KEYS))}", "cells")
        _raise(ck)
    arrays: dict[str, Any] = {k: _ints(ck, cells[k], f"cells.{k}", n) for k in INT_FIELDS}
    arrays.update({k: _floats(ck, cells[k], f"cells.{k}", n) for k in FLOAT_FIELDS})
    arrays["top"] = _top(ck, cells["top"], n)
    arrays["state"] = _states(ck, cells["state"], n)
    if kind is Kind.REGRESSION and dof is None:
        ck.add("a regression's evidence needs its residual degrees of freedom", "dof")
    if kind is Kind.FREQUENCY and stat != "count":
        ck.add("a frequency table's statistic is count", "statistic")
    if not ck.problems:
        _consistent(ck, {**arrays, "round_base": round_base}, stat, has_values)
    _raise(ck)
    return TableEvidence(
        name=name,
        kind=kind,  # type: ignore[arg-type]
        statistic=stat,
        row_vars=row_vars,
        col_vars=col_vars,
        row_labels=rows,
        col_labels=cols,
        has_values=has_values,
        dof=dof,
        has_table=has_table,
        round_base=round_base,
        mitigation=mitigation,
        **arrays,
    )


def _raise(ck: _Checker) -> None:
    if ck.problems:
        raise ValidationError.from_problems("invalid evidence", ck.problems)


def _enum(ck: _Checker, enum: Any, value: Any, field: str) -> Any:
    try:
        return enum(value)
    except (ValueError, TypeError):
        ck.add(f"must be one of {', '.join(e.value for e in enum)}", field)
        return None


def _labels(ck: _Checker, value: Any, field: str, width: int) -> tuple[tuple[str, ...], ...]:
    if not isinstance(value, list):
        ck.add("must be a list of labels", field)
        return ()
    out = tuple(ck.texts(v, f"{field}[{i}]", width) for i, v in enumerate(value))
    if len(set(out)) != len(out):
        ck.add("holds the same label twice", field)
    return out


def _top(ck: _Checker, value: Any, n: int) -> np.ndarray:
    if not isinstance(value, list) or len(value) != n:
        ck.add(f"must be a list of {n} lists", "cells.top")
        return np.zeros((n, 0))
    width = len(value[0]) if n and isinstance(value[0], list) else 0
    if width > MAX_TOP or any(not isinstance(v, list) or len(v) != width for v in value):
        ck.add(f"must hold lists of one length, at most {MAX_TOP}", "cells.top")
        return np.zeros((n, 0))
    flat = _floats(ck, [x for v in value for x in v], "cells.top", n * width)
    return flat.reshape(n, width)


def _states(ck: _Checker, value: Any, n: int) -> np.ndarray:
    names = {s.value: STATE_CODES[s] for s in CellState}
    if (
        not isinstance(value, list)
        or len(value) != n
        or any(not isinstance(v, str) or v not in names for v in value)
    ):
        ck.add(f"must be a list of {n} of {', '.join(names)}", "cells.state")
        return np.zeros(n, np.int8)
    return np.asarray([names[v] for v in value], dtype=np.int8)


def _consistent(ck: _Checker, a: dict[str, np.ndarray], stat: str, has_values: bool) -> None:
    """Facts that must hold between the fields of honest evidence."""
    count, top = a["count"], a["top"]
    filled = count - a["missing"]
    checks = [
        (filled < 0, "cells.missing", "more missing values than records"),
        (a["negatives"] > filled, "cells.negatives", "more negative values than values"),
        (
            a["below"] + a["above"] + a["ties"] > filled,
            "cells.below",
            "more records around the value than values",
        ),
        (
            (~np.isnan(top)).sum(axis=1) > filled if top.size else np.zeros(len(count), bool),
            "cells.top",
            "more contributions than values",
        ),
    ]
    if top.shape[1] > 1:
        with np.errstate(invalid="ignore"):
            later = top[:, 1:]
            disorder = (later > top[:, :-1]) | (np.isnan(top[:, :-1]) & ~np.isnan(later))
        checks.append((disorder.any(axis=1), "cells.top", "contributions not in descending order"))
    if top.size:
        with np.errstate(invalid="ignore"):
            tops = np.nansum(top, axis=1)
            over = (a["negatives"] == 0) & (tops > np.nan_to_num(a["total"]) * (1 + 1e-9) + 1e-9)
        checks.append((over, "cells.top", "contributions larger than the cell's total"))
    exact = a["state"] == STATE_CODES[CellState.EXACT]
    same = (a["published"] == a["value"]) | (np.isnan(a["published"]) & np.isnan(a["value"]))
    checks.append((exact & ~same, "cells.published", "an exact cell shows another value"))
    state, shown = a["state"], a["published"]
    code = {s: STATE_CODES[s] for s in CellState}
    checks.append(
        (
            (state == code[CellState.SUPPRESSED]) & ~np.isnan(shown),
            "cells.published",
            "a suppressed cell shows a value",
        )
    )
    checks.append(
        (
            (state == code[CellState.REDACTED]) & (shown != 0),
            "cells.published",
            "a redacted cell shows another value than 0",
        )
    )
    rounded = state == code[CellState.ROUNDED]
    if rounded.any():
        base = max(a["round_base"], 1)
        with np.errstate(invalid="ignore"):
            off = rounded & (
                (np.mod(shown, base) != 0) | (np.abs(shown - count) > base / 2) | (base < 2)
            )
        checks.append((off, "cells.published", "a rounded cell is not its count rounded"))
    if stat == "count":  # records, or the values present when a values column is counted
        counted = filled if has_values else count
        checks.append((a["value"] != counted, "cells.value", "a count differs from its records"))
    if not has_values:
        checks.append(
            (
                a["missing"] + a["negatives"] > 0,
                "cells.missing",
                "missing or negative values in a table without values",
            )
        )
    for bad, field, what in checks:
        if np.any(bad):
            first = int(np.flatnonzero(bad)[0])
            ck.add(f"{what} (cell {first}, {int(np.sum(bad))} cells)", field)
