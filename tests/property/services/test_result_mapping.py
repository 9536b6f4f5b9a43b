"""Every typed result of the services maps to its plain fields, so interfaces take schemas from it.

For every ``Result`` class the services define, any instance's ``to_dict()`` is exactly
``dataclasses.asdict`` (field names as keys, no renames, no computed keys), and the class is a frozen
dataclass that does not override ``to_dict``.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bulle.services.results import Result, result_types

TYPES = result_types()
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.text(max_size=5), st.floats(allow_nan=False)
)


def strategy(tp: typing.Any) -> st.SearchStrategy:
    origin = typing.get_origin(tp)
    if isinstance(tp, type) and issubclass(tp, Result):
        hints = typing.get_type_hints(tp)
        return st.builds(tp, **{f.name: strategy(hints[f.name]) for f in dataclasses.fields(tp)})
    if tp is typing.Any:
        return SCALARS
    if tp is type(None):
        return st.none()
    if origin in (typing.Union, types.UnionType):
        return st.one_of([strategy(a) for a in typing.get_args(tp)])
    if origin is list:
        return st.lists(strategy(typing.get_args(tp)[0]), max_size=3)
    if origin is dict:
        key, value = typing.get_args(tp)
        return st.dictionaries(strategy(key), strategy(value), max_size=3)
    return st.from_type(tp)


def test_the_services_define_results():
    names = {t.__name__ for t in TYPES}
    assert {
        "ReleaseSummary",
        "FileRelease",
        "HierarchyBuilt",
        "TextDetection",
        "TextDeidentification",
        "AuditEntries",
        "PublicKeys",
    } <= names


@pytest.mark.parametrize("cls", TYPES, ids=lambda c: c.__name__)
def test_a_result_is_a_frozen_dataclass_with_the_plain_mapping(cls):
    assert dataclasses.is_dataclass(cls)
    assert cls.__dataclass_params__.frozen
    assert cls.to_dict is Result.to_dict


@pytest.mark.parametrize("cls", TYPES, ids=lambda c: c.__name__)
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_to_dict_is_the_field_mapping(cls, data):
    obj = data.draw(strategy(cls))
    d = obj.to_dict()
    assert d == dataclasses.asdict(obj)
    assert list(d) == [f.name for f in dataclasses.fields(cls)]
    json.dumps(d, default=str)  # what the CLI's --json prints
