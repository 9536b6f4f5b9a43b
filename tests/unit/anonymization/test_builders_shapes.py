"""Hierarchy builders: exact rows on small inputs, consistent shape always, clear errors."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bulle.anonymization.builders import (
    date_rows,
    flat_rows,
    interval_rows,
    mask_rows,
    nir_rows,
    ordered_rows,
)
from bulle.errors import InputError, ValidationError, Where


def check_shape(rows: list[list[str]], values: Sequence[str]) -> None:
    """What Hierarchy.from_rows relies on, checked independently of the builders."""
    assert rows, "no rows"
    width = len(rows[0])
    assert width >= 2
    assert all(len(r) == width for r in rows), "rows of different lengths"
    leaves = [r[0] for r in rows]
    assert len(set(leaves)) == len(leaves), "duplicated leaf"
    assert set(values) <= set(leaves), "a value is not covered"
    assert {r[-1] for r in rows} == {"*"}, "top is not '*'"
    for level in range(width - 1):
        parent: dict[str, str] = {}
        for r in rows:
            assert parent.setdefault(r[level], r[level + 1]) == r[level + 1], (
                f"level {level} label {r[level]!r} has two parents"
            )
    for r in rows:
        assert all(cell and ";" not in cell and "\n" not in cell for cell in r)


# -- exact rows --------------------------------------------------------------------------------


def test_interval_rows_arx_labels() -> None:
    rows = interval_rows(["23", "0", "99", "23", "7.5", "-3"], 5, [2, 5])
    assert rows == [
        ["-3", "[-5, 0[", "[-10, 0[", "[-50, 0[", "*"],
        ["0", "[0, 5[", "[0, 10[", "[0, 50[", "*"],
        ["7.5", "[5, 10[", "[0, 10[", "[0, 50[", "*"],
        ["23", "[20, 25[", "[20, 30[", "[0, 50[", "*"],
        ["99", "[95, 100[", "[90, 100[", "[50, 100[", "*"],
    ]


def test_interval_origin_and_decimal_width() -> None:
    rows = interval_rows(["1.25", "1.3", "2"], "0.5", [2], origin="0.25")
    assert rows == [
        ["1.25", "[1.25, 1.75[", "[1.25, 2.25[", "*"],
        ["1.3", "[1.25, 1.75[", "[1.25, 2.25[", "*"],
        ["2", "[1.75, 2.25[", "[1.25, 2.25[", "*"],
    ]


def test_date_rows() -> None:
    rows = date_rows(
        ["2021-03-15", "1999-12-31", "2021-03-01T10:00"], ["month", "quarter", "year", "decade"]
    )
    assert rows == [
        ["1999-12-31", "1999-12", "1999-Q4", "1999", "[1990, 2000[", "*"],
        ["2021-03-01T10:00", "2021-03", "2021-Q1", "2021", "[2020, 2030[", "*"],
        ["2021-03-15", "2021-03", "2021-Q1", "2021", "[2020, 2030[", "*"],
    ]
    assert date_rows(["15/03/2021"], ["year"], formats=["%d/%m/%Y"]) == [
        ["15/03/2021", "2021", "*"]
    ]


def test_mask_postcodes() -> None:
    assert mask_rows(["75011", "75012", "13001"]) == [
        ["13001", "1300*", "130**", "13***", "1****", "*"],
        ["75011", "7501*", "750**", "75***", "7****", "*"],
        ["75012", "7501*", "750**", "75***", "7****", "*"],
    ]
    assert mask_rows(["75011", "2A004"], keep=[2]) == [
        ["2A004", "2A***", "*"],
        ["75011", "75***", "*"],
    ]
    assert mask_rows(["75011"], step=2) == [["75011", "750**", "7****", "*"]]


def test_nir_prefixes() -> None:
    rows = nir_rows(["1 85 05 75 111 222 33", "2850575111222", "185052A111222"])
    assert rows == [
        ["1 85 05 75 111 222 33", "18505********", "185**********", "1************", "*"],
        ["185052A111222", "18505********", "185**********", "1************", "*"],
        ["2850575111222", "28505********", "285**********", "2************", "*"],
    ]


def test_ordered_groups() -> None:
    rows = ordered_rows(["a", "b", "c", "d", "e"], [2, 2], values=["a", "e", "a"])
    assert rows == [
        ["a", "[a, b]", "[a, d]", "*"],
        ["b", "[a, b]", "[a, d]", "*"],
        ["c", "[c, d]", "[a, d]", "*"],
        ["d", "[c, d]", "[a, d]", "*"],
        ["e", "e", "e", "*"],
    ]


def test_flat() -> None:
    assert flat_rows(["y", "x", "y"]) == [["x", "*"], ["y", "*"]]


# -- errors ------------------------------------------------------------------------------------


def test_non_numeric_values_are_all_named_with_their_place() -> None:
    where = {}

    def locate(i: int) -> Where:
        where[i] = True
        return Where(file="data.csv", line=i + 2, column="age")

    with pytest.raises(ValidationError) as err:
        interval_rows(["1", "abc", "2", "x;y", None, "abc", "nan"], 5, locate=locate)
    msgs = [(p.message, p.where.line) for p in err.value.problems]
    assert ("not a number: 'abc' (an interval hierarchy needs numeric values)", 3) in msgs
    assert any("';'" in m and line == 5 for m, line in msgs)
    assert any("missing value" in m and line == 6 for m, line in msgs)
    assert any("'nan'" in m for m, _ in msgs)
    assert len(msgs) == 4  # 'abc' once, at its first line


def test_empty_input() -> None:
    for build in (lambda v: interval_rows(v, 5), date_rows, mask_rows, nir_rows, flat_rows):
        with pytest.raises(InputError, match="no values"):
            build([])
    with pytest.raises(InputError, match="no categories"):
        ordered_rows([], [2])


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"width": 0}, "width"),
        ({"width": "x"}, "width"),
        ({"width": 5, "fanouts": [1]}, "fanout"),
        ({"width": 5, "origin": "o"}, "origin"),
    ],
)
def test_interval_parameters(kwargs, field) -> None:
    with pytest.raises(ValidationError) as err:
        interval_rows(["1"], **kwargs)
    assert err.value.problems[0].where.field == field


def test_date_errors() -> None:
    with pytest.raises(ValidationError, match="parameters"):
        date_rows(["2021-01-01"], ["year", "month"])
    with pytest.raises(ValidationError, match="parameters"):
        date_rows(["2021-01-01"], ["week"])
    with pytest.raises(ValidationError) as err:
        date_rows(["2021-02-30", "hier"])
    assert len(err.value.problems) == 2 and "not a date: '2021-02-30'" in str(err.value)


def test_mask_and_nir_errors() -> None:
    with pytest.raises(ValidationError, match="decrease"):
        mask_rows(["75011"], keep=[2, 3])
    with pytest.raises(ValidationError, match="at least 1"):
        mask_rows(["75011"], keep=[0])
    with pytest.raises(ValidationError) as err:
        nir_rows(["123", "2850575111222", "985057511122"])
    assert len(err.value.problems) == 2 and "not a NIR: '123'" in str(err.value)


def test_ordered_errors() -> None:
    with pytest.raises(ValidationError) as err:
        ordered_rows(["a", "b", "a"], [1])
    assert len(err.value.problems) == 2
    with pytest.raises(ValidationError, match="not among the ordered categories"):
        ordered_rows(["a", "b"], [2], values=["a", "z"])


# -- shape on random inputs ----------------------------------------------------------------------

NUMBERS = st.lists(
    st.one_of(
        st.integers(-1000, 1000).map(str),
        st.decimals(-500, 500, places=2, allow_nan=False).map(str),
    ),
    min_size=1,
    max_size=40,
)


@given(
    NUMBERS,
    st.sampled_from(["1", "2.5", "5", "10", "0.1"]),
    st.lists(st.integers(2, 4), max_size=3),
    st.sampled_from(["0", "3", "-7.5"]),
)
def test_interval_shape(values, width, fanouts, origin) -> None:
    rows = interval_rows(values, width, fanouts, origin)
    check_shape(rows, values)
    assert len(rows[0]) == len(fanouts) + 3


@given(
    st.lists(st.dates().map(lambda d: d.isoformat()), min_size=1, max_size=30),
    st.sampled_from(
        [
            ["month"],
            ["month", "year"],
            ["quarter", "decade"],
            ["month", "quarter", "year", "decade"],
        ]
    ),
)
def test_date_shape(values, levels) -> None:
    check_shape(date_rows(values, levels), values)


@given(
    st.lists(st.text("0123456789AB", min_size=1, max_size=7), min_size=1, max_size=30),
    st.integers(1, 3),
)
def test_mask_shape(values, step) -> None:
    check_shape(mask_rows(values, step=step), values)


@given(
    st.lists(
        st.from_regex(r"[12][0-9]{2}(0[1-9]|1[0-2])[0-9]{2}[0-9]{6}", fullmatch=True),
        min_size=1,
        max_size=20,
    )
)
def test_nir_shape(values) -> None:
    check_shape(nir_rows(values), values)


@given(
    st.lists(st.text("abcdefgh", min_size=1, max_size=3), min_size=1, max_size=25, unique=True),
    st.lists(st.integers(2, 4), max_size=3),
)
def test_ordered_shape(order, groups) -> None:
    rows = ordered_rows(order, groups, values=order[::2])
    check_shape(rows, order)
    assert [r[0] for r in rows] == order


@given(
    st.lists(
        st.text(st.characters(exclude_characters=";\n\r"), min_size=1, max_size=5),
        min_size=1,
        max_size=20,
    )
)
def test_flat_shape(values) -> None:
    check_shape(flat_rows(values), values)
