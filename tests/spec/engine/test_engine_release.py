"""The release an engine writes: generalization maps, stars or removal, every column, row order."""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from tests.spec.engine.conftest import requires
from tests.spec.engine.tables import HOSTILE, UNICODE, people, write

from bulle.storage import engine as caps
from bulle.storage.engine import Release

MAPS = {
    HOSTILE: {"Zoé": "Z*", "zoé": "Z*", "": "?", "🙂": "?"},  # NULL is keyed ""
    UNICODE: {"34": "30-39", "51": "50-59", "": "?"},
}


@requires(caps.RELEASE)
@pytest.mark.parametrize("remove", [False, True])
def test_release_to_parquet(engine, tmp_path: Path, remove: bool) -> None:
    src = write(people(), tmp_path / "t.parquet")
    dest = tmp_path / "r.parquet"
    engine.write_release(
        src,
        dest,
        Release(
            maps=MAPS,
            suppressed_classes=frozenset({("?", "?"), ("?", "50-59")}),
            remove_suppressed=remove,
        ),
    )
    got = pq.read_table(dest)
    assert got.column_names == people().column_names
    rows = [(r["id"], r[HOSTILE], r[UNICODE], r["score"]) for r in got.to_pylist()]
    expected = [
        ("p1", "Z*", "30-39", 1.5),
        ("p2", "Z*", "30-39", 2.0),
        ("p3", "*", "*", None),
        ("p4", "Z*", "50-59", 0.1),
        (None, "?", "30-39", 1.5),
        ("p6", "*", "*", -3.25),
    ]
    assert rows == ([r for r in expected if r[1] != "*"] if remove else expected)
    assert not list(tmp_path.glob(".*tmp"))


@requires(caps.RELEASE, caps.DIRECT_CSV)
@pytest.mark.parametrize("keep_formulas", [False, True])
def test_release_of_a_csv_to_csv(engine, tmp_path: Path, keep_formulas: bool) -> None:
    src = tmp_path / "d.csv"
    src.write_text("age;city;note\n34;Lyon;=cmd|x\n51;Nice;ok\n34;Lyon;\n", encoding="utf-8")
    dest = tmp_path / "r.csv"
    engine.write_release(
        src,
        dest,
        Release(
            maps={
                "age": {"34": "30-39", "51": "50-59"},
                "city": {"Lyon": "Rhône", "Nice": "Alpes"},
            },
            suppressed_classes=frozenset({("50-59", "Alpes")}),
            keep_formulas=keep_formulas,
            delimiter=";",
        ),
    )
    with open(dest, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f, delimiter=";"))
    formula = "=cmd|x" if keep_formulas else "'=cmd|x"
    assert rows == [
        ["age", "city", "note"],
        ["30-39", "Rhône", formula],
        ["*", "*", "ok"],
        ["30-39", "Rhône", ""],
    ]


@requires(caps.RELEASE)
def test_release_of_an_empty_table(engine, tmp_path: Path) -> None:
    src = write(people().slice(0, 0), tmp_path / "t.parquet")
    engine.write_release(src, tmp_path / "r.parquet", Release(maps=MAPS))
    got = pq.read_table(tmp_path / "r.parquet")
    assert got.num_rows == 0 and got.column_names == people().column_names
