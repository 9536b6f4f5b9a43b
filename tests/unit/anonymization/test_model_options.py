"""`bulle anonymize`'s privacy-model options are read from the models' parameter declarations,
with the spellings of docs/anonymization.md unchanged (the reading is ``bulle.domain.model_options``'s,
shared by the CLI and the Python API; a request's models become the specs compared here)."""

from __future__ import annotations

import pytest

from bulle.anonymization.models import MODELS
from bulle.anonymization.spec import ModelSpec
from bulle.domain.model_options import option_groups
from bulle.domain.model_options import parse_models as parse_requests
from bulle.errors import InputError


def parse_models(values, sensitive):
    """The specs a release is built with (as ``services.anonymization_file.build_spec`` makes them)."""
    return [ModelSpec(m.name, m.column, dict(m.params)) for m in parse_requests(values, sensitive)]


@pytest.mark.parametrize(
    ("values", "sensitive", "want"),
    [
        ({"k": 5}, [], [ModelSpec("k-anonymity", None, {"k": 5})]),
        (
            {"l_diversity": ("distinct:3",)},
            ["disease"],
            [ModelSpec("distinct-l-diversity", "disease", {"l": 3.0})],
        ),
        (
            {"l_diversity": ("entropy:2.5",)},
            ["disease"],
            [ModelSpec("entropy-l-diversity", "disease", {"l": 2.5, "estimator": "shannon"})],
        ),
        (
            {"l_diversity": ("d=Entropy:2:GRASSBERGER",)},
            ["d", "e"],
            [ModelSpec("entropy-l-diversity", "d", {"l": 2.0, "estimator": "grassberger"})],
        ),
        (
            {"l_diversity": ("recursive:0.5:3",)},
            ["d"],
            [ModelSpec("recursive-cl-diversity", "d", {"c": 0.5, "l": 3.0})],
        ),
        (
            {"t_closeness": ("d=equal:0.2", "e=hierarchical:0.3")},
            ["d", "e"],
            [
                ModelSpec("t-closeness-equal", "d", {"t": 0.2}),
                ModelSpec("t-closeness-hierarchical", "e", {"t": 0.3}),
            ],
        ),
        (
            {"t_closeness": ("ordered:0.2",)},
            ["d"],
            [ModelSpec("t-closeness-ordered", "d", {"t": 0.2})],
        ),
        (
            {"t_closeness": ("ordered:0.2:numeric",)},
            ["d"],
            [ModelSpec("t-closeness-ordered", "d", {"t": 0.2, "order": "numeric"})],
        ),
        (
            {"delta_presence": "0:0.5"},
            [],
            [ModelSpec("delta-presence", None, {"dmin": 0.0, "dmax": 0.5})],
        ),
        (
            {"k": 2, "l_diversity": ("distinct:2",), "delta_presence": "0.1:0.9"},
            ["d"],
            [
                ModelSpec("k-anonymity", None, {"k": 2}),
                ModelSpec("distinct-l-diversity", "d", {"l": 2.0}),
                ModelSpec("delta-presence", None, {"dmin": 0.1, "dmax": 0.9}),
            ],
        ),
    ],
)
def test_documented_spellings_give_the_same_specs(values, sensitive, want):
    assert parse_models({"l_diversity": (), "t_closeness": (), **values}, sensitive) == want


@pytest.mark.parametrize(
    ("values", "sensitive", "message"),
    [
        (
            {"l_diversity": ("distinct",)},
            ["d"],
            "cannot read 'distinct': use distinct:L, entropy:L[:shannon|grassberger] or recursive:C:L",
        ),
        ({"l_diversity": ("gini:2",)}, ["d"], "cannot read 'gini:2'"),
        ({"t_closeness": ("equal:x",)}, ["d"], "t must be a number, got 'x'"),
        (
            {"t_closeness": ("equal:0.2",)},
            [],
            "--t-closeness needs a sensitive column: add --sensitive COLUMN",
        ),
        (
            {"t_closeness": ("equal:0.2",)},
            ["d", "e"],
            "with several sensitive columns, prefix --t-closeness",
        ),
        ({"delta_presence": "0.5"}, [], "expected DMIN:DMAX, got '0.5'"),
    ],
)
def test_bad_values_are_named(values, sensitive, message):
    with pytest.raises(InputError) as err:
        parse_models(values, sensitive)
    assert message in err.value.message


def test_every_model_declares_its_parameters():
    groups = option_groups()
    assert list(groups) == ["--k", "--l-diversity", "--t-closeness", "--delta-presence"]
    for name in MODELS.names():
        cls = MODELS.get(name)
        assert cls.parameters, name
        assert (cls.variant is not None) == (len(groups[cls.option]) > 1), name


def test_declared_ranges_are_checked():
    k = MODELS.get("k-anonymity")
    assert k.param_problems({"k": 0}, None, None) == ["parameter k must be >= 1, got 0"]
    assert k.param_problems({"k": 2.5}, None, None) == ["parameter k must be an integer, got 2.5"]
    ordered = MODELS.get("t-closeness-ordered")
    assert ordered.param_problems({"t": 0.1, "order": "random"}, None, None) == [
        "order must be one of lexical, numeric, got 'random'"
    ]
    entropy = MODELS.get("entropy-l-diversity")
    assert entropy.param_problems({"l": 2, "estimator": "x"}, None, None) == [
        "entropy estimator must be one of shannon, grassberger, got 'x'"
    ]
