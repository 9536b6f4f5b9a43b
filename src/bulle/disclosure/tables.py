"""Build a table and its evidence in one call, with pandas' arguments.

``crosstab`` and ``pivot_table`` take pandas' arguments and return pandas' table with the
:class:`~bulle.disclosure.evidence.TableEvidence` its checks need, computed from the same rows;
``output_table`` wraps a counts table computed otherwise. Three choices follow ACRO and the SACRO
guidelines and are refused or forced rather than silently changed:

* ``dropna`` is forced to False, as ACRO does: dropping empty combinations would hide the zeros
  the ``zeros`` rule must see, and the table's grid is then every combination of the keys' values;
* ``margins`` are refused: a total next to a suppressed cell gives it back; publish totals as a
  table of their own, checked like any other;
* the aggregation must be named (``"count"``, ``"sum"``, ``"mean"``, ``"median"``, ``"min"``,
  ``"max"``, ``"std"``, ``"var"``): a Python function is opaque, its evidence cannot be known.

Records whose key is missing form a group of their own (labelled ``nan``), as pandas (with
``dropna=False``) shows them: they are published, so they are checked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from bulle.disclosure.evidence import (
    STATE_CODES,
    STATISTICS,
    CellState,
    Kind,
    TableEvidence,
    top_contributions,
)
from bulle.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_TOP = 2  # largest contributions kept per cell unless the caller asks for more (nk n)
AGG_ALIASES = {"size": "count", "len": "count", "average": "mean"}


def _statistic(aggfunc: Any, values_given: bool) -> str:
    if aggfunc is None:
        if values_given:
            raise InputError("crosstab: values were given without an aggfunc (as in pandas)")
        return "count"
    if not isinstance(aggfunc, str):
        raise InputError(
            f"aggfunc must be one named statistic ({', '.join(sorted(STATISTICS))}), got "
            f"{aggfunc!r}: the evidence of an arbitrary function cannot be known"
        )
    stat = AGG_ALIASES.get(aggfunc, aggfunc)
    if stat not in STATISTICS:
        raise InputError(f"aggfunc {aggfunc!r} is not one of {', '.join(sorted(STATISTICS))}")
    if stat != "count" and not values_given:
        raise InputError(f"aggfunc {aggfunc!r} needs a values column")
    return stat


def _kind_of(stat: str) -> Kind:
    if stat == "count":
        return Kind.FREQUENCY
    if stat in ("sum", "mean"):
        return Kind.MAGNITUDE
    return Kind.DESCRIPTIVE


def _as_series_list(axis: Any, prefix: str) -> list[pd.Series]:
    import pandas as pd

    if axis is None:
        return []
    items = axis if isinstance(axis, list) else [axis]
    out = []
    for i, item in enumerate(items):
        s = item if isinstance(item, pd.Series) else pd.Series(np.asarray(item))
        out.append(s.rename(s.name if s.name is not None else f"{prefix}_{i}"))
    return out


def _levels(s: pd.Series) -> tuple[list[Any], np.ndarray]:
    """The key's values in pandas' order (categories, or sorted uniques) and each record's code."""
    import pandas as pd

    if isinstance(s.dtype, pd.CategoricalDtype):
        cats, codes = list(s.cat.categories), s.cat.codes.to_numpy().astype(np.int64)
        if (codes < 0).any():  # missing keys are a group of their own, as pandas shows them
            cats.append(np.nan)
            codes = np.where(codes < 0, len(cats) - 1, codes)
        return cats, codes
    codes, uniques = pd.factorize(s, sort=True, use_na_sentinel=False)
    return list(uniques), codes.astype(np.int64)


def _grid(keys: list[pd.Series], n: int) -> tuple[list[tuple], np.ndarray, list[list]]:
    """Every combination of the keys' values (row-major) and each record's combination number."""
    import itertools

    if not keys:
        return [()], np.zeros(n, np.int64), []
    levels, codes = zip(*(_levels(k) for k in keys), strict=True)
    sizes = [len(lv) for lv in levels]
    combos = list(itertools.product(*levels))
    code = np.zeros(n, np.int64)
    valid = np.ones(n, bool)
    for c, size in zip(codes, sizes, strict=True):
        valid &= c >= 0
        code = code * size + np.where(c >= 0, c, 0)
    code[~valid] = -1
    return combos, code, [list(lv) for lv in levels]


