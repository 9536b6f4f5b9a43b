"""Dummy data from a profile alone: the schema and rough shape of a table, no person in it.

An analyst writing code for the analysis bubble needs rows with the project's exact schema (names,
types, nulls, plausible values) long before touching the real ones. :func:`dummy_from_profile`
makes them from a column profile (the vault's stored profile, or :func:`profile_frame` of a
pandas frame) and nothing else, so what it can reveal is bounded by what the profile holds:

* **Values.** A value from the profile's frequent values is used only if it occurs at least
  ``min_count`` times (setting ``synthesis.dummy_min_count``): a value shared by that many people
  points at none of them. Other text is random letters of the column's mean length; other
  numbers are drawn uniformly from the column's range *clipped* by 5 % of its width at each end
  and *rounded inward* to a tenth of the width's leading digit (ages 17-93 give 21-89, amounts
  0.5-1 234.5 give 100-1 100), so an extreme value, which usually belongs to one person, is not
  reproduced; dates are drawn between the first
  1 January after the minimum and the 1 January of the maximum's year.
* **Nulls** at the profile's null rate; **types** from the profile (DuckDB or pandas names).
* **No relationship** between columns: each column is drawn on its own. Dummy data is for writing
  and testing code, not for statistics.

The same seed gives the same frame. ``DummySynthesizer`` (``--method dummy``) profiles the training
frame and calls the same function, so both issues share one mechanism.
"""

from __future__ import annotations

import math
import string
from typing import TYPE_CHECKING, Any

from bulle.settings import default
from bulle.synthesis.base import SYNTHESIZERS, Synthesizer, as_dtype

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

CLIP = 0.05  # share of a numeric range cut at each end: the extremes are single people
PROFILE_TOP = 50  # frequent values kept by profile_frame (only those over the threshold are used)
INTEGER = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
           "UINTEGER", "UBIGINT", "INT", "INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16",
           "UINT32", "UINT64")  # fmt: skip
FLOAT = ("DOUBLE", "FLOAT", "REAL", "FLOAT32", "FLOAT64")


def dummy_from_profile(
    profile: list[dict[str, Any]], n: int, seed: int, *, min_count: int | None = None
) -> pd.DataFrame:
    """``n`` rows with the profile's columns, types and null rates, and no rare real value."""
    import numpy as np
    import pandas as pd

    threshold = default("synthesis.dummy_min_count") if min_count is None else int(min_count)
    rng = np.random.default_rng([int(seed) & 0xFFFFFFFF, 7])
    columns = {}
    for col in profile:
        kind = _kind(str(col["type"]))
        values = _values(col, kind, n, threshold, rng)
        null_rate = float(col.get("null_rate") or 0.0)
        missing = rng.random(n) < null_rate
        columns[col["name"]] = _typed(values, missing, kind)
    return pd.DataFrame(columns, columns=[c["name"] for c in profile])


def _kind(type_name: str) -> str:
    t = type_name.upper().split("(")[0].strip()
    if t in INTEGER:
        return "integer"
    if t in FLOAT or t.startswith("DECIMAL"):
        return "float"
    if t in ("BOOLEAN", "BOOL"):
        return "boolean"
    if t == "DATE" or t.startswith("TIMESTAMP") or t.startswith("DATETIME"):
        return "date"
    return "text"


def _frequent(col: dict[str, Any], threshold: int) -> tuple[list[str], np.ndarray, float]:
    """The profile's values seen at least ``threshold`` times, their weights, and their share."""
    import numpy as np

    top = [t for t in col.get("top_values") or [] if int(t["count"]) >= threshold]
    non_null = max(int(col.get("non_null") or 0), 1)
    counts = np.array([int(t["count"]) for t in top], dtype=float)
    share = min(float(counts.sum()) / non_null, 1.0) if len(top) else 0.0
    return [str(t["value"]) for t in top], counts, share


def _values(col: dict[str, Any], kind: str, n: int, threshold: int, rng: np.random.Generator):
    import numpy as np

    frequent, counts, share = _frequent(col, threshold)
    made = _made_up(col, kind, n, rng)
    if not frequent or kind == "float":  # a real float repeated that often is a code: keep it out
        return made
    parsed = [_parse(v, kind) for v in frequent]
    pick = rng.choice(len(parsed), size=n, p=counts / counts.sum())
    use = rng.random(n) < share if len(made) else np.ones(n, bool)
    return [parsed[pick[i]] if use[i] else made[i] for i in range(n)]


