"""Property: every engine gives the reference engine's answer on any small table."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.spec.engine.conftest import ENGINES, make_engine

from bulle.storage.engine import ValueIn

TEXT = st.one_of(st.none(), st.text(alphabet="aZé🙂\"' ;,\n", max_size=3))
INTS = st.one_of(st.none(), st.integers(-3, 3))


@st.composite
def tables(draw) -> pa.Table:
    n = draw(st.integers(0, 12))
    return pa.table(
        {
            "t": pa.array(draw(st.lists(TEXT, min_size=n, max_size=n)), type=pa.string()),
            'x"y': pa.array(draw(st.lists(INTS, min_size=n, max_size=n)), type=pa.int64()),
        }
    )


def _canon(table: pa.Table) -> list[tuple]:
    return sorted((tuple(r.values()) for r in table.to_pylist()), key=repr)


def _answers(names: list[str], table: pa.Table, erase: frozenset[str]) -> list[tuple]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.parquet"
        pq.write_table(table, path)
        answers = []
        for name in names:
            eng = make_engine(name)
            kept = eng.write_without(path, Path(tmp) / f"{name}.parquet", [ValueIn("t", erase)])
            answers.append(
                (
                    _canon(eng.group_counts(path, ["t", 'x"y'], count="n", first_row="f")),
                    sorted(eng.value_counts(path, 'x"y')),
                    eng.first_appearance(path, "t"),
                    eng.read_text(path, ["t", 'x"y'], where_not=[ValueIn("t", erase)]).to_pylist(),
                    kept.rows,
                    pq.read_table(Path(tmp) / f"{name}.parquet").to_pylist(),
                )
            )
        return answers


ERASE = st.frozensets(st.text(alphabet="aZé", max_size=2), max_size=3)


@given(tables(), ERASE)
def test_engines_agree(table: pa.Table, erase: frozenset[str]) -> None:
    answers = _answers(ENGINES, table, erase)
    assert answers[0] == answers[1]


@pytest.mark.spark
@settings(max_examples=15)  # every example runs six Spark jobs
@given(tables(), ERASE)
def test_spark_agrees_with_the_reference(table: pa.Table, erase: frozenset[str]) -> None:
    reference, spark = _answers(["reference", "spark"], table, erase)
    assert spark == reference
