"""Importing real files, and every kind of bad input leaving the workspace unchanged."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from bulle.errors import InputError, NotFoundError
from bulle.services.vault import import_table, list_datasets, profile_dataset, resolve


def test_import_adult_types_and_rows(ws, arx_data):
    v = import_table(ws, arx_data / "adult.csv", "adult")
    assert v.ref == "adult@1"
    assert v.row_count == 30162
    types = {c["name"]: c["type"] for c in v.schema}
    assert list(types) == [
        "sex",
        "age",
        "race",
        "marital-status",
        "education",
        "native-country",
        "workclass",
        "occupation",
        "salary-class",
    ]
    assert types["age"] == "BIGINT"
    assert types["sex"] == "VARCHAR"
    assert pq.read_metadata(ws.path_of(v)).num_rows == 30162
    assert v.content_hash.startswith("sha256:")


def test_import_fars_types_and_rows(ws, arx_data):
    v = import_table(ws, arx_data / "fars_int.csv", "fars")
    assert v.row_count == 100937
    assert [c["type"] for c in v.schema] == ["BIGINT"] * 8


def test_reimport_creates_new_version_and_latest_resolves(ws, tmp_path):
    src = tmp_path / "t.csv"
    src.write_text("a;b\n1;x\n2;y\n")
    v1 = import_table(ws, src, "t")
    src.write_text("a;b\n1;x\n2;y\n3;z\n")
    v2 = import_table(ws, src, "t")
    assert (v1.number, v2.number) == (1, 2)
    assert resolve(ws, "t").number == 2
    assert resolve(ws, "t@1").row_count == 2
    assert ws.path_of(v1).exists()  # the old version is untouched


@pytest.mark.parametrize("encoding_bytes", [b"\xef\xbb\xbf", b""], ids=["bom", "no-bom"])
def test_utf8_with_and_without_bom(ws, tmp_path, encoding_bytes):
    src = tmp_path / "t.csv"
    src.write_bytes(encoding_bytes + "nom,âge\nDupont,42\nLefèvre,37\n".encode())
    v = import_table(ws, src, "t")
    assert [c["name"] for c in v.schema] == ["nom", "âge"]
    assert ws.engine.read_table(ws.path_of(v)).column("nom").to_pylist() == ["Dupont", "Lefèvre"]


def test_latin1_with_encoding_option(ws, tmp_path):
    src = tmp_path / "t.csv"
    src.write_bytes("nom;ville\nLefèvre;Orléans\n".encode("latin-1"))
    with pytest.raises(InputError) as err:
        import_table(ws, src, "t")
    assert err.value.where.line == 2
    v = import_table(ws, src, "t", encoding="latin-1")
    assert ws.engine.read_table(ws.path_of(v)).column("ville").to_pylist() == ["Orléans"]


def test_cp1252_is_transcoded(ws, tmp_path):
    src = tmp_path / "t.csv"
    src.write_bytes("nom;note\nŒuvre;“ok”\n".encode("cp1252"))
    v = import_table(ws, src, "t", encoding="cp1252")
    assert ws.engine.read_table(ws.path_of(v)).column("note").to_pylist() == ["“ok”"]


def test_parquet_and_jsonl(ws, tmp_path):
    lines = [{"id": i, "nom": f"n{i}"} for i in range(5)]
    jl = tmp_path / "t.jsonl"
    jl.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    v = import_table(ws, jl, "j")
    assert v.row_count == 5
    p = import_table(ws, ws.path_of(v), "p")
    assert p.row_count == 5 and [c["name"] for c in p.schema] == ["id", "nom"]


def test_dataframe_and_arrow(ws):
    import pandas as pd
    import pyarrow as pa

    v = import_table(ws, pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}), "df")
    w = import_table(ws, pa.table({"a": [1]}), "arrow")
    assert (v.row_count, w.row_count) == (2, 1)


def _bad_inputs(tmp_path):
    d = tmp_path / "bad"
    d.mkdir()
    (d / "empty.csv").write_bytes(b"")
    (d / "header.csv").write_text("a,b,c\n")
    (d / "ragged.csv").write_text("a,b,c\n1,2,3\n4,5\n6,7,8\n")
    (d / "utf8.csv").write_bytes(b"a,b\n1,ok\n2,caf\xe9\n")
    (d / "dup.csv").write_text("a,b,a\n1,2,3\n")
    (d / "zero.parquet").write_bytes(b"")
    (d / "adir.csv").mkdir()
    (d / "bad.jsonl").write_text('{"a": 1}\n{"a": 2,\n')
    return {
        "missing file": (d / "nope.csv", "no such file", None),
        "empty file": (d / "empty.csv", "empty file", None),
        "header only": (d / "header.csv", "header only", None),
        "ragged rows": (d / "ragged.csv", "expected 3 fields, found 2", 3),
        "invalid utf-8": (d / "utf8.csv", "invalid in utf-8", 3),
        "duplicate columns": (d / "dup.csv", "duplicate column name 'a'", None),
        "0-byte parquet": (d / "zero.parquet", "not a Parquet file", None),
        "directory": (d / "adir.csv", "is a directory", None),
        "malformed jsonl": (d / "bad.jsonl", "malformed JSON", 2),
    }


@pytest.mark.parametrize(
    "case",
    [
        "missing file",
        "empty file",
        "header only",
        "ragged rows",
        "invalid utf-8",
        "duplicate columns",
        "0-byte parquet",
        "directory",
        "malformed jsonl",
    ],
)
def test_bad_input_clear_error_and_catalog_unchanged(ws, tmp_path, arx_data, case, snapshot):
    import_table(ws, arx_data / "adult_subset.csv", "adult")
    before = snapshot(ws)
    path, message, line = _bad_inputs(tmp_path)[case]
    with pytest.raises(InputError) as err:
        import_table(ws, path, "adult")
    text = str(err.value)
    assert message in text
    assert str(path) in text
    if line is not None:
        assert err.value.where.line == line or any(p.where.line == line for p in err.value.problems)
    assert snapshot(ws) == before
    assert not any(p for p in ws.tmp_dir.iterdir() if p.suffix == ".parquet")


def test_unknown_dataset(ws):
    with pytest.raises(NotFoundError, match="unknown dataset 'nope'"):
        profile_dataset(ws, "nope")


def test_listing(ws, tmp_path):
    src = tmp_path / "t.csv"
    src.write_text("a\n1\n")
    import_table(ws, src, "t")
    assert list_datasets(ws)[0]["versions"][0]["ref"] == "t@1"
