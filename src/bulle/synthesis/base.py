"""The synthesizer interface, its registry, and the column codec every method shares.

A synthesizer learns from a pandas DataFrame and samples ``n`` new rows. Three promises hold for
every method, built-in or plug-in, and the property tests check them:

* the output has the input's columns, in order, with the same dtypes (an integer column stays
  integer, a category keeps its categories, a nullable column may hold nulls);
* the same seed gives the same rows, whatever ran before in the process (every random draw comes
  from a ``numpy.random.Generator`` seeded by the caller, never from global state);
* nothing but the training frame is read: the service fits on the training part only, so the
  held-out control part measures the risk honestly.

The codec turns any frame into what the algorithms handle (numbers as floats, everything else as
text categories, a numeric column's nulls as a separate indicator column) and back, so that the
methods never deal with dtypes and the dtype promise is kept in one place.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from bulle.errors import InputError, Where
from bulle.registry import Registry

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

NULL = "\x00null"  # the category standing for a missing value (no real text starts with NUL)


class Synthesizer(ABC):
    """Fit on a frame, sample rows with the frame's schema. ``params`` are the method's options."""

    name: ClassVar[str] = "abstract"
    # Declared options: name -> (type, default, description). The CLI and the docs read them.
    PARAMS: ClassVar[dict[str, tuple[type, Any, str]]] = {}

    def __init__(self, **params: Any):
        unknown = sorted(set(params) - set(self.PARAMS))
        if unknown:
            raise InputError(
                f"unknown option(s) {', '.join(unknown)} for synthesizer {self.name!r}; known: "
                f"{', '.join(self.PARAMS) or 'none'}",
                Where(field="--param"),
            )
        self.params = {}
        for k, (typ, d, _) in self.PARAMS.items():
            value = params.get(k, d)
            try:
                self.params[k] = typ(value)
            except (TypeError, ValueError):
                raise InputError(
                    f"option {k} of synthesizer {self.name!r} must be a {typ.__name__}, got "
                    f"{value!r}",
                    Where(field=k),
                ) from None
        self.codec: Codec | None = None

    def fit(self, frame: pd.DataFrame, seed: int) -> Synthesizer:
        if len(frame) < 2 or frame.shape[1] == 0:
            raise InputError(
                f"a synthesizer needs at least 2 rows and 1 column, got {len(frame)} rows and "
                f"{frame.shape[1]} columns"
            )
        self.codec = Codec.of(frame)
        self._fit(self.codec.encode(frame), _rng(seed, 0))
        return self

    def sample(self, n: int, seed: int) -> pd.DataFrame:
        if self.codec is None:
            raise RuntimeError("sample() before fit()")
        if n < 0:
            raise InputError(f"cannot sample {n} rows", Where(field="--rows"))
        if n == 0:
            return self.codec.decode(self.codec.empty())
        return self.codec.decode(self._sample(n, _rng(seed, 1)))

    def info(self) -> dict[str, Any]:
        """What the run recorded (parameters, guarantees, the method's own measures)."""
        return {"method": self.name, "params": dict(self.params)}

    @abstractmethod
    def _fit(self, encoded: pd.DataFrame, rng: np.random.Generator) -> None: ...

    @abstractmethod
    def _sample(self, n: int, rng: np.random.Generator) -> pd.DataFrame: ...


SYNTHESIZERS: Registry[type[Synthesizer]] = Registry(
    "synthesizers",
    "synthesizer",
    (
        "bulle.synthesis.avatar",
        "bulle.synthesis.cart",
        "bulle.synthesis.mst",
        "bulle.synthesis.dummy",
    ),
)


def make(method: str, **params: Any) -> Synthesizer:
    return SYNTHESIZERS.get(method)(**params)


def _rng(seed: int, stream: int) -> np.random.Generator:
    import numpy as np

    return np.random.default_rng([int(seed) & 0xFFFFFFFF, stream])


@dataclass(frozen=True)
class ColumnCode:
    """How one input column is encoded: ``numeric`` (float) or ``categorical`` (text)."""

    name: str
    kind: str
    dtype: Any
    integer: bool = False
    datetime_unit: str | None = None
    null_column: str | None = None  # numeric columns with nulls: the indicator column's name
    categories: tuple[Any, ...] = ()  # categorical: the original values, in order of their text


@dataclass
class Codec:
    columns: list[ColumnCode] = field(default_factory=list)

    @property
    def encoded_columns(self) -> list[str]:
        out = []
        for c in self.columns:
            if c.null_column:
                out.append(c.null_column)
            out.append(c.name)
        return out

    def kinds(self) -> dict[str, str]:
        """Encoded column -> ``numeric`` or ``categorical`` (indicators are categorical)."""
        out = {}
        for c in self.columns:
            if c.null_column:
                out[c.null_column] = "categorical"
            out[c.name] = c.kind
        return out

    def empty(self) -> pd.DataFrame:
        """An encoded frame without rows (a request for zero rows)."""
        import numpy as np
        import pandas as pd

        kinds = self.kinds()
        return pd.DataFrame(
            {
                c: np.array([], dtype=float if kinds[c] == "numeric" else object)
                for c in self.encoded_columns
            }
        )

    @classmethod
    def of(cls, frame: pd.DataFrame) -> Codec:
        import pandas as pd
        from pandas.api import types as t

        codes = []
        taken = set(map(str, frame.columns))
        for name in frame.columns:
            s = frame[name]
            dtype = s.dtype
            if (
                t.is_bool_dtype(dtype)
                or isinstance(dtype, pd.CategoricalDtype)
                or not (t.is_numeric_dtype(dtype) or t.is_datetime64_any_dtype(dtype))
            ):
                values = s.dropna().unique().tolist()
                values.sort(key=str)
                codes.append(ColumnCode(name, "categorical", dtype, categories=tuple(values)))
                continue
            null = None
            if s.isna().any():
                null = f"{name}\x00isnull"
                while null in taken:
                    null += "_"
                taken.add(null)
            unit = None
            if t.is_datetime64_any_dtype(dtype):
                unit = "ns"
            codes.append(
                ColumnCode(
                    name,
                    "numeric",
                    dtype,
                    integer=t.is_integer_dtype(dtype),
                    datetime_unit=unit,
                    null_column=null,
                )
            )
        return cls(codes)

    def encode(self, frame: pd.DataFrame) -> pd.DataFrame:
        import numpy as np
        import pandas as pd

        out: dict[str, Any] = {}
        for c in self.columns:
            s = frame[c.name]
            if c.kind == "categorical":
                text = s.astype(object).astype(str).to_numpy(dtype=object)
                out[c.name] = np.where(s.isna().to_numpy(), NULL, text).astype(object)
                continue
            if c.datetime_unit:
                num = pd.Series(
                    [np.nan if pd.isna(v) else float(pd.Timestamp(v).value) for v in s.tolist()],
                    dtype="float64",
                )
            else:
                num = pd.to_numeric(s, errors="coerce").astype("float64")
            num = num.reset_index(drop=True)
            if c.null_column:
                missing = num.isna().to_numpy()
                out[c.null_column] = np.where(missing, "1", "0").astype(object)
                fill = float(num.median()) if (~missing).any() else 0.0
                num = num.fillna(fill)
            out[c.name] = num.to_numpy(dtype=float)
        return pd.DataFrame(out, columns=self.encoded_columns)

    def decode(self, encoded: pd.DataFrame) -> pd.DataFrame:
        """Back to the input's columns and dtypes (numbers clipped to the seen range elsewhere)."""
        import numpy as np
        import pandas as pd

        out: dict[str, Any] = {}
        n = len(encoded)
        for c in self.columns:
            col = encoded[c.name].to_numpy()
            if c.kind == "categorical":
                back = {str(v): v for v in c.categories}
                values = pd.Series(col, dtype=object).map(back)  # NULL (and nothing else) -> NaN
                out[c.name] = as_dtype(values.astype(object), c.dtype)
                continue
            num = col.astype(float)
            if c.integer or c.datetime_unit:
                num = np.round(num)
            missing = (
                encoded[c.null_column].to_numpy() == "1" if c.null_column else np.zeros(n, bool)
            )
            if c.datetime_unit:
                stamps = pd.Series(pd.to_datetime(np.where(missing, np.nan, num), unit="ns"))
                tz = getattr(c.dtype, "tz", None)
                if tz is not None:
                    stamps = stamps.dt.tz_localize("UTC").dt.tz_convert(tz)
                out[c.name] = stamps.astype(c.dtype)
                continue
            series = pd.Series(np.where(missing, np.nan, num))
            out[c.name] = as_dtype(series, c.dtype)
        return pd.DataFrame(out, columns=[c.name for c in self.columns])


def as_dtype(series: pd.Series, dtype: Any) -> pd.Series:
    """``series`` cast to ``dtype``; a column that was never null keeps a non-nullable dtype."""
    import numpy as np
    import pandas as pd
    from pandas.api import types as t

    if isinstance(dtype, pd.CategoricalDtype):
        return pd.Series(pd.Categorical(series, dtype=dtype))
    if t.is_bool_dtype(dtype) and dtype == np.dtype(bool):
        return series.fillna(False).astype(bool)
    if t.is_integer_dtype(dtype) and isinstance(dtype, np.dtype):
        return series.fillna(0).astype(dtype)
    if dtype == np.dtype(object):
        return series.astype(object).where(series.notna(), None)
    return series.astype(dtype)
