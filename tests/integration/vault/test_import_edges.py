"""Inputs at the edges of the import formats: each imports faithfully or is refused, clearly.

Every refusal must name the problem and where, and leave the catalog and data/ unchanged.
"""

from __future__ import annotations

import gzip
import json
import unicodedata

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bulle.errors import InputError, ValidationError
from bulle.services.vault import import_table

NFC = unicodedata.normalize("NFC", "é")
NFD = unicodedata.normalize("NFD", "é")


def _refused(ws, snapshot, path, *texts, **kwargs) -> InputError:
    """Import must fail with a user error naming the file and every text; nothing may change."""
    before = snapshot(ws)
    with pytest.raises(InputError) as err:
        import_table(ws, path, "t", **kwargs)
    message = str(err.value) + " ".join(str(p) for p in getattr(err.value, "problems", []))
    for text in texts:
        assert text in message
    assert snapshot(ws) == before
    assert not any(p.suffix == ".parquet" for p in ws.tmp_dir.iterdir())
    return err.value


def _rows(ws, v, column):
    return ws.engine.read_table(ws.path_of(v)).column(column).to_pylist()


# -- CSV -------------------------------------------------------------------------------------


def test_field_longer_than_python_csv_limit_imports(ws, tmp_path):
    note = "compte rendu " * 20_000  # 260,000 characters: a long clinical note is legal CSV
    src = tmp_path / "notes.csv"
    src.write_text(f'id,note\n1,"{note}"\n2,court\n')
    v = import_table(ws, src, "t")
    assert _rows(ws, v, "note") == [note, "court"]


def test_long_field_in_a_ragged_file_still_locates_the_line(ws, tmp_path, snapshot):
    src = tmp_path / "notes.csv"
    src.write_text("id,note\n1," + "x" * 200_000 + "\n2,b,c\n")
    err = _refused(ws, snapshot, src, "expected 2 fields, found 3")
    assert err.where.line == 3


@pytest.mark.parametrize("delimiter", ["::", "\n", "\r", '"', ""])
def test_bad_delimiter_is_refused_naming_the_option(ws, tmp_path, snapshot, delimiter):
    src = tmp_path / "t.csv"
    src.write_text("a::b\n1::2\n")
    err = _refused(ws, snapshot, src, "--delimiter", delimiter=delimiter)
    assert err.where.field == "--delimiter"


@pytest.mark.parametrize("codec, hint", [("utf-16-le", "utf-16-le"), ("utf-16-be", "utf-16-be")])
def test_utf16_without_bom_is_refused_with_the_encoding_to_use(ws, tmp_path, snapshot, codec, hint):
    src = tmp_path / "t.csv"
    src.write_bytes("nom,age\nDupont,42\nLefèvre,37\n".encode(codec))
    _refused(ws, snapshot, src, "UTF-16", f"--encoding {hint}", str(src))
    v = import_table(ws, src, "t", encoding=codec)
    assert _rows(ws, v, "nom") == ["Dupont", "Lefèvre"]


def test_gzip_and_zstd_csv_import(ws, tmp_path):
    text = "nom;age\nDupont;42\nLefèvre;37\n"
    gz = tmp_path / "t.csv.gz"
    gz.write_bytes(gzip.compress(text.encode()))
    zst = tmp_path / "t.csv.zst"
    zst.write_bytes(pa.compress(text.encode(), "zstd", asbytes=True))
    for path in (gz, zst):
        v = import_table(ws, path, "t")
        assert v.row_count == 2
        assert _rows(ws, v, "nom") == ["Dupont", "Lefèvre"]
        assert [c["type"] for c in v.schema] == ["VARCHAR", "BIGINT"]
        assert v.operation["format"] == "csv"


def test_compressed_csv_error_still_gives_the_line(ws, tmp_path, snapshot):
    gz = tmp_path / "t.csv.gz"
    gz.write_bytes(gzip.compress(b"a,b\n1,2\n3\n4,5\n"))
    err = _refused(ws, snapshot, gz, "expected 2 fields, found 1")
    assert err.where.line == 3