def _label(combo: tuple) -> tuple[str, ...]:
    return tuple(str(x) for x in combo)


def _index(combos: list[tuple], names: list[str]) -> Any:
    import pandas as pd

    if len(names) == 1:
        return pd.Index([c[0] for c in combos], name=names[0])
    return pd.MultiIndex.from_tuples(combos, names=names)


def build_evidence(
    name: str,
    rows: list[pd.Series],
    cols: list[pd.Series],
    values: pd.Series | None,
    stat: str,
    table_values: np.ndarray,
    n_top: int,
) -> TableEvidence:
    """Evidence of a grid table whose published values (grid-aligned) are ``table_values``."""
    n = len(rows[0])
    row_combos, row_code, _ = _grid(rows, n)
    col_combos, col_code, _ = _grid(cols, n)
    n_cols = len(col_combos)
    n_cells = len(row_combos) * n_cols
    keep = (row_code >= 0) & (col_code >= 0)
    cell = (row_code * n_cols + col_code)[keep]
    count = np.bincount(cell, minlength=n_cells).astype(np.int64)
    value = np.asarray(table_values, dtype=float).reshape(-1)
    evidence: dict[str, Any] = {"count": count}
    if values is not None:
        try:
            v = np.asarray(values.to_numpy(dtype=float, na_value=np.nan), dtype=float)[keep]
        except (TypeError, ValueError):
            raise InputError(
                f"output {name!r}: the values column {values.name!r} must hold numbers "
                "(count categories with crosstab)"
            ) from None
        ok = ~np.isnan(v)
        total = np.bincount(cell[ok], weights=v[ok], minlength=n_cells)
        filled = np.bincount(cell[ok], minlength=n_cells)
        evidence["total"] = np.where(filled > 0, total, np.nan)
        evidence["top"] = top_contributions(v, cell, n_cells, n_top)
        evidence["negatives"] = np.bincount(cell[ok & (v < 0)], minlength=n_cells)
        evidence["missing"] = np.bincount(cell[~ok], minlength=n_cells)
        if stat == "count":  # pandas counts the values present, computed here the same way
            value = (count - evidence["missing"]).astype(float)
        ref = value[cell]
        with np.errstate(invalid="ignore"):
            evidence["below"] = np.bincount(cell[ok & (v < ref)], minlength=n_cells)
            evidence["above"] = np.bincount(cell[ok & (v > ref)], minlength=n_cells)
            evidence["ties"] = np.bincount(cell[ok & (v == ref)], minlength=n_cells)
    else:
        if stat == "count":  # the records counted here are the published counts
            value = count.astype(float)
        z = np.zeros(n_cells, np.int64)
        evidence.update(
            total=np.full(n_cells, np.nan),
            top=np.full((n_cells, n_top), np.nan),
            negatives=z,
            missing=z,
            below=z,
            above=z,
            ties=z,
        )
    evidence["value"] = value
    for key in ("negatives", "missing", "below", "above", "ties"):
        evidence[key] = np.asarray(evidence[key], dtype=np.int64)
    return TableEvidence(
        name=name,
        kind=_kind_of(stat),
        statistic=stat,
        row_vars=tuple(str(s.name) for s in rows),
        col_vars=tuple(str(s.name) for s in cols),
        row_labels=tuple(_label(c) for c in row_combos),
        col_labels=tuple(_label(c) for c in col_combos),
        published=value.copy(),
        state=np.full(n_cells, STATE_CODES[CellState.EXACT], np.int8),
        has_values=values is not None,
        **evidence,
    )


def _align(table: pd.DataFrame, rows: list, cols: list, n: int) -> pd.DataFrame:
    """The table on the evidence's grid (pandas' own order when dropna=False)."""
    row_combos, _, _ = _grid(rows, n)
    col_combos, _, _ = _grid(cols, n)
    if table.columns.nlevels > max(len(cols), 1):  # pivot_table's leading values/aggfunc levels
        table = table.droplevel(list(range(table.columns.nlevels - max(len(cols), 1))), axis=1)
    index = _index(row_combos, [str(s.name) for s in rows])
    if cols:
        return table.reindex(index=index, columns=_index(col_combos, [str(s.name) for s in cols]))
    return table.reindex(index=index)


