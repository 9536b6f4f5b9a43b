"""The typed row operations give identical results on every engine (edge values included)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from tests.spec.engine.conftest import ENGINES, make_engine, requires
from tests.spec.engine.tables import HOSTILE, UNICODE, empty, people, write

from bulle.storage import engine as caps
from bulle.storage.engine import ValueIn


def _sorted_rows(table: pa.Table) -> list[tuple]:
    return sorted((tuple(r.values()) for r in table.to_pylist()), key=repr)


def test_capabilities_are_declared_by_name(engine) -> None:
    assert engine.capabilities >= caps.CORE
    assert engine.capabilities <= {
        v for k, v in vars(caps).items() if k.isupper() and isinstance(v, str)
    }


def test_only_duckdb_runs_analysts_sql() -> None:
    assert caps.ANALYST_SQL in make_engine("duckdb").capabilities
    assert caps.ANALYST_SQL not in make_engine("reference").capabilities


def test_an_undeclared_capability_is_refused_by_name(tmp_path: Path) -> None:
    ref = make_engine("reference")
    with pytest.raises(caps.CapabilityError, match="profile"):
        ref.profile(write(people(), tmp_path / "t.parquet"))


def test_schema_names_and_types(engine, tmp_path: Path) -> None:
    schema = engine.schema(write(people(), tmp_path / "t.parquet"))
    assert schema == [
        {"name": "id", "type": "VARCHAR"},
        {"name": UNICODE, "type": "BIGINT"},
        {"name": HOSTILE, "type": "VARCHAR"},
        {"name": "score", "type": "DOUBLE"},
    ]


def test_read_text_casts_and_keeps_row_order_and_nulls(engine, tmp_path: Path) -> None:
    got = engine.read_text(write(people(), tmp_path / "t.parquet"), [HOSTILE, UNICODE, "score"])
    assert got.column_names == [HOSTILE, UNICODE, "score"]
    assert got.column(HOSTILE).to_pylist() == ["Zoé", "zoé", None, "Zoé", "", "🙂"]
    assert got.column(UNICODE).to_pylist() == ["34", "34", None, "51", "34", "51"]
    assert got.column("score").to_pylist() == ["1.5", "2.0", None, "0.1", "1.5", "-3.25"]


def test_read_text_without_matching_rows(engine, tmp_path: Path) -> None:
    path = write(people(), tmp_path / "t.parquet")
    got = engine.read_text(
        path,
        ["id"],
        where_not=[ValueIn("id", frozenset({"p1", "p4"})), ValueIn(UNICODE, frozenset({"51"}))],
    )
    assert got.column("id").to_pylist() == ["p2", "p3", None]  # a NULL id matches no set


@pytest.mark.parametrize("column", ["id", UNICODE, HOSTILE])
def test_value_counts(engine, tmp_path: Path, column: str) -> None:
    path = write(people(), tmp_path / "t.parquet")
    expected = {
        "id": {"p1": 1, "p2": 1, "p3": 1, "p4": 1, "p6": 1},
        UNICODE: {"34": 3, "51": 2},
        HOSTILE: {"Zoé": 2, "zoé": 1, "": 1, "🙂": 1},
    }[column]
    assert dict(engine.value_counts(path, column)) == expected
    assert engine.value_counts(write(empty(), tmp_path / "e.parquet"), column) == []


def test_write_projection_text_keep_and_drop(engine, tmp_path: Path) -> None:
    path = write(people(), tmp_path / "t.parquet")
    stats = engine.write_projection(path, tmp_path / "p.parquet", text=[UNICODE], keep=["score"])
    assert stats.rows == 6
    assert stats.schema == [
        {"name": UNICODE, "type": "VARCHAR"},
        {"name": "score", "type": "DOUBLE"},
    ]
    assert engine.read_table(tmp_path / "p.parquet").column(UNICODE).to_pylist()[:3] == [
        "34",
        "34",
        None,
    ]
    dropped = engine.write_projection(path, tmp_path / "d.parquet", drop=[HOSTILE])
    assert [c["name"] for c in dropped.schema] == ["id", UNICODE, "score"]
    assert (
        engine.read_table(tmp_path / "d.parquet").to_pylist()
        == people().drop_columns([HOSTILE]).to_pylist()
    )


def test_write_without_removes_exactly_the_matching_rows(engine, tmp_path: Path) -> None:
    path = write(people(), tmp_path / "t.parquet")
    stats = engine.write_without(
        path, tmp_path / "w.parquet", [ValueIn(HOSTILE, frozenset({"Zoé", "🙂"}))]
    )
    assert stats.rows == 3
    assert engine.read_table(tmp_path / "w.parquet").column("id").to_pylist() == ["p2", "p3", None]
    assert engine.write_without(path, tmp_path / "n.parquet", []).rows == 6
    assert (
        engine.write_without(
            write(empty(), tmp_path / "e.parquet"),
            tmp_path / "e2.parquet",
            [ValueIn("id", frozenset({"p1"}))],
        ).rows
        == 0
    )


@requires(caps.FREQUENCY_TABLE)
def test_group_counts_keep_nulls_as_a_value(engine, tmp_path: Path) -> None:
    path = write(people(), tmp_path / "t.parquet")
    got = engine.group_counts(path, [UNICODE, HOSTILE], count="n", first_row="first")
    assert got.column_names == [UNICODE, HOSTILE, "n", "first"]
    assert _sorted_rows(got) == sorted(
        [
            (34, "Zoé", 1, 0),
            (34, "zoé", 1, 1),
            (None, None, 1, 2),
            (51, "Zoé", 1, 3),
            (34, "", 1, 4),
            (51, "🙂", 1, 5),
        ],
        key=repr,
    )
    by_age = engine.group_counts(path, [UNICODE], count="n")
    assert by_age.schema.field("n").type == pa.int64()
    assert _sorted_rows(by_age) == sorted([(34, 3), (51, 2), (None, 1)], key=repr)
    assert (
        engine.group_counts(write(empty(), tmp_path / "e.parquet"), [UNICODE], count="n").num_rows
        == 0
    )


@requires(caps.FREQUENCY_TABLE, caps.DIRECT_CSV)
def test_group_counts_read_a_csv_as_text(engine, tmp_path: Path) -> None:
    src = tmp_path / "d.csv"
    src.write_text(
        f'age;"{HOSTILE.replace(chr(34), chr(34) * 2)}"\n007;a\n7;a\n007;b\n', encoding="utf-8"
    )
    got = engine.group_counts(src, ["age", HOSTILE], count="n", first_row="first")
    assert _sorted_rows(got) == [("007", "a", 1, 0), ("007", "b", 1, 2), ("7", "a", 1, 1)]
    assert engine.source_columns(src) == ["age", HOSTILE]
    assert engine.first_appearance(src, "age") == ["007", "7"]


def test_first_appearance_in_row_order_with_null_as_empty(engine, tmp_path: Path) -> None:
    path = write(people(), tmp_path / "t.parquet")
    assert engine.first_appearance(path, HOSTILE) == ["Zoé", "zoé", "", "🙂"]
    assert engine.first_appearance(path, "id") == ["p1", "p2", "p3", "p4", "", "p6"]


@requires(caps.PSEUDONYMIZE)
def test_pseudonymize_gives_the_same_tokens_on_every_engine(tmp_path: Path) -> None:
    from bulle.vault.pseudonymize import Tokenizer

    path = write(people(), tmp_path / "t.parquet")
    results = []
    for name in ENGINES:
        eng = make_engine(name)
        tok = Tokenizer(b"k" * 32, "key1", "text", False)
        stats = eng.pseudonymize(
            path, tmp_path / f"{name}.parquet", {"id": tok.arrow_udf(), HOSTILE: tok.arrow_udf()}
        )
        assert stats.rows == 6
        table = eng.read_table(tmp_path / f"{name}.parquet")
        assert table.column_names == people().column_names
        assert table.column(UNICODE).to_pylist() == people().column(UNICODE).to_pylist()
        results.append(table.to_pylist())
    assert results[0] == results[1]
    ids = [r["id"] for r in results[0]]
    assert None not in ids[:4] and len(set(ids[:4])) == 4 and "p1" not in ids


def test_row_count_of_what_the_engine_wrote(engine, tmp_path: Path) -> None:
    """A file for DuckDB and the reference, a directory of parts for Spark: counted alike."""
    for i, table in enumerate((people(), empty())):
        dest = tmp_path / f"w{i}.parquet"
        stats = engine.write_table(table, dest)
        assert engine.row_count(dest) == stats.rows == table.num_rows
