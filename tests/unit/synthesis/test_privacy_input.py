"""Bad input to the privacy report: a clear message naming the problem and where."""

from __future__ import annotations

import pytest

from bulle.errors import InputError
from bulle.synthesis.privacy import privacy_report


def run(train, control, synthetic, **kw):
    args = {"quasi_identifiers": None, "sensitive": None, "seed": 0, "n_attacks": 20, **kw}
    return privacy_report(train, control, synthetic, **args)


def test_unknown_column_names(people) -> None:
    t, c = people(50, 1), people(50, 2)
    with pytest.raises(InputError, match="quasi_identifiers: no column named 'zipcode'") as err:
        run(t, c, t, quasi_identifiers=["age", "zipcode"])
    assert err.value.where.column == "zipcode"
    with pytest.raises(InputError, match="sensitive: no column named 'hiv'"):
        run(t, c, t, sensitive=["hiv"])


def test_tables_must_share_columns(people) -> None:
    t, c = people(50, 1), people(50, 2)
    with pytest.raises(
        InputError, match=r"synthetic table's columns differ.*lacks 'income'.*unknown 'x'"
    ):
        run(t, c, t.drop(columns=["income"]).assign(x=1))
    with pytest.raises(InputError, match="control table has no rows"):
        run(t, c.iloc[:0], t)


def test_text_in_a_numeric_column(people) -> None:
    t, c = people(50, 1), people(50, 2)
    s = t.copy()
    s["age"] = s["age"].astype(object)
    s.loc[3, "age"] = "forty"
    with pytest.raises(
        InputError, match=r"column 'age' is numeric.*synthetic table holds 'forty'"
    ) as err:
        run(t, c, s)
    assert err.value.where.line == 4


@pytest.mark.parametrize("n", [0, -5, 2.5, True])
def test_number_of_attacks(people, n) -> None:
    t, c = people(50, 1), people(50, 2)
    with pytest.raises(InputError, match="number of attacks"):
        run(t, c, t, n_attacks=n)
