"""Inputs that used to crash the import (exit 70) get exit 2 and a JSON error naming where."""

from __future__ import annotations

import gzip

import pytest


@pytest.fixture
def ws(tmp_path, bulle):
    d = tmp_path / "ws"
    assert bulle("init", d).code == 0
    return d


def test_refusals_exit_2_with_where(ws, bulle, tmp_path):
    csv = tmp_path / "t.csv"
    csv.write_text("a::b\n1::2\n")
    r = bulle("--workspace", ws, "import", csv, "--dataset", "t", "--delimiter", "::", "--json")
    assert r.code == 2, r.err
    assert r.error()["where"]["field"] == "--delimiter"

    utf16 = tmp_path / "u.csv"
    utf16.write_bytes("nom,age\nDupont,42\n".encode("utf-16-le"))
    r = bulle("--workspace", ws, "import", utf16, "--dataset", "t", "--json")
    assert r.code == 2, r.err
    assert "--encoding utf-16-le" in r.error()["message"] and r.error()["where"]["file"].endswith(
        "u.csv"
    )

    deep = tmp_path / "deep.jsonl"
    deep.write_text('{"a": 1}\n{"a": ' + "[" * 10_000 + "]" * 10_000 + "}\n")
    r = bulle("--workspace", ws, "import", deep, "--dataset", "t", "--json")
    assert r.code == 2, r.err
    assert "nested" in r.error()["message"] and r.error()["where"]["line"] == 2
    assert bulle("--workspace", ws, "datasets", "--json").json() == {"datasets": []}


def test_long_field_and_compressed_csv_import(ws, bulle, tmp_path):
    src = tmp_path / "notes.csv.gz"
    src.write_bytes(gzip.compress(('id,note\n1,"' + "x" * 200_000 + '"\n2,b\n').encode()))
    r = bulle("--workspace", ws, "import", src, "--dataset", "notes", "--json")
    assert r.code == 0, r.err
    assert r.json()["rows"] == 2