def _check_plain(margins: bool, normalize: Any = False) -> None:
    if margins:
        raise InputError(
            "margins are refused: a total next to a suppressed cell gives it back; "
            "publish the totals as a table of their own"
        )
    if normalize not in (False, 0, None):
        raise InputError("normalize is refused: publish counts, which the checks can judge")


def crosstab(
    index: Any,
    columns: Any,
    values: Any = None,
    rownames: Any = None,
    colnames: Any = None,
    aggfunc: Any = None,
    margins: bool = False,
    margins_name: str = "All",
    dropna: bool = True,
    normalize: Any = False,
    *,
    name: str = "table",
    n_top: int = DEFAULT_TOP,
) -> tuple[pd.DataFrame, TableEvidence]:
    """``pandas.crosstab`` (with ``dropna=False``) and the table's evidence."""
    import pandas as pd

    _ = (margins_name, dropna)
    _check_plain(margins, normalize)
    stat = _statistic(aggfunc, values is not None)
    rows, cols = _as_series_list(index, "row"), _as_series_list(columns, "col")
    if rownames is not None:
        rows = [s.rename(nm) for s, nm in zip(rows, rownames, strict=True)]
    if colnames is not None:
        cols = [s.rename(nm) for s, nm in zip(cols, colnames, strict=True)]
    if not rows or not cols:
        raise InputError("crosstab needs at least one index and one columns key")
    vals = None if values is None else _as_series_list(values, "values")[0]
    n = len(rows[0])
    if any(len(s) != n for s in [*rows, *cols, *([vals] if vals is not None else [])]):
        raise InputError("crosstab: index, columns and values must have the same length")
    rows = [s.reset_index(drop=True) for s in rows]
    cols = [s.reset_index(drop=True) for s in cols]
    vals = None if vals is None else vals.reset_index(drop=True).rename("__values__")
    table = pd.crosstab(
        rows, cols, values=vals, aggfunc=None if stat == "count" else stat, dropna=False
    )
    table = _align(table, rows, cols, n)
    ev = build_evidence(name, rows, cols, vals, stat, table.to_numpy(dtype=float), n_top)
    if stat == "count":
        table = pd.DataFrame(
            ev.count.reshape(table.shape), index=table.index, columns=table.columns
        )
    return table, ev


def pivot_table(
    data: pd.DataFrame,
    values: Any = None,
    index: Any = None,
    columns: Any = None,
    aggfunc: Any = "mean",
    fill_value: Any = None,
    margins: bool = False,
    dropna: bool = True,
    margins_name: str = "All",
    observed: bool = False,
    sort: bool = True,
    *,
    name: str = "table",
    n_top: int = DEFAULT_TOP,
) -> tuple[pd.DataFrame, TableEvidence]:
    """``pandas.pivot_table`` (with ``dropna=False``, one values column) and its evidence."""
    import pandas as pd

    _ = (margins_name, dropna, observed, sort)
    _check_plain(margins)
    if fill_value is not None:
        raise InputError("fill_value is refused: an empty cell must stay visible to the checks")
    if isinstance(values, list):
        if len(values) != 1:
            raise InputError("pivot_table: give exactly one values column")
        values = values[0]
    stat = _statistic(aggfunc, values is not None)
    names = [] if index is None else (index if isinstance(index, list) else [index])
    cnames = [] if columns is None else (columns if isinstance(columns, list) else [columns])
    missing = [
        c
        for c in [*names, *cnames, *([values] if values is not None else [])]
        if c not in data.columns
    ]
    if missing:
        raise InputError(f"pivot_table: no column {', '.join(map(repr, missing))} in the data")
    if not names:
        raise InputError("pivot_table needs at least one index key")
    data = data.reset_index(drop=True)
    rows = [data[c] for c in names]
    cols = [data[c] for c in cnames]
    vals = None if values is None else data[values]
    if vals is None:  # a frequency table: count records per cell, whatever the other columns
        return crosstab(rows, cols or [_ones(len(data))], name=name, n_top=n_top)
    table = data.pivot_table(
        values=values,
        index=names,
        columns=cnames or None,
        aggfunc=stat,
        dropna=False,
        observed=False,
    )
    table = _align(table, rows, cols, len(data))
    ev = build_evidence(name, rows, cols, vals, stat, table.to_numpy(dtype=float), n_top)
    if stat == "count":  # whole numbers, 0 for an empty cell, as the evidence counted them
        table = pd.DataFrame(
            ev.value.astype(np.int64).reshape(table.shape), index=table.index, columns=table.columns
        )
    return table, ev


