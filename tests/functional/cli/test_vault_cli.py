"""The CLI forms that checks and scripts rely on, their JSON shapes and their errors."""

from __future__ import annotations

import subprocess
import sys

import pytest

IMPORT_KEYS = {"dataset", "version", "ref", "rows", "columns", "content_hash", "path", "roles"}
VERSION_KEYS = {
    "ref",
    "version",
    "kind",
    "rows",
    "columns",
    "content_hash",
    "parents",
    "created_at",
    "personal_data",
    "status",
    "pseudonymized",
}
PROFILE_COLUMN_KEYS = {
    "name",
    "type",
    "rows",
    "non_null",
    "null_rate",
    "distinct",
    "uniqueness",
    "min",
    "max",
    "mean_length",
    "max_length",
    "top_values",
    "role",
    "reason",
    "confirmed",
    "identifier_kind",
}
ERROR_KEYS = {"code", "message", "where"}


@pytest.fixture
def ws(tmp_path, bulle):
    d = tmp_path / "ws"
    r = bulle("init", d, "--json")
    assert r.code == 0, r.err
    assert set(r.json()) == {"workspace", "id", "format_version", "pseudonym_key_id", "engine"}
    return d


def test_exact_forms_and_json_shapes(ws, bulle, arx_data):
    r = bulle("--workspace", ws, "import", arx_data / "adult.csv", "--dataset", "adult", "--json")
    assert r.code == 0, r.err
    out = r.json()
    assert set(out) == IMPORT_KEYS and out["rows"] == 30162 and out["ref"] == "adult@1"

    r = bulle("--workspace", ws, "datasets", "--json")
    ds = r.json()["datasets"]
    assert ds[0]["name"] == "adult" and set(ds[0]["versions"][0]) == VERSION_KEYS

    r = bulle("--workspace", ws, "profile", "adult", "--json")
    prof = r.json()
    assert {c["name"] for c in prof["columns"]} >= {"age", "sex"}
    assert all(set(c) == PROFILE_COLUMN_KEYS for c in prof["columns"])
    roles = {c["name"]: c["role"] for c in prof["columns"]}
    assert roles["age"] == "quasi_identifier"


def test_pseudonymize_form(ws, bulle, tmp_path):
    src = tmp_path / "p.csv"
    src.write_text("nom;prénom;NIR;code_postal\nDupont;Jean;184127645108946;75011\n")
    assert bulle("--workspace", ws, "import", src, "--dataset", "p", "--json").code == 0
    # Suggested roles are not decisions: every column's role must be confirmed first.
    r = bulle("--workspace", ws, "pseudonymize", "p", "--json")
    assert r.code == 2 and r.out == ""
    err = r.error()
    assert err["code"] == "invalid" and "confirm" in err["message"]
    assert {p["where"]["column"] for p in err["problems"]} == {
        "nom",
        "prénom",
        "NIR",
        "code_postal",
    }
    assert bulle("--workspace", ws, "roles", "p", "--confirm", "--json").code == 0
    r = bulle("--workspace", ws, "pseudonymize", "p", "--json")
    assert r.code == 0, r.err
    out = r.json()
    assert out["ref"] == "p@2" and set(out["columns"]) == {"nom", "prénom", "NIR"}
    assert out["personal_data"] is True


def test_errors_are_one_json_object_with_exit_code(ws, bulle, tmp_path):
    r = bulle("--workspace", ws, "import", tmp_path / "missing.csv", "--dataset", "x", "--json")
    assert r.code == 2 and r.out == ""
    err = r.error()
    assert (
        set(err) == ERROR_KEYS
        and err["code"] == "bad_input"
        and err["where"]["file"].endswith("missing.csv")
    )
    r = bulle("--workspace", ws, "profile", "nope", "--json")
    assert r.code == 3 and r.error()["code"] == "not_found"


def test_human_errors_are_one_line_without_traceback(ws, bulle, tmp_path):
    bad = tmp_path / "ragged.csv"
    bad.write_text("a,b\n1,2\n3\n")
    r = bulle("--workspace", ws, "import", bad, "--dataset", "x")
    assert r.code == 2
    assert "Traceback" not in r.err
    assert r.err.strip().splitlines() == [f"error: {bad}, line 3: expected 2 fields, found 1"]


def test_usage_error_exit_2(bulle):
    r = bulle("import")
    assert r.code == 2 and "Traceback" not in r.err


def test_no_workspace(bulle, tmp_path):
    r = bulle("--workspace", tmp_path / "none", "datasets", "--json")
    assert r.code == 3 and "bulle init" in r.error()["message"]


def test_help_imports_no_heavy_library():
    code = (
        "import sys; from bulle.cli.main import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('duckdb', 'pandas', 'pyarrow', 'numpy', 'spacy', 'presidio_analyzer') "
        "if m in sys.modules]\nprint(heavy)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_demo_runs(bulle, tmp_path):
    r = bulle("demo", "--workspace-dir", tmp_path / "demo")
    assert r.code == 0, r.err
    assert "patients@2" in r.out and "Done" in r.out
    said = " ".join(r.out.split())  # the console wraps long lines
    assert (
        "bob reads patients: served patients@2 (pseudonymize)" in said
    )  # the project's bound version
    assert "bob asks for the raw import patients@1: refused" in said
    assert "locked-down view of patients@2" in said  # query reads the version read serves
    again = bulle("demo", "--workspace-dir", tmp_path / "demo")  # re-runs over its own workspace
    assert again.code == 0, again.err
    other = tmp_path / "mine"
    other.mkdir()
    (other / "precious.txt").write_text("x")
    refused = bulle("demo", "--workspace-dir", other)
    assert refused.code == 4 and (other / "precious.txt").exists()
