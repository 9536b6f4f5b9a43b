"""Linking compares identifiers after the engine's normalization of their kind: any two spellings
of one NIR, e-mail address or telephone number link, and two different ones never do, on every
engine alike."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.spec.engine.conftest import ENGINES, make_engine

from bulle.services.subject_links import _usable
from bulle.vault.pseudonymize import normalize

SEPARATORS = st.sampled_from(["", " ", ".", "-", "  "])


def spell(digits: str, seps: list[str]) -> str:
    return "".join(d + seps[i % len(seps)] for i, d in enumerate(digits)).strip(".-")


def norm(kind: str, values: list[str]) -> list[str]:
    """The engines' normalization of a one-column table of ``values`` (identical on each)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.parquet"
        pq.write_table(pa.table({"c": pa.array(values, pa.string())}), path)
        results = [make_engine(name).normalized_text(path, "c", kind) for name in ENGINES]
    assert all(r == results[0] for r in results)
    return results[0]


nirs = st.from_regex(r"[12][0-9]{12}", fullmatch=True)
phones = st.from_regex(r"[1-9][0-9]{8}", fullmatch=True)  # the national number after the leading 0


@settings(max_examples=60, deadline=None)
@given(
    nirs,
    nirs,
    st.lists(SEPARATORS, min_size=1, max_size=4),
    st.lists(SEPARATORS, min_size=1, max_size=4),
)
def test_nir_spellings(a, b, s1, s2):
    x, y, z = norm("nir", [spell(a, s1), spell(a, s2), spell(b, s1)])
    assert x == y == a and _usable("nir", x)
    assert (x == z) == (a == b)
    assert x == normalize(spell(a, s1), "nir")  # the same digits a pseudonym is made from


@settings(max_examples=60, deadline=None)
@given(
    phones,
    phones,
    st.sampled_from(["0", "+33", "0033", "+33 ", "33"]),
    st.lists(SEPARATORS, min_size=1, max_size=3),
)
def test_phone_spellings(a, b, prefix, seps):
    x, y, z = norm("phone", ["0" + a, prefix + spell(a, seps), "0" + b])
    assert x == y == "0" + a and _usable("phone", x)
    assert (x == z) == (a == b)
    assert x == normalize(prefix + spell(a, seps), "phone")


@settings(max_examples=60, deadline=None)
@given(
    st.from_regex(r"[a-z0-9.]{1,12}@[a-z]{1,8}\.fr", fullmatch=True),
    st.sampled_from(["", " ", "  "]),
)
def test_email_spellings(address, pad):
    x, y = norm("email", [address, pad + address.upper() + pad])
    assert x == y == address and x == normalize(pad + address.upper() + pad, "email")


@pytest.mark.spark
@settings(max_examples=10, deadline=None)  # one Spark job per example
@given(
    st.lists(
        st.one_of(st.none(), st.text(alphabet="0123456789 .-+@aBé\t\x0b\n", max_size=14)),
        min_size=1,
        max_size=12,
    ),
    st.sampled_from(["nir", "phone", "email", None]),
)
def test_spark_normalizes_as_the_reference(values, kind):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.parquet"
        pq.write_table(pa.table({"c": pa.array(values, pa.string())}), path)
        spark, reference = (
            make_engine(name).normalized_text(path, "c", kind) for name in ("spark", "reference")
        )
    assert spark == reference
