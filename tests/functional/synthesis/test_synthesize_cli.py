"""`bulle synthesize` in a subprocess: the form independent checks use, and bad input.

The stand-alone form must print one JSON object with ``rows``, ``seconds``, ``privacy`` and
``utility``, and write a table with the input's columns, in order, with the same types (read back
by DuckDB's own CSV sniffing, as any checker would).
"""

from __future__ import annotations

import csv
import json

import duckdb
import pytest

pytest.importorskip("bulle.synthesis.utility", reason="the utility report lands with synthreport")


@pytest.fixture
def table(tmp_path):
    import numpy as np

    rng = np.random.default_rng(0)
    path = tmp_path / "people.csv"
    with path.open("w", newline="") as f:
        w = csv.writer(f, delimiter=";")
        w.writerow(["sex", "age", "town", "income", "sick"])
        for _ in range(400):
            sex = str(rng.choice(["F", "M"]))
            age = int(rng.integers(18, 90))
            income = "" if rng.random() < 0.1 else f"{rng.normal(2000, 400):.2f}"
            sick = "yes" if rng.random() < (0.2 + 0.5 * (age > 60)) else "no"
            w.writerow([sex, age, str(rng.choice(["Brest", "Lyon", "Paris"])), income, sick])
    return path


def types_of(path, delimiter):
    con = duckdb.connect()
    rows = con.execute(
        f"DESCRIBE SELECT * FROM read_csv('{path}', delim='{delimiter}', header=true)"
    ).fetchall()
    return [(r[0], r[1]) for r in rows]


@pytest.mark.parametrize("method", ["avatar", "cart", "mst", "dummy"])
def test_stand_alone_form(bulle, table, tmp_path, method):
    out, report, html = tmp_path / "s.csv", tmp_path / "r.json", tmp_path / "r.html"
    extra = ["--param", "min_count=5"] if method == "dummy" else []
    r = bulle(
        "synthesize", "--input", table, "--delimiter", ";", "--method", method, "--seed", "7",
        "--target", "sick", "--sensitive", "sick", "--output", out, "--report", report,
        "--html", html, *extra, "--json",
    )  # fmt: skip
    assert r.code == 0, r.err
    p = r.json()
    assert {"rows", "seconds", "privacy", "utility"} <= set(p)
    assert p["rows"] == 320 and p["training_rows"] == 320 and p["control_rows"] == 80
    for k in ("singling_out", "linkability", "inference"):
        low, high = p["privacy"][k]["ci"]
        assert 0 <= low <= high <= 1 and 0 <= p["privacy"][k]["risk"] <= 1
    assert set(p["privacy"]["inference"]["columns"]) == {"sick"}
    assert {"synthetic_to_training_median", "control_to_training_median"} <= set(
        p["privacy"]["dcr"]
    )
    assert 0 <= p["privacy"]["exact_copies"] <= 1
    assert {"tvd_1way", "tvd_2way", "auc_synthetic", "auc_real"} <= set(p["utility"])
    assert types_of(out, ";") == types_of(table, ";")
    assert json.loads(report.read_text())["privacy"] == p["privacy"]
    assert (
        html.read_text().lstrip().lower().startswith("<!doctype html")
        or "<html" in html.read_text()
    )
    assert (out.stat().st_mode & 0o777) == 0o600


@pytest.mark.slow  # two whole runs; the property tests check the same in one process
def test_same_seed_same_output_and_report(bulle, table, tmp_path):
    runs = []
    for i in range(2):
        out = tmp_path / f"s{i}.csv"
        r = bulle("synthesize", "--input", table, "--method", "cart", "--seed", "5",
                  "--output", out, "--json")  # fmt: skip
        assert r.code == 0, r.err
        p = r.json()
        runs.append((out.read_bytes(), p["privacy"], p["utility"]))
    assert runs[0] == runs[1]


def test_bad_input_is_exit_2_and_writes_nothing(bulle, table, tmp_path):
    out = tmp_path / "s.csv"
    r = bulle("synthesize", "--input", table, "--method", "cart", "--target", "nope",
              "--output", out, "--json")  # fmt: skip
    assert r.code == 2 and "nope" in r.error()["message"] and not out.exists()
    r = bulle("synthesize", "--input", table, "--method", "avatar", "--param", "k=zero",
              "--output", out, "--json")  # fmt: skip
    assert r.code == 2 and "k" in r.error()["message"] and not out.exists()
    r = bulle("synthesize", "--input", table, "--method", "nosuch", "--output", out, "--json")
    assert r.code == 2 and "nosuch" in r.error()["message"]
    r = bulle("synthesize", "--input", tmp_path / "missing.csv", "--method", "cart",
              "--output", out, "--json")  # fmt: skip
    assert r.code == 2 and not out.exists()
    r = bulle("synthesize", "--input", table, "--method", "cart", "--seed", "-1",
              "--output", out, "--json")  # fmt: skip
    assert r.code == 2 and not out.exists()
    r = bulle("synthesize", "--input", table, "--method", "cart", "--json")
    assert r.code == 2 and "--output" in r.error()["message"]


@pytest.mark.slow  # five processes; the audit canary runs both commands in the default run
def test_workspace_form_and_mark(bulle, tmp_path):
    from importlib import resources

    ws = tmp_path / "ws"
    src = resources.files("bulle") / "data" / "patients_fr.csv"
    assert bulle("init", ws).code == 0
    assert bulle("-w", ws, "import", src, "--dataset", "patients", "--json").code == 0
    assert bulle("-w", ws, "roles", "patients", "--confirm", "--json").code == 0
    env = {"BULLE_SETTING_SYNTHESIS_PRIVACY_ATTACKS": "100"}
    r = bulle("-w", ws, "synthesize", "patients", "--method", "cart", "--json", env=env)
    assert r.code == 0, r.err
    p = r.json()
    assert p["ref"] == "patients@2" and p["personal_data"] and "NIR" in p["dropped"]
    strict = {**env, "BULLE_SETTING_SYNTHESIS_MAX_LINKABILITY_RISK": "0",
              "BULLE_SETTING_SYNTHESIS_MAX_SINGLING_OUT_RISK": "0"}  # fmt: skip
    r = bulle("-w", ws, "synthetic", "mark-anonymous", "patients@2", "--reason", "ok", "--json",
              env=strict)  # fmt: skip
    assert r.code == 4 and "stays personal data" in r.error()["message"]
    r = bulle("-w", ws, "--role", "analyst", "synthetic", "mark-anonymous", "patients@2",
              "--reason", "ok", "--json")  # fmt: skip
    assert r.code == 5
