"""Each rule on small tables whose verdicts are worked out by hand, and the registry."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bulle.disclosure.rules import DISCLOSURE_RULES
from bulle.disclosure.status import OutputStatus, checks_status, run_checks
from bulle.disclosure.tables import crosstab, output_other, output_regression, pivot_table
from bulle.settings import defaults


def verdicts(ev, released=(), **overrides):
    p = dict(defaults())
    p.update({f"disclosure.{k}": v for k, v in overrides.items()})
    return {r.rule: r for r in run_checks(ev, p, released)}


def frame(groups: dict[str, list[float]]) -> pd.DataFrame:
    rows = [(g, "all", v) for g, vals in groups.items() for v in vals]
    return pd.DataFrame(rows, columns=["g", "h", "v"])


def test_registry_holds_the_ten_rules_under_acros_names() -> None:
    assert DISCLOSURE_RULES.names() == [
        "threshold", "zeros", "missing", "nk-rule", "p-ratio", "dof", "min-max", "quantile",
        "differencing", "needs-person",
    ]  # fmt: skip


def test_threshold_and_zeros_on_counts() -> None:
    df = pd.DataFrame({"a": ["x"] * 12 + ["y"] * 3, "b": ["p"] * 12 + ["q"] * 3})
    _, ev = crosstab(df.a, df.b)  # x/p 12, x/q 0, y/p 0, y/q 3
    v = verdicts(ev)
    assert [c["row_label"] + c["col_label"] for c in v["threshold"].cells] == [
        ["x", "q"], ["y", "p"], ["y", "q"]
    ]  # fmt: skip
    assert len(v["zeros"].flagged) == 2 and not v["zeros"].passed
    assert verdicts(ev, zeros_disclosive=0)["zeros"].passed
    assert verdicts(ev, threshold=3)["threshold"].flagged.tolist() == [1, 2]
    assert checks_status(v.values()) is OutputStatus.BLOCKED


def test_dominance_rules() -> None:
    df = frame({"even": [10.0] * 12, "one_big": [1000.0] + [1.0] * 11, "two": [5.0, 5.0]})
    _, ev = pivot_table(df, values="v", index="g", columns="h", aggfunc="sum")
    v = verdicts(ev)
    labels = [c["row_label"][0] for c in v["nk-rule"].cells]
    assert labels == ["one_big", "two"]  # 1001/1011 >= 0.9; two contributors make 100%
    assert [c["row_label"][0] for c in v["p-ratio"].cells] == ["one_big", "two"]
    # p-ratio: even's remainder is 100 / 10 = 10 >= 0.1; one_big's is 10 / 1000 = 0.01
    assert verdicts(ev, p_ratio=0.005)["p-ratio"].flagged.size == 1  # only "two"
    df.loc[0, "v"] = -3.0
    _, neg = pivot_table(df, values="v", index="g", columns="h", aggfunc="sum")
    assert verdicts(neg)["nk-rule"].outcome == "review"


def test_dof_for_models_and_spreads() -> None:
    assert not verdicts(output_regression("m", 9))["dof"].passed
    assert verdicts(output_regression("m", 10))["dof"].passed
    df = frame({"a": list(range(11)), "b": [1.0, 2.0]})
    _, ev = pivot_table(df, values="v", index="g", columns="h", aggfunc="std")
    assert [c["row_label"][0] for c in verdicts(ev)["dof"].cells] == ["b"]
    assert "threshold" not in verdicts(ev)  # as in ACRO: spreads are judged by dof


def test_min_max_and_quantile() -> None:
    df = frame({"shared": [5.0] * 10 + [1.0] * 5, "single": [9.0] + [1.0] * 20})
    _, ev = pivot_table(df, values="v", index="g", columns="h", aggfunc="max")
    assert [c["row_label"][0] for c in verdicts(ev)["min-max"].cells] == ["single"]
    df = frame({"wide": list(range(21)), "narrow": list(range(15))})
    _, ev = pivot_table(df, values="v", index="g", columns="h", aggfunc="median")
    assert [c["row_label"][0] for c in verdicts(ev)["quantile"].cells] == ["narrow"]


def test_differencing_against_a_released_table() -> None:
    base = pd.DataFrame({"a": ["x"] * 40 + ["y"] * 30, "b": ["p"] * 20 + ["q"] * 50})
    _, released = crosstab(base.a, base.b)
    more = pd.concat([base, pd.DataFrame({"a": ["x"] * 3, "b": ["p"] * 3})])
    _, ev = crosstab(more.a, more.b)
    v = verdicts(ev, (released,))
    assert [c["row_label"] + c["col_label"] for c in v["differencing"].cells] == [["x", "p"]]
    other = crosstab(more.b, more.a)[1]  # other variables: nothing to compare
    assert verdicts(other, (released,))["differencing"].passed
    assert verdicts(ev)["differencing"].passed


def test_figures_and_files_need_a_person() -> None:
    assert verdicts(output_other("f", "file"))["needs-person"].outcome == "review"
    assert verdicts(output_other("f", "figure"))["needs-person"].outcome == "review"
    df = pd.DataFrame({"a": ["x"] * 20, "b": ["p"] * 20})
    fig = output_other("f", "figure", crosstab(df.a, df.b)[1])
    v = verdicts(fig)
    assert v["needs-person"].passed and v["threshold"].passed
    assert checks_status(v.values()) is OutputStatus.NEEDS_REVIEW


def test_missing_asks_a_person_when_turned_on() -> None:
    df = frame({"a": [1.0, np.nan] * 10, "b": [2.0] * 20})
    _, ev = pivot_table(df, values="v", index="g", columns="h", aggfunc="mean")
    assert verdicts(ev)["missing"].passed  # off by default, as in ACRO
    on = verdicts(ev, check_missing=1)["missing"]
    assert on.outcome == "review" and [c["row_label"][0] for c in on.cells] == ["a"]
    assert on.to_dict()["passed"] is False


def test_rules_are_a_registry_with_their_own_entry_point_group() -> None:
    from bulle.registry import Registry

    assert isinstance(DISCLOSURE_RULES, Registry)
    assert DISCLOSURE_RULES.group == "bulle.disclosure_rules"
    for name, rule in DISCLOSURE_RULES.items():
        assert rule.name == name and rule.source, name


def test_a_count_of_values_is_judged_on_the_values_shown_too() -> None:
    """pivot_table(aggfunc="count") shows the values present: 12 records but 3 values is a 3."""
    df = frame({"few": [1.0, 2.0, 3.0] + [np.nan] * 9, "none": [np.nan] * 12, "many": [1.0] * 12})
    table, ev = pivot_table(df, values="v", index="g", columns="h", aggfunc="count")
    assert table.to_dict()["all"] == {"few": 3, "many": 12, "none": 0}
    v = verdicts(ev)
    assert [c["row_label"][0] for c in v["threshold"].cells] == ["few"]  # ACRO: none
    assert [c["row_label"][0] for c in v["zeros"].cells] == ["none"]  # shown 0, 12 records


def test_a_mean_of_few_values_fails_threshold_whatever_the_records() -> None:
    """12 records but 3 incomes: the mean is of 3 people (ACRO counts the 12 records)."""
    df = frame(
        {"few": [10.0, 20.0, 30.0] + [np.nan] * 9, "many": [5.0] * 12, "none": [np.nan] * 12}
    )
    _, ev = pivot_table(df, values="v", index="g", columns="h", aggfunc="mean")
    assert [c["row_label"][0] for c in verdicts(ev)["threshold"].cells] == ["few"]
