"""`bulle -w DIR risk NAME` and `bulle -w DIR hierarchy build NAME`: no clear-text export needed.

Through the real commands on the bundled patients table: the figures and hierarchies equal those
of the stand-alone forms on the CSV file, bad input names the version, only a custodian may, and
the reads are audited.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PATIENTS = Path(__file__).resolve().parents[3] / "src" / "bulle" / "data" / "patients_fr.csv"


def _ok(run):
    assert run.code == 0, run.err
    return run.json()


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    """One workspace for the module: these commands only read it (and append to its audit log)."""
    ws = tmp_path_factory.mktemp("risk") / "ws"
    for args in (["init", ws], ["-w", ws, "import", PATIENTS, "--dataset", "patients"]):
        done = subprocess.run(
            [sys.executable, "-m", "bulle", *map(str, args), "--json"],
            capture_output=True,
            text=True,
            env={**os.environ, "BULLE_USER": "tester"},
            timeout=600,
        )
        assert done.returncode == 0, done.stderr
    return ws


def _audit(ws: Path) -> list[dict]:
    lines = (ws / "audit" / "log.jsonl").read_text().splitlines()
    return [json.loads(line)["event"] for line in lines[1:] if line]


def test_risk_of_a_version_equals_the_risk_of_its_file(bulle, ws, tmp_path):
    qis = ["--qi", "sexe", "--qi", "code_postal", "--qi", "date_naissance"]
    html = tmp_path / "risk.html"
    inside = _ok(
        bulle(
            "-w",
            ws,
            "risk",
            "patients",
            *qis,
            "--subject-id",
            "id_patient",
            "--html",
            html,
            "--json",
        )
    )
    outside = _ok(bulle("risk", "--input", PATIENTS, *qis, "--subject-id", "id_patient", "--json"))
    assert inside["input"] == "patients@1" and inside["dataset"] == "patients@1"
    for key in ("input", "dataset", "html"):
        inside.pop(key, None)
        outside.pop(key, None)
    assert inside == outside
    assert inside["records"] == 1000 and inside["subjects"]["subjects"] == 1000
    assert "<svg" in html.read_text(encoding="utf-8")
    reads = [e for e in _audit(ws) if e["kind"] == "dataset.read"]
    assert (
        reads[-1]["target"] == "patients@1"
        and reads[-1]["details"]["purpose"] == "risk measurement"
    )
    assert reads[-1]["details"]["columns"] == [
        "sexe",
        "code_postal",
        "date_naissance",
        "id_patient",
    ]

    # A population given as another version of the workspace.
    pop = _ok(
        bulle("-w", ws, "risk", "patients", "--qi", "sexe", "--population", "patients@1", "--json")
    )
    assert pop["journalist_uses_population"] is True


def test_risk_bad_input_names_the_version_and_every_column(bulle, ws):
    run = bulle(
        "-w",
        ws,
        "risk",
        "patients",
        "--qi",
        "nope",
        "--qi",
        "sexe",
        "--subject-id",
        "nada",
        "--json",
    )
    assert run.code == 2 and run.out == ""
    err = run.error()
    assert {(p["where"]["file"], p["where"]["column"]) for p in err["problems"]} == {
        ("patients@1", "nope"),
        ("patients@1", "nada"),
    }
    assert bulle("-w", ws, "risk", "--qi", "sexe", "--json").code == 2  # neither NAME nor --input
    assert bulle("-w", ws, "risk", "patients", "--input", PATIENTS, "--qi", "sexe").code == 2
    denied = bulle("-w", ws, "--role", "analyst", "risk", "patients", "--qi", "sexe", "--json")
    assert denied.code == 5


@pytest.mark.parametrize(
    ("column", "kind", "extra"),
    [
        ("date_naissance", "date", ["--levels", "year,decade"]),
        ("code_postal", "mask", []),
    ],
)
def test_hierarchy_from_a_version_equals_the_one_from_its_file(
    bulle, ws, tmp_path, column, kind, extra
):
    inside, outside = tmp_path / "in.csv", tmp_path / "out.csv"
    payload = _ok(
        bulle(
            "-w",
            ws,
            "hierarchy",
            "build",
            "patients",
            "--kind",
            kind,
            "--column",
            column,
            "--output",
            inside,
            *extra,
            "--json",
        )
    )
    _ok(
        bulle(
            "hierarchy",
            "build",
            "--input",
            PATIENTS,
            "--kind",
            kind,
            "--column",
            column,
            "--output",
            outside,
            *extra,
            "--json",
        )
    )
    assert payload["source"] == "patients@1" and payload["leaves"] > 1
    assert inside.read_text() == outside.read_text()
    exports = [e for e in _audit(ws) if e["kind"] == "dataset.export"]
    assert exports[-1]["target"] == "patients@1" and exports[-1]["details"]["columns"] == [column]
    assert exports[-1]["details"]["format"] == "hierarchy"


def _read_as_nobody(path: Path) -> int:
    """Exit status of a forked child that dropped to uid/gid 65534 and tries to read ``path``."""
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        try:
            os.setgid(65534)
            os.setuid(65534)
            with open(path, "rb") as f:
                f.read()
            os._exit(0)
        except BaseException:
            os._exit(1)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


@pytest.mark.skipif(os.geteuid() != 0, reason="dropping to another uid needs root")
def test_a_hierarchy_from_the_vault_is_readable_by_its_owner_only(bulle, ws):
    import shutil
    import tempfile

    shared = Path(tempfile.mkdtemp(prefix="bulle-test-"))  # pytest's tmp_path is not traversable
    shared.chmod(0o755)
    try:
        _owner_only(bulle, ws, shared / "h.csv")
    finally:
        shutil.rmtree(shared)


def _owner_only(bulle, ws, out: Path) -> None:
    _ok(
        bulle(
            "-w",
            ws,
            "hierarchy",
            "build",
            "patients",
            "--kind",
            "flat",
            "--column",
            "commune",
            "--output",
            out,
            "--json",
        )
    )
    assert out.stat().st_mode & 0o777 == 0o600
    assert _read_as_nobody(out) != 0
    out.chmod(0o644)
    assert _read_as_nobody(out) == 0  # the child could read it: the refusal above was the mode


def test_hierarchy_bad_values_are_located_by_row_of_the_version(bulle, ws, tmp_path):
    out = tmp_path / "h.csv"
    run = bulle(
        "-w",
        ws,
        "hierarchy",
        "build",
        "patients",
        "--kind",
        "interval",
        "--width",
        "5",
        "--column",
        "nom",
        "--output",
        out,
        "--json",
    )
    assert run.code == 2 and not out.exists()
    err = run.error()
    wheres = [p["where"] for p in err["problems"]]
    assert wheres[0] == {"file": "patients@1", "line": 1, "column": "nom"}
    assert all(w["file"] == "patients@1" and w["column"] == "nom" for w in wheres)
    run = bulle(
        "-w",
        ws,
        "hierarchy",
        "build",
        "patients",
        "--kind",
        "flat",
        "--column",
        "nope",
        "--output",
        out,
        "--json",
    )
    assert run.code == 2 and run.error()["where"] == {"file": "patients@1", "column": "nope"}
    assert (
        bulle(
            "-w", ws, "hierarchy", "build", "--kind", "flat", "--column", "sexe", "--output", out
        ).code
        == 2
    )
