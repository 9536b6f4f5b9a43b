"""Dummy data reveals no rare real value and keeps the profile's schema.

The threshold is the property: a text value occurring fewer than ``min_count`` times in the real
column never appears in the dummy rows (made-up text is random letters of another shape here, so
a coincidence cannot hide a leak); numbers stay inside the range rounded inward, so the real
minimum and maximum appear only when they sit on the rounding grid.
"""

from __future__ import annotations

import math

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from bulle.synthesis.dummy import _rounded_in, dummy_from_profile, profile_frame

NAMES = [f"Person{i:03d}" for i in range(60)]  # capitalized with digits: never made up


@st.composite
def columns(draw):
    n = draw(st.integers(1, 200))
    names = draw(st.lists(st.sampled_from(NAMES), min_size=n, max_size=n))
    ages = draw(st.lists(st.integers(0, 120), min_size=n, max_size=n))
    nulls = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    return pd.DataFrame(
        {
            "name": [None if m else v for v, m in zip(names, nulls, strict=True)],
            "age": pd.Series(ages, dtype="int64"),
        }
    )


@settings(max_examples=60, deadline=None)
@given(frame=columns(), threshold=st.integers(2, 12), seed=st.integers(0, 2**31 - 1))
def test_no_rare_value_and_the_schema(frame, threshold, seed):
    profile = profile_frame(frame)
    out = dummy_from_profile(profile, 300, seed, min_count=threshold)
    assert list(out.columns) == ["name", "age"]
    assert str(out["age"].dtype) == "Int64"
    counts = frame["name"].value_counts()
    rare = set(counts[counts < threshold].index)
    assert not rare & set(out["name"].dropna())
    frequent = set(counts[counts >= threshold].index)
    assert set(out["name"].dropna()) - frequent <= {
        v for v in out["name"].dropna() if v.isalpha() and v.islower()
    }
    lo, hi = _rounded_in(float(frame["age"].min()), float(frame["age"].max()))
    ages = out["age"].dropna().astype(int)
    age_counts = frame["age"].value_counts()
    made = ages[~ages.isin(set(age_counts[age_counts >= threshold].index))]
    assert made.between(math.floor(lo), math.ceil(hi)).all()
    if frame["name"].isna().all():
        assert out["name"].isna().all()


def test_null_rate_and_reproducibility():
    frame = pd.DataFrame({"x": [None] * 300 + ["Aaaaaa"] * 700})
    a = dummy_from_profile(profile_frame(frame), 5000, 1)
    assert abs(a["x"].isna().mean() - 0.3) < 0.03
    assert set(a["x"].dropna()) == {"Aaaaaa"}
    pd.testing.assert_frame_equal(a, dummy_from_profile(profile_frame(frame), 5000, 1))


def test_vault_profile_types_are_kept():
    """The vault's stored profile (DuckDB type names) gives the stored types back."""
    profile = [
        {"name": "n", "type": "BIGINT", "rows": 10, "non_null": 10, "null_rate": 0.0,
         "min": "17", "max": "93", "top_values": [{"value": "40", "count": 3}]},
        {"name": "d", "type": "DATE", "rows": 10, "non_null": 8, "null_rate": 0.2,
         "min": "1931-05-02", "max": "2004-11-30", "top_values": []},
        {"name": "f", "type": "DOUBLE", "rows": 10, "non_null": 10, "null_rate": 0.0,
         "min": "0.5", "max": "1234.5", "top_values": []},
        {"name": "b", "type": "BOOLEAN", "rows": 10, "non_null": 10, "null_rate": 0.0,
         "min": None, "max": None, "top_values": [{"value": "true", "count": 10}]},
        {"name": "t", "type": "VARCHAR", "rows": 10, "non_null": 10, "null_rate": 0.0,
         "mean_length": 7.0, "top_values": [{"value": "rare", "count": 1}]},
    ]  # fmt: skip
    out = dummy_from_profile(profile, 200, 4, min_count=5)
    assert [str(t) for t in out.dtypes] == [
        "Int64",
        "datetime64[ns]",
        "float64",
        "boolean",
        "object",
    ]
    assert out["n"].between(21, 89).all()  # 17-93: 5 % of 76 off each end, then whole numbers
    d = out["d"].dropna()
    assert d.min() >= pd.Timestamp("1932-01-01") and d.max() <= pd.Timestamp("2004-01-01")
    assert out["f"].between(100, 1100).all()  # 0.5-1234.5: clipped, rounded inward to hundreds
    assert out["n"].min() > 17 and out["n"].max() < 93  # the extremes are never reproduced
    assert "rare" not in set(out["t"])
