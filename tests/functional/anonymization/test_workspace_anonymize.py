"""`bulle --workspace DIR anonymize NAME ...`: a release is a new version, the original untouched.

Through the real command: the bundled patients table (subject id, direct identifiers, quasi-
identifiers, a diagnosis, free text), hierarchies built by `bulle hierarchy build`, then the
release, its stored parameters, hierarchies and risk report, and what a custodian must be told.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

PATIENTS = Path(__file__).resolve().parents[3] / "src" / "bulle" / "data" / "patients_fr.csv"


def _ok(run):
    assert run.code == 0, run.err
    return run.json()


@pytest.fixture
def ws(bulle, tmp_path):
    ws = tmp_path / "ws"
    _ok(bulle("init", ws, "--json"))
    _ok(bulle("-w", ws, "import", PATIENTS, "--dataset", "patients", "--json"))
    _ok(bulle("-w", ws, "roles", "patients", "--confirm", "--json"))
    hier = {}
    for column, kind, extra in (
        ("sexe", "flat", []),
        ("commune", "flat", []),
        ("code_postal", "mask", []),
        ("date_naissance", "date", ["--levels", "year,decade"]),
    ):
        out = tmp_path / f"h_{column}.csv"
        _ok(
            bulle(
                "hierarchy",
                "build",
                "--kind",
                kind,
                "--input",
                PATIENTS,
                "--column",
                column,
                "--output",
                out,
                *extra,
                "--json",
            )
        )
        hier[column] = out
    return ws, hier


def _versions(bulle, ws, name):
    return {v["ref"]: v for v in _ok(bulle("-w", ws, "versions", name, "--json"))["versions"]}


def _hierarchy_args(hier, columns):
    return [a for c in columns for a in ("--hierarchy", f"{c}={hier[c]}")]


def test_release_is_a_new_version_with_its_parameters_hierarchies_and_risk(bulle, ws):
    ws, hier = ws
    before = _versions(bulle, ws, "patients")["patients@1"]
    run = bulle(
        "-w",
        ws,
        "anonymize",
        "patients",
        *_hierarchy_args(hier, hier),
        "--sensitive",
        "diagnostic",
        "--k",
        "5",
        "--l-diversity",
        "distinct:2",
        "--suppression",
        "0.05",
        "--drop",
        "libellé_diagnostic",
        "--json",
    )
    out = _ok(run)
    assert out["anonymous"] and out["ref"] == "patients@2" and out["source"] == "patients@1"
    assert set(out["transformation"]) == {"sexe", "commune", "code_postal", "date_naissance"}
    # Direct identifiers, the subject id and free text are dropped, and the column dropped by
    # --drop; the diagnosis stays (protected by l-diversity).
    assert set(out["dropped"]) == {
        "id_patient",
        "nom",
        "prénom",
        "NIR",
        "téléphone",
        "courriel",
        "commentaire",
        "libellé_diagnostic",
    }
    assert out["kept"] == [] and out["personal_data"] is False
    released = [c["name"] for c in out["version"]["schema"]]
    assert "diagnostic" in released and not set(out["dropped"]) & set(released)
    kinds = {a["kind"] for a in out["artefacts"]}
    assert kinds == {
        "hierarchy:sexe",
        "hierarchy:commune",
        "hierarchy:code_postal",
        "hierarchy:date_naissance",
        "risk_report",
        "risk_report_html",
    }
    assert out["risk"]["subjects"]["subjects"] == 1000
    assert out["risk"]["prosecutor"]["max_risk"] <= 1 / 5

    versions = _versions(bulle, ws, "patients")
    shown = versions["patients@2"]
    assert shown["kind"] == "anonymize" and shown["parents"] == ["patients@1"]
    op = shown["operation"]
    assert op["spec"]["suppression_limit"] == 0.05
    assert {m["kind"] for m in op["spec"]["models"]} == {"k-anonymity", "distinct-l-diversity"}
    assert set(op["hierarchies"]) == set(hier)
    assert versions["patients@1"]["content_hash"] == before["content_hash"]

    # The stored risk report is the release's, in JSON and in HTML.
    root = Path(ws)
    report = next(a for a in out["artefacts"] if a["kind"] == "risk_report")
    assert (
        json.loads((root / report["path"]).read_text())["records"]
        == out["records"] - out["suppressed_records"]
    )
    html = next(a for a in out["artefacts"] if a["kind"] == "risk_report_html")
    assert "<svg" in (root / html["path"]).read_text()


def test_a_quasi_identifier_without_hierarchy_is_refused_unless_kept(bulle, ws):
    ws, hier = ws
    args = [
        "-w",
        ws,
        "anonymize",
        "patients",
        *_hierarchy_args(hier, ["sexe", "code_postal", "date_naissance"]),
        "--k",
        "5",
        "--suppression",
        "0.05",
        "--drop",
        "diagnostic",
        "--drop",
        "libellé_diagnostic",
        "--json",
    ]
    run = bulle(*args)
    assert run.code == 2
    err = run.error()
    assert "commune" in err["message"] + json.dumps(err.get("problems", []))
    assert list(_versions(bulle, ws, "patients")) == ["patients@1"]
    out = _ok(bulle(*args, "--keep", "commune"))
    assert "commune" in out["kept"] and "commune" in [c["name"] for c in out["version"]["schema"]]


def test_uncovered_value_names_the_dataset_not_a_temporary_file(bulle, ws, tmp_path):
    ws, hier = ws
    partial = tmp_path / "h_cp_partial.csv"
    with hier["code_postal"].open() as f:
        rows = list(csv.reader(f, delimiter=";"))
    partial.write_text("\n".join(";".join(r) for r in rows[1:]) + "\n")
    run = bulle(
        "-w",
        ws,
        "anonymize",
        "patients",
        "--hierarchy",
        f"code_postal={partial}",
        *_hierarchy_args(hier, ["sexe", "commune", "date_naissance"]),
        "--k",
        "5",
        "--suppression",
        "0.05",
        "--drop",
        "diagnostic",
        "--drop",
        "libellé_diagnostic",
        "--json",
    )
    assert run.code == 2
    text = run.err
    assert "patients@1" in text and ".parquet" not in text and rows[0][0] in text


def test_subjects_with_several_rows_are_counted(bulle, tmp_path):
    ws = tmp_path / "ws"
    visits = tmp_path / "visits.csv"
    lines = ["id_patient,sexe,age,diagnostic"]
    for p in range(60):
        for v in range(1 + p % 3):
            lines.append(f"P{p:03d},{'MF'[p % 2]},{30 + (p + v) % 20},{'ABC'[(p + v) % 3]}")
    visits.write_text("\n".join(lines) + "\n")
    ages = tmp_path / "h_age.csv"
    ages.write_text("".join(f"{a};{a // 10 * 10}-{a // 10 * 10 + 9};*\n" for a in range(30, 50)))
    sexes = tmp_path / "h_sexe.csv"
    sexes.write_text("M;*\nF;*\n")
    _ok(bulle("init", ws, "--json"))
    _ok(bulle("-w", ws, "import", visits, "--dataset", "visits", "--json"))
    _ok(
        bulle(
            "-w",
            ws,
            "roles",
            "visits",
            "--set",
            "id_patient=subject_id",
            "--set",
            "age=quasi_identifier",
            "--set",
            "sexe=quasi_identifier",
            "--set",
            "diagnostic=special_category",
            "--confirm",
            "--json",
        )
    )
    out = _ok(
        bulle(
            "-w",
            ws,
            "anonymize",
            "visits",
            "--hierarchy",
            f"age={ages}",
            "--hierarchy",
            f"sexe={sexes}",
            "--k",
            "3",
            "--suppression",
            "0.1",
            "--drop",
            "diagnostic",
            "--json",
        )
    )
    subjects = out["risk"]["subjects"]
    assert subjects["subjects"] <= 60 and subjects["subjects_with_several_rows"] > 0
    assert subjects["max_rows_per_subject"] == 3
    assert "id_patient" in out["dropped"]
    assert any("row" in n for n in out["risk"]["notes"])

    # A bare NAME is the data, not the previous release.
    kept = _ok(
        bulle(
            "-w",
            ws,
            "anonymize",
            "visits",
            "--hierarchy",
            f"age={ages}",
            "--hierarchy",
            f"sexe={sexes}",
            "--k",
            "3",
            "--suppression",
            "0.1",
            "--keep",
            "id_patient",
            "--drop",
            "diagnostic",
            "--json",
        )
    )
    assert (
        "id_patient" in kept["kept"] and kept["source"] == "visits@1" and kept["ref"] == "visits@3"
    )
    # A kept identifier: the release is personal data, and recorded so.
    assert kept["personal_data"] is True and kept["kept_identifiers"] == ["id_patient"]
    assert _versions(bulle, ws, "visits")["visits@3"]["personal_data"] is True
    assert _versions(bulle, ws, "visits")["visits@2"]["personal_data"] is False
    # A kept pseudonym singles every subject out, and the risk report says so.
    assert kept["risk"]["prosecutor"]["max_risk"] == 1.0
    assert any("id_patient" in n for n in kept["risk"]["notes"])
