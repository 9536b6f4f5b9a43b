"""One numeric matrix for the three tables an attack compares, and the mixed distance between rows.

The attacks of Giomi et al. (PETS 2023) compare records of the training part, the control part
and the synthetic table over and over: predicates evaluated on every row, nearest neighbours
found among tens of thousands of rows. Doing that on pandas objects would take minutes on
adult, so the three tables are encoded once into float matrices sharing one code book:

* a *categorical* column (text, booleans, anything not numeric in the training part) becomes
  integer codes common to the three tables, a missing value being a code of its own (-1), so
  that equality is the only operation an attack needs on it;
* a *numeric* column keeps its values, a missing value being NaN; its range over the training
  part scales distances to [0, 1].

The distance between two rows is Gower-like: the mean over the compared columns of 0/1 for a
categorical mismatch and of ``min(|a - b| / range, 1)`` for a number (1 when only one side is
missing, 0 when both are). Nearest neighbours break ties at random (a seeded permutation of the
candidates), because categorical data has many exact ties and always taking the first row would
bias every attack towards the top of the table.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from bulle.errors import InputError, Where

MISSING_CODE = -1.0
CELLS_PER_CHUNK = 1_000_000  # rows x candidates held at once by a distance block (memory bound)


@dataclass(frozen=True)
class Encoded:
    """The three tables as float matrices with a shared code book (see the module docstring)."""

    columns: tuple[str, ...]
    numeric: np.ndarray  # bool per column
    train: np.ndarray
    control: np.ndarray
    synthetic: np.ndarray
    scale: np.ndarray  # per column: range of a numeric column over training (1 if constant)

    def index(self, names: Sequence[str]) -> list[int]:
        pos = {c: i for i, c in enumerate(self.columns)}
        return [pos[n] for n in names]


def check_columns(
    train: pd.DataFrame, control: pd.DataFrame, synthetic: pd.DataFrame
) -> tuple[str, ...]:
    """The training part's columns, which the other two tables must have (any order)."""
    columns = tuple(str(c) for c in train.columns)
    if len(set(columns)) != len(columns):
        raise InputError("the training table has duplicate column names", Where(field="train"))
    if not columns:
        raise InputError("the training table has no columns", Where(field="train"))
    for label, frame in (("control", control), ("synthetic", synthetic)):
        have = {str(c) for c in frame.columns}
        missing = [c for c in columns if c not in have]
        extra = sorted(have - set(columns))
        if missing or extra:
            parts = []
            if missing:
                parts.append("lacks " + ", ".join(repr(c) for c in missing))
            if extra:
                parts.append("has unknown " + ", ".join(repr(c) for c in extra))
            raise InputError(
                f"the {label} table's columns differ from the training table's: "
                + "; ".join(parts),
                Where(field=label),
            )
    for label, frame in (("train", train), ("control", control), ("synthetic", synthetic)):
        if len(frame) == 0:
            raise InputError(f"the {label} table has no rows", Where(field=label))
    return columns