def test_nfd_header_is_stored_in_nfc_and_collisions_are_refused(ws, tmp_path, snapshot):
    src = tmp_path / "t.csv"
    src.write_text(f"caf{NFD},b\n1,2\n")
    v = import_table(ws, src, "t")
    assert [c["name"] for c in v.schema] == [f"caf{NFC}", "b"]
    both = tmp_path / "both.csv"
    both.write_text(f"caf{NFC},caf{NFD}\n1,2\n")
    _refused(ws, snapshot, both, "duplicate column name")


# -- JSON ------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".json", ".jsonl"])
@pytest.mark.parametrize("shape", ["array", "object"])
def test_json_nested_10000_deep_is_refused_with_the_line(ws, tmp_path, snapshot, suffix, shape):
    deep = (
        ("[" * 10_000 + "]" * 10_000)
        if shape == "array"
        else ('{"a":' * 10_000 + "1" + "}" * 10_000)
    )
    src = tmp_path / f"deep{suffix}"
    src.write_text('{"a": 1}\n{"a": ' + deep + "}\n")
    err = _refused(ws, snapshot, src, "nested", str(src))
    assert err.where.line == 2


def test_json_nested_within_the_limit_still_imports(ws, tmp_path):
    src = tmp_path / "t.jsonl"
    src.write_text(json.dumps({"a": [[[1]]], "b": {"c": {"d": 2}}}) + "\n")
    assert import_table(ws, src, "t").row_count == 1


def test_json_array_file_imports_one_row_per_element(ws, tmp_path):
    src = tmp_path / "t.json"
    src.write_text(
        json.dumps([{"id": 1, "nom": "a"}, {"id": 2, "nom": "b"}, {"id": 3, "nom": "c"}], indent=2)
    )
    v = import_table(ws, src, "t")
    assert v.row_count == 3
    assert [c["name"] for c in v.schema] == ["id", "nom"]
    assert _rows(ws, v, "nom") == ["a", "b", "c"]


@pytest.mark.parametrize(
    "content, text",
    [
        ("[1, 2, 3]", "must be a JSON object"),
        ('{"a": 1}\n[{"a": 2}]\n', "must be a JSON object"),
        ('{"a": 1}\n"text"\n', "must be a JSON object"),
    ],
)
def test_json_values_that_are_not_records_are_refused(ws, tmp_path, snapshot, content, text):
    src = tmp_path / "t.json"
    src.write_text(content)
    _refused(ws, snapshot, src, text, str(src))


def test_json_keys_in_nfc_and_nfd_are_one_name_and_refused(ws, tmp_path, snapshot):
    src = tmp_path / "t.jsonl"
    src.write_text(json.dumps({f"caf{NFC}": 1, f"caf{NFD}": 2}) + "\n")
    _refused(ws, snapshot, src, "duplicate column name")


# -- Parquet -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "names, text",
    [
        (["a", "a"], "duplicate column name 'a'"),
        (["a", "A"], "duplicate column name 'A'"),
        (["a", ""], "empty column name"),
        ([f"caf{NFC}", f"caf{NFD}"], "duplicate column name"),
    ],
)
def test_parquet_bad_column_names_are_refused_not_renamed(ws, tmp_path, snapshot, names, text):
    src = tmp_path / "t.parquet"
    pq.write_table(pa.Table.from_arrays([pa.array([1, 2]), pa.array([3, 4])], names=names), src)
    _refused(ws, snapshot, src, text, str(src))


def test_parquet_nfd_names_are_stored_in_nfc(ws, tmp_path):
    src = tmp_path / "t.parquet"
    pq.write_table(pa.table({f"caf{NFD}": [1, 2]}), src)
    v = import_table(ws, src, "t")
    assert [c["name"] for c in v.schema] == [f"caf{NFC}"]
    assert _rows(ws, v, f"caf{NFC}") == [1, 2]