def _made_up(col: dict[str, Any], kind: str, n: int, rng: np.random.Generator) -> list[Any]:
    import numpy as np
    import pandas as pd

    if kind == "boolean":
        return list(rng.random(n) < 0.5)
    if kind == "text":
        length = max(1, min(round(col.get("mean_length") or 6), 40))
        letters = np.array(list(string.ascii_lowercase))
        return ["".join(letters[rng.integers(0, 26, length)]) for _ in range(n)]
    lo, hi = col.get("min"), col.get("max")
    if lo is None or hi is None:
        return [None] * n
    if kind == "date":
        a, b = pd.Timestamp(str(lo)), pd.Timestamp(str(hi))
        start = pd.Timestamp(year=a.year + (0 if (a.month, a.day) == (1, 1) else 1), month=1, day=1)
        end = pd.Timestamp(year=b.year, month=1, day=1)
        if end <= start:
            start = end = pd.Timestamp(year=(a.year + b.year) // 2, month=1, day=1)
        days = rng.integers(0, (end - start).days + 1, n)
        return [start + pd.Timedelta(days=int(x)) for x in days]
    low, high = _rounded_in(float(lo), float(hi))
    x = low + rng.random(n) * (high - low)
    return [round(v) for v in x] if kind == "integer" else [round(float(v), 2) for v in x]


def _rounded_in(lo: float, hi: float) -> tuple[float, float]:
    """``[lo, hi]`` clipped by ``CLIP`` of its width at each end, then rounded inward to a tenth
    of the leading digit of the width; a single point if nothing is left."""
    width = hi - lo
    if width <= 0:
        return lo, hi
    step = 10 ** (math.floor(math.log10(width)) - 1)
    low = math.ceil((lo + CLIP * width) / step) * step
    high = math.floor((hi - CLIP * width) / step) * step
    if high <= low:
        mid = round((lo + hi) / 2 / step) * step
        return mid, mid
    return low, high


def _parse(value: str, kind: str) -> Any:
    import pandas as pd

    if kind == "integer":
        return int(float(value))
    if kind == "boolean":
        return value.strip().lower() in ("true", "1", "t", "yes")
    if kind == "date":
        return pd.Timestamp(value)
    return value


def _typed(values: list[Any], missing: np.ndarray, kind: str) -> pd.Series:
    import pandas as pd

    values = [None if m else v for v, m in zip(values, missing, strict=True)]
    if kind == "integer":
        return pd.Series(values, dtype="Int64")
    if kind == "float":
        return pd.Series(values, dtype="float64")
    if kind == "boolean":
        return pd.Series(values, dtype="boolean")
    if kind == "date":
        return pd.Series(pd.to_datetime(values)).astype("datetime64[ns]")
    return pd.Series(values, dtype=object)


def profile_frame(frame: pd.DataFrame, top: int = PROFILE_TOP) -> list[dict[str, Any]]:
    """The vault's profile format (without its raw sample) for a pandas frame."""
    from pandas.api import types as t

    out = []
    for name in frame.columns:
        s = frame[name]
        dtype = s.dtype
        if t.is_bool_dtype(dtype):
            type_name = "BOOLEAN"
        elif t.is_integer_dtype(dtype):
            type_name = "BIGINT"
        elif t.is_float_dtype(dtype):
            type_name = "DOUBLE"
        elif t.is_datetime64_any_dtype(dtype):
            type_name = "TIMESTAMP"
        else:
            type_name = "VARCHAR"
        present = s.dropna()
        counts = present.astype(str).value_counts()
        counts = counts.sort_index(kind="stable").sort_values(ascending=False, kind="stable")
        numeric = type_name in ("BIGINT", "DOUBLE", "TIMESTAMP")
        lengths = present.astype(str).str.len()
        out.append(
            {
                "name": name,
                "type": type_name,
                "rows": len(s),
                "non_null": len(present),
                "null_rate": float(1 - len(present) / len(s)) if len(s) else 0.0,
                "distinct": len(counts),
                "min": str(present.min()) if numeric and len(present) else None,
                "max": str(present.max()) if numeric and len(present) else None,
                "mean_length": float(lengths.mean()) if len(present) else None,
                "max_length": int(lengths.max()) if len(present) else None,
                "top_values": [
                    {"value": str(v), "count": int(c)} for v, c in counts.head(top).items()
                ],
            }
        )
    return out


@SYNTHESIZERS.register("dummy")
class DummySynthesizer(Synthesizer):
    """Dummy rows from the training frame's profile alone (no relationship between columns)."""

    name = "dummy"
    PARAMS = {
        "min_count": (
            int,
            default("synthesis.dummy_min_count"),
            "a real value is used only if it occurs at least this many times",
        ),
    }

    def fit(self, frame: pd.DataFrame, seed: int) -> Synthesizer:
        super().fit(frame, seed)
        self.profile = profile_frame(frame)
        self.dtypes = frame.dtypes
        return self

    def _fit(self, encoded: pd.DataFrame, rng: np.random.Generator) -> None:
        """Nothing to learn beyond the profile (taken in ``fit``)."""

    def _sample(self, n: int, rng: np.random.Generator) -> pd.DataFrame:
        raise NotImplementedError  # ``sample`` is overridden: the codec is not used

    def sample(self, n: int, seed: int) -> pd.DataFrame:
        import numpy as np
        import pandas as pd

        frame = dummy_from_profile(self.profile, n, seed, min_count=self.params["min_count"])
        rng = np.random.default_rng([int(seed) & 0xFFFFFFFF, 8])
        out = {}
        for c in frame.columns:
            values = frame[c].astype(object)
            dtype = self.dtypes[c]
            if isinstance(dtype, pd.CategoricalDtype) and len(dtype.categories):
                # the dtype declares its categories (schema, not rows): made-up text takes one
                known = set(dtype.categories)
                cats = list(dtype.categories)
                values = pd.Series(
                    [
                        v if v is None or v in known else cats[rng.integers(len(cats))]
                        for v in values
                    ],
                    dtype=object,
                )
            out[c] = as_dtype(values, dtype)
        return pd.DataFrame(out, columns=list(frame.columns))
