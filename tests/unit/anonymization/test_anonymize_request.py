"""An anonymization request reports every bad option at once; one problem reads as it always did."""

from __future__ import annotations

import pytest

from bulle.domain.anonymization_requests import AnonymizeRequest, HierarchyRecipe, ModelRequest
from bulle.errors import InputError, ValidationError


def test_every_problem_at_once():
    with pytest.raises(ValidationError) as err:
        AnonymizeRequest.from_options(
            hierarchy=["age", "ville=v.csv", "ville=w.csv"],
            sensitive=["a", "b"],
            l_diversity=["distinct:2"],
            t_closeness=["a=equal:x"],
            delta_presence="0.1",
            weight=["age=heavy"],
        )
    messages = [p.message for p in err.value.problems]
    assert messages == [
        "expected COLUMN=FILE, got 'age'",
        "two hierarchies for column 'ville'",
        "with several sensitive columns, prefix --l-diversity with COLUMN= (e.g. --l-diversity a=distinct:2)",
        "t must be a number, got 'x'",
        "expected DMIN:DMAX, got '0.1'",
        "weight of age must be a number, got 'heavy'",
    ]
    assert [p.where.field for p in err.value.problems] == [
        "--hierarchy",
        "--hierarchy",
        "--l-diversity",
        "--t-closeness",
        "--delta-presence",
        "--weight",
    ]


def test_one_problem_is_the_input_error_it_was():
    with pytest.raises(InputError) as err:
        AnonymizeRequest.from_options(hierarchy=[])
    assert type(err.value) is InputError
    assert err.value.message == "at least one --hierarchy COLUMN=FILE is required"
    assert err.value.where.field == "--hierarchy"


def test_models_and_recipes_are_plain_values():
    r = AnonymizeRequest.from_options(
        hierarchy=["age=a.csv"],
        recipes={"ville": HierarchyRecipe("flat")},
        sensitive=["diag"],
        k=3,
        l_diversity=["entropy:2"],
        delta_presence="0.1:0.9",
        subset="s.csv",
    )
    assert r.hierarchy_columns == ("age", "ville")
    assert r.models == (
        ModelRequest("k-anonymity", None, (("k", 3),)),
        ModelRequest("entropy-l-diversity", "diag", (("l", 2.0), ("estimator", "shannon"))),
        ModelRequest("delta-presence", None, (("dmin", 0.1), ("dmax", 0.9))),
    )
    with pytest.raises(InputError, match="unknown hierarchy kind 'spiral'"):
        HierarchyRecipe("spiral")


def test_models_are_read_from_the_registered_models_options():
    r = AnonymizeRequest.from_options(
        hierarchy=["age=a.csv"],
        sensitive=["d", "e"],
        t_closeness=("d=ordered:0.2:numeric", "e=hierarchical:0.3"),
        l_diversity=(),
        k=None,
    )
    assert r.models == (
        ModelRequest("t-closeness-ordered", "d", (("t", 0.2), ("order", "numeric"))),
        ModelRequest("t-closeness-hierarchical", "e", (("t", 0.3),)),
    )
    with pytest.raises(InputError) as err:
        AnonymizeRequest.from_options(hierarchy=["age=a.csv"], l_diversty=["distinct:2"])
    assert err.value.message.startswith("no privacy model is given with 'l_diversty'; known: ")
    assert "l_diversity" in err.value.message


def test_a_subset_without_delta_presence_is_named_once():
    with pytest.raises(InputError, match="--subset is only used with --delta-presence"):
        AnonymizeRequest.from_options(hierarchy=["age=a.csv"], subset="s.csv")
    with pytest.raises(InputError) as err:  # a malformed --delta-presence is the one problem
        AnonymizeRequest.from_options(hierarchy=["age=a.csv"], subset="s.csv", delta_presence="0.5")
    assert err.value.message == "expected DMIN:DMAX, got '0.5'"