def _ones(n: int) -> pd.Series:
    import pandas as pd

    return pd.Series(np.full(n, "all"), name="all")


def output_table(
    name: str, df: pd.DataFrame, kind: str = "frequency", counts: str | None = None
) -> tuple[pd.DataFrame, TableEvidence]:
    """Evidence of a counts table computed otherwise: the key columns and one column of counts.

    ``counts`` names the column of counts (by default the only numeric column, else the last).
    Only counts can be judged without the rows; any other kind of table must be built with
    :func:`crosstab` or :func:`pivot_table`.
    """
    import pandas as pd

    if kind not in (Kind.FREQUENCY.value, Kind.HISTOGRAM.value):
        raise InputError(
            f"output_table judges counts only (kind frequency or histogram), not {kind!r}: "
            "build other tables with crosstab or pivot_table so their evidence is known"
        )
    flat = df.reset_index() if not isinstance(df.index, pd.RangeIndex) else df
    if counts is None:
        numeric = [c for c in flat.columns if pd.api.types.is_numeric_dtype(flat[c])]
        counts = numeric[-1] if numeric else str(flat.columns[-1])
    if counts not in flat.columns:
        raise InputError(f"output_table {name!r}: no column {counts!r} of counts")
    col = pd.to_numeric(flat[counts], errors="coerce")
    bad = col.isna() | (col < 0) | (col != np.floor(col))
    if bad.any():
        raise InputError(
            f"output_table {name!r}: column {counts!r} must hold whole non-negative counts "
            f"(row {int(np.flatnonzero(bad.to_numpy())[0]) + 1} does not)"
        )
    keys = [c for c in flat.columns if c != counts] or ["row"]
    labels = (
        [tuple(str(x) for x in r) for r in flat[keys].itertuples(index=False)]
        if keys != ["row"]
        else [(str(i),) for i in range(len(flat))]
    )
    count = col.to_numpy().astype(np.int64)
    n = len(count)
    z = np.zeros(n, np.int64)
    ev = TableEvidence(
        name=name,
        kind=Kind(kind),
        statistic="count",
        row_vars=tuple(str(k) for k in keys),
        col_vars=(),
        row_labels=tuple(labels),
        col_labels=((),),
        count=count,
        total=np.full(n, np.nan),
        top=np.full((n, 0), np.nan),
        negatives=z,
        missing=z,
        value=count.astype(float),
        below=z,
        above=z,
        ties=z,
        published=count.astype(float),
        state=np.full(n, STATE_CODES[CellState.EXACT], np.int8),
    )
    return flat, ev


def output_regression(name: str, dof: Any) -> TableEvidence:
    """Evidence of a regression: its residual degrees of freedom, given as a number or as a fitted
    model's results (statsmodels' ``df_resid``), as ACRO reads them."""
    dof = getattr(dof, "df_resid", dof)
    if isinstance(dof, bool) or not isinstance(dof, int | float | np.integer | np.floating):
        raise InputError(f"regression {name!r}: give the residual degrees of freedom")
    if not np.isfinite(dof) or not float(dof).is_integer():
        raise InputError(f"regression {name!r}: degrees of freedom must be a whole number")
    return TableEvidence(name=name, kind=Kind.REGRESSION, statistic="", dof=int(dof))


def regression_dof(exog: Any) -> int:
    """Residual degrees of freedom of a linear model on the design matrix ``exog`` (records x
    regressors, constant included if wanted): records less the matrix's rank, as statsmodels
    defines ``df_resid`` (collinear regressors count once)."""
    x = np.asarray(exog, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or not np.isfinite(x).all():
        raise InputError("regression: the design matrix must be a finite 2-d array of numbers")
    return int(x.shape[0] - np.linalg.matrix_rank(x))


def output_other(name: str, kind: str, table: TableEvidence | None = None) -> TableEvidence:
    """Evidence of a figure (with the evidence of the table behind it, if any) or a free file."""
    if kind not in (Kind.FIGURE.value, Kind.FILE.value):
        raise InputError(f"output {name!r}: kind {kind!r} is not figure or file")
    if table is not None and kind == Kind.FIGURE.value:
        return table.with_cells(name=name, kind=Kind.FIGURE, has_table=True)
    return TableEvidence(name=name, kind=Kind(kind), statistic="", has_table=False)
