"""crosstab and pivot_table return pandas' table, and their evidence equals a brute-force
computation from the rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bulle.disclosure.evidence import Kind
from bulle.disclosure.tables import (
    crosstab,
    output_other,
    output_regression,
    output_table,
    pivot_table,
)
from bulle.errors import InputError


@pytest.fixture
def df() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 300
    out = pd.DataFrame(
        {
            "a": rng.choice(["x", "y", "z", "w"], n, p=[0.5, 0.3, 0.19, 0.01]),
            "b": rng.choice([1, 2, 3], n),
            "c": rng.choice(["p", "q"], n),
            "v": rng.normal(50, 30, n).round(1),
        }
    )
    out.loc[rng.random(n) < 0.05, "v"] = np.nan
    out.loc[5, "a"] = None  # a missing key: a group of its own, as pandas shows it
    return out


def brute(df: pd.DataFrame, rows: list[str], cols: list[str], n_top: int) -> dict:
    """Per-cell facts from the rows, one group at a time."""
    out = {}
    for key, g in df.groupby(rows + cols, dropna=False):
        vals = g["v"].dropna().to_numpy()
        out[tuple(str(k) for k in key)] = {
            "count": len(g),
            "total": vals.sum() if len(vals) else np.nan,
            "top": sorted(vals, reverse=True)[:n_top],
            "missing": int(g["v"].isna().sum()),
            "negatives": int((vals < 0).sum()),
        }
    return out


def test_crosstab_is_pandas_table_and_counts_are_the_records(df: pd.DataFrame) -> None:
    table, ev = crosstab(df.a, [df.b, df.c])
    expected = pd.crosstab(df.a, [df.b, df.c], dropna=False)
    pd.testing.assert_frame_equal(table, expected, check_names=False)
    assert ev.kind is Kind.FREQUENCY and ev.statistic == "count"
    assert ev.n_cells == table.size
    assert np.array_equal(ev.count, table.to_numpy().reshape(-1))
    assert ev.count.sum() == len(df)  # the record with a missing key is its own group


def test_magnitude_evidence_matches_brute_force(df: pd.DataFrame) -> None:
    table, ev = crosstab(df.a, df.b, values=df.v, aggfunc="sum", n_top=3)
    expected = pd.crosstab(df.a, df.b, values=df.v, aggfunc="sum", dropna=False)
    pd.testing.assert_frame_equal(table, expected, check_names=False)
    facts = brute(df, ["a"], ["b"], 3)
    n_cols = len(ev.col_labels)
    for i in range(ev.n_cells):
        key = ev.row_labels[i // n_cols] + ev.col_labels[i % n_cols]
        f = facts.get(key, {"count": 0, "total": np.nan, "top": [], "missing": 0, "negatives": 0})
        assert ev.count[i] == f["count"]
        assert ev.missing[i] == f["missing"] and ev.negatives[i] == f["negatives"]
        np.testing.assert_allclose(ev.total[i], f["total"], equal_nan=True)
        got = ev.top[i][~np.isnan(ev.top[i])]
        np.testing.assert_allclose(got, f["top"])


def test_pivot_table_median_counts_records_each_side(df: pd.DataFrame) -> None:
    table, ev = pivot_table(df, values="v", index="a", columns="c", aggfunc="median")
    expected = df.pivot_table(
        values="v", index="a", columns="c", aggfunc="median", dropna=False, observed=False
    )
    pd.testing.assert_frame_equal(table, expected, check_names=False)
    for i in range(ev.n_cells):
        r, c = divmod(i, len(ev.col_labels))
        a = df.a.fillna("nan")
        g = df[(a == ev.row_labels[r][0]) & (df.c == ev.col_labels[c][0])]["v"].dropna()
        med = g.median()
        assert ev.below[i] == (g < med).sum() and ev.above[i] == (g > med).sum()
        assert ev.ties[i] == (g == med).sum()


def test_pivot_table_without_columns(df: pd.DataFrame) -> None:
    table, ev = pivot_table(df, values="v", index=["a", "c"], aggfunc="mean")
    assert table.shape == (len(ev.row_labels), 1) and ev.col_labels == ((),)
    assert ev.count.sum() == len(df)  # the record with a missing key is its own group


@pytest.mark.parametrize(
    "call",
    [
        lambda d: crosstab(d.a, d.b, margins=True),
        lambda d: crosstab(d.a, d.b, normalize="index"),
        lambda d: crosstab(d.a, d.b, values=d.v, aggfunc=np.sum),
        lambda d: crosstab(d.a, d.b, values=d.v),
        lambda d: crosstab(d.a, d.b, values=d.v, aggfunc="nunique"),
        lambda d: pivot_table(d, values="v", index="a", fill_value=0),
        lambda d: pivot_table(d, values=["v", "b"], index="a"),
        lambda d: pivot_table(d, values="nope", index="a"),
        lambda d: output_table("t", pd.DataFrame({"k": ["a"], "n": [2.5]})),
        lambda d: output_table("t", pd.DataFrame({"k": ["a"], "n": [1]}), kind="magnitude"),
        lambda d: output_other("f", "spreadsheet"),
        lambda d: pivot_table(d, values="a", index="b", aggfunc="count"),  # text values
    ],
)
def test_what_the_checks_cannot_judge_is_refused(df: pd.DataFrame, call) -> None:
    with pytest.raises(InputError):
        call(df)


def test_output_table_regression_figure_and_file() -> None:
    _table, ev = output_table("t", pd.DataFrame({"k": ["a", "b"], "n": [3, 12]}))
    assert list(ev.count) == [3, 12] and ev.row_labels == (("a",), ("b",))
    assert output_regression("m", 42).dof == 42
    fig = output_other("fig", "figure", ev)
    assert fig.kind is Kind.FIGURE and fig.has_table and list(fig.count) == [3, 12]
    assert not output_other("fig", "figure").has_table


def test_regression_evidence_from_fitted_results() -> None:
    class Fitted:  # the one attribute read from a statsmodels results object
        df_resid = 37.0

    assert output_regression("m", Fitted()).dof == 37
    for bad in ("many", 2.5, float("nan"), True):
        with pytest.raises(InputError):
            output_regression("m", bad)