def test_parquet_decimal256_that_fits_is_kept_exact(ws, tmp_path):
    from decimal import Decimal

    values = [Decimal("12345678901234567890123456.789012"), Decimal("-0.000001"), None]
    src = tmp_path / "t.parquet"
    pq.write_table(pa.table({"montant": pa.array(values, pa.decimal256(50, 6))}), src)
    v = import_table(ws, src, "t")
    assert v.schema == [{"name": "montant", "type": "DECIMAL(38,6)"}]
    assert _rows(ws, v, "montant") == values


def test_parquet_decimal256_too_wide_is_refused_naming_the_column(ws, tmp_path, snapshot):
    from decimal import Decimal

    src = tmp_path / "t.parquet"
    big = Decimal("1" * 45 + ".5")
    pq.write_table(pa.table({"ok": [1], "montant": pa.array([big], pa.decimal256(50, 1))}), src)
    _refused(ws, snapshot, src, "'montant'", "38 digits")


def test_parquet_duration_becomes_interval(ws, tmp_path):
    import datetime as dt

    src = tmp_path / "t.parquet"
    durations = [dt.timedelta(days=200, seconds=5), dt.timedelta(milliseconds=7), None]
    pq.write_table(
        pa.table(
            {
                "duree": pa.array(durations, pa.duration("us")),
                "s": pa.array([1, 2, 3], pa.duration("s")),
            }
        ),
        src,
    )
    v = import_table(ws, src, "t")
    assert v.schema == [{"name": "duree", "type": "INTERVAL"}, {"name": "s", "type": "INTERVAL"}]
    con = ws.engine.connect()
    try:
        got = con.execute(
            f"SELECT epoch_us(duree), epoch(s) FROM read_parquet('{ws.path_of(v)}')"
        ).fetchall()
    finally:
        con.close()
    assert got == [(200 * 86_400_000_000 + 5_000_000, 1.0), (7_000, 2.0), (None, 3.0)]


@pytest.mark.parametrize(
    "values, unit, text",
    [
        ([1_000_000, 1_000_001], "ns", "nanosecond durations finer than a millisecond"),
        ([7], "us", "microsecond durations finer than a millisecond"),
        ([5, -1], "s", "negative durations"),
    ],
)
def test_parquet_duration_an_interval_cannot_hold_is_refused(
    ws, tmp_path, snapshot, values, unit, text
):
    src = tmp_path / "t.parquet"
    pq.write_table(
        pa.table({"ok": [1] * len(values), "duree": pa.array(values, pa.duration(unit))}), src
    )
    err = _refused(ws, snapshot, src, "'duree'", text)
    assert err.where.column == 2


def test_arrow_table_names_follow_the_same_rules(ws, snapshot):
    before = snapshot(ws)
    with pytest.raises(ValidationError, match="duplicate column name"):
        import_table(ws, pa.table({f"caf{NFC}": [1], f"caf{NFD}": [2]}), "t")
    assert snapshot(ws) == before


def test_row_longer_than_duckdb_line_limit_imports(ws, tmp_path):
    note = "n" * 3_000_000  # over DuckDB's default 2 MB row
    src = tmp_path / "t.csv"
    src.write_text(f"id,note\n0,a\n1,{note}\n2,b\n")
    v = import_table(ws, src, "t")
    assert [len(x) for x in _rows(ws, v, "note")] == [1, 3_000_000, 1]


def test_arrow_table_decimals_and_durations_follow_the_parquet_rules(ws, snapshot):
    import datetime as dt
    from decimal import Decimal

    exact = Decimal("1234567890123456789012345678901.5")
    v = import_table(
        ws,
        pa.table(
            {
                "montant": pa.array([exact], pa.decimal256(45, 1)),
                "duree": pa.array([dt.timedelta(seconds=3)], pa.duration("ms")),
            }
        ),
        "t",
    )
    assert [c["type"] for c in v.schema] == ["DECIMAL(38,1)", "INTERVAL"]
    assert _rows(ws, v, "montant") == [exact]
    before = snapshot(ws)
    with pytest.raises(InputError, match=r"'duree'.*finer than a millisecond"):
        import_table(ws, pa.table({"duree": pa.array([1], pa.duration("us"))}), "t")
    assert snapshot(ws) == before