def is_numeric(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def encode(train: pd.DataFrame, control: pd.DataFrame, synthetic: pd.DataFrame) -> Encoded:
    columns = check_columns(train, control, synthetic)
    frames = [f.rename(columns=str) for f in (train, control, synthetic)]
    sizes = [len(f) for f in frames]
    numeric = np.array([is_numeric(frames[0][c]) for c in columns], dtype=bool)
    mats = [np.empty((n, len(columns)), dtype=np.float64) for n in sizes]
    scale = np.ones(len(columns), dtype=np.float64)
    for j, col in enumerate(columns):
        if numeric[j]:
            for label, frame, mat in zip(
                ("train", "control", "synthetic"), frames, mats, strict=True
            ):
                values = pd.to_numeric(frame[col], errors="coerce")
                bad = values.isna() & frame[col].notna()
                if bad.any():
                    row = int(np.flatnonzero(bad.to_numpy())[0])
                    raise InputError(
                        f"column {col!r} is numeric in the training table but the {label} "
                        f"table holds {frame[col].iloc[row]!r}",
                        Where(field=label, column=col, line=row + 1),
                    )
                mat[:, j] = values.to_numpy(dtype=np.float64, na_value=np.nan)
            t = mats[0][:, j]
            if np.isfinite(t).any():
                span = float(np.nanmax(t) - np.nanmin(t))
                scale[j] = span if span > 0 else 1.0
        else:
            joined = pd.concat([f[col] for f in frames], ignore_index=True)
            text = joined.astype("string")
            codes, _ = pd.factorize(text, use_na_sentinel=True)
            codes = codes.astype(np.float64)
            codes[codes < 0] = MISSING_CODE
            start = 0
            for n, mat in zip(sizes, mats, strict=True):
                mat[:, j] = codes[start : start + n]
                start += n
    return Encoded(columns, numeric, mats[0], mats[1], mats[2], scale)


def column_distances(
    enc: Encoded, a: np.ndarray, b: np.ndarray, j: int, out: np.ndarray | None = None
) -> np.ndarray:
    """Per-cell distance of column ``j`` between every row of ``a`` and every row of ``b``.

    Written into ``out`` (float32, rows of ``a`` by rows of ``b``) when given: these blocks
    are the bulk of the report's time, so they are computed in place, in single precision.
    """
    if out is None:
        out = np.empty((len(a), len(b)), dtype=np.float32)
    x = a[:, j].astype(np.float32)[:, None]
    y = b[:, j].astype(np.float32)[None, :]
    if not enc.numeric[j]:
        np.not_equal(x, y, out=out)
        return out
    np.subtract(x, y, out=out)
    np.abs(out, out=out)
    np.multiply(out, np.float32(1.0 / enc.scale[j]), out=out)
    np.minimum(out, np.float32(1.0), out=out)
    nan_x, nan_y = np.isnan(x), np.isnan(y)
    if nan_x.any() or nan_y.any():
        out[nan_x ^ nan_y] = 1.0
        out[nan_x & nan_y] = 0.0
    return out


def chunks(n_rows: int, n_candidates: int) -> Iterator[slice]:
    """Row blocks small enough that a block's distance matrix stays within CELLS_PER_CHUNK."""
    step = max(1, CELLS_PER_CHUNK // max(1, n_candidates))
    for start in range(0, n_rows, step):
        yield slice(start, min(n_rows, start + step))


def row_codes(rows: np.ndarray) -> np.ndarray:
    """One integer per row, equal for equal rows (NaN equal to NaN): per-column codes combined
    in mixed radix, so that grouping rows costs one sort of integers, not of whole rows."""
    codes = np.zeros(len(rows), dtype=np.int64)
    radix = 1
    for j in range(rows.shape[1]):
        _, inverse = np.unique(np.nan_to_num(rows[:, j], nan=-np.inf), return_inverse=True)
        size = int(inverse.max()) + 1 if len(inverse) else 1
        if radix * size >= 2**62:  # too many combinations for one integer: start again from
            _, codes = np.unique(codes, return_inverse=True)  # the codes' ranks
            radix = int(codes.max()) + 1
        codes = codes * size + inverse.reshape(-1)
        radix *= size
    return codes


def first_distinct(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Position of the first occurrence of each distinct row (NaN equal to NaN), ascending, and
    how many rows equal it."""
    if len(rows) == 0:
        return np.arange(0), np.arange(0)
    _, first, counts = np.unique(row_codes(rows), return_index=True, return_counts=True)
    ascending = np.argsort(first)
    return first[ascending], counts[ascending]


def nearest(
    enc: Encoded,
    queries: np.ndarray,
    candidates: np.ndarray,
    cols: Sequence[int],
    rng: np.random.Generator,
    *,
    second: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Index and distance of each query row's nearest candidate on ``cols`` (ties at random).

    With ``second``, also the distance to the second-nearest candidate (for the
    nearest-neighbour distance ratio).

    Ties go to the candidate first in a seeded random order. Candidates equal on ``cols`` are
    at the same distance from everything, so only the first of each such group in that order
    is compared: the answer is the same as comparing them all, for a fraction of the work
    (synthetic tables repeat rows, and a few columns take few combinations).
    """
    order = rng.permutation(len(candidates))
    cand = candidates[order]
    reps, copies = first_distinct(cand[:, list(cols)])
    pool = cand[reps]
    idx = np.empty(len(queries), dtype=np.int64)
    dist = np.empty(len(queries), dtype=np.float64)
    dist2 = np.empty(len(queries), dtype=np.float64) if second else None
    for block in chunks(len(queries), len(pool)):
        total = np.zeros((block.stop - block.start, len(pool)), dtype=np.float32)
        buf = np.empty_like(total)
        for j in cols:
            total += column_distances(enc, queries[block], pool, j, buf)
        total /= max(1, len(cols))
        best = np.argmin(total, axis=1)
        rows = np.arange(len(best))
        idx[block] = order[reps[best]]
        dist[block] = total[rows, best]
        if dist2 is not None:
            if len(cand) > 1:
                total[rows, best] = np.inf
                other = total.min(axis=1) if total.shape[1] > 1 else np.full(len(best), np.inf)
                dist2[block] = np.where(copies[best] > 1, dist[block], other)
            else:
                dist2[block] = np.nan
    return idx, dist, dist2
