"""`bulle risk` in a subprocess: figures, JSON, HTML report, and one clear error for bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

QIS = [
    "sex",
    "age",
    "race",
    "marital-status",
    "education",
    "native-country",
    "workclass",
    "occupation",
]


def bulle(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bulle", *args], capture_output=True, text=True, timeout=120
    )


def qi_args(qis: list[str]) -> list[str]:
    return [a for q in qis for a in ("--qi", q)]


@pytest.fixture
def visits(tmp_path: Path) -> Path:
    """Several rows per patient; one suppressed row."""
    path = tmp_path / "visits.csv"
    path.write_text(
        "patient,age,zip,diagnosis\n"
        "p1,30,75011,flu\np1,30,75011,cold\np2,30,75011,flu\n"
        "p3,40,75012,flu\np4,40,75012,flu\np5,50,13001,asthma\n*,*,*,flu\n".replace(
            "*,*,*", "p6,*,*"
        ),
        encoding="utf-8",
    )
    return path


def test_risk_json_and_html(visits: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    proc = bulle(
        "risk",
        "--input",
        str(visits),
        "--qi",
        "age",
        "--qi",
        "zip",
        "--subject-id",
        "patient",
        "--html",
        str(out),
        "--json",
    )
    assert proc.returncode == 0, proc.stderr
    p = json.loads(proc.stdout)
    assert p["records"] == 7 and p["suppressed_records"] == 1
    assert p["equivalence_classes"] == 3  # (30,75011)=3 rows, (40,75012)=2, (50,13001)=1
    assert p["prosecutor"]["max_risk"] == 1.0
    assert p["prosecutor"]["average_risk"] == pytest.approx(3 / 6)
    assert p["prosecutor"]["records_at_risk"] == 6
    s = p["subjects"]
    assert s["subjects"] == 6 and s["subjects_with_several_rows"] == 1
    assert s["suppressed_subjects"] == 1 and s["min_subjects_per_class"] == 1
    assert any("several rows" in n for n in p["notes"])
    assert p["html"] == str(out)
    page = out.read_text(encoding="utf-8")
    HTMLParser().feed(page)
    assert page.count("<svg") >= 2 and "<script" not in page
    assert not list(tmp_path.glob(".report.html.*"))  # no temporary file left behind


def test_risk_human_output(visits: Path) -> None:
    proc = bulle("risk", "--input", str(visits), "--qi", "age", "--threshold", "0.4")
    assert proc.returncode == 0, proc.stderr
    assert "prosecutor risk:" in proc.stdout and "marketer risk:" in proc.stdout
    assert "journalist risk equals prosecutor risk" in proc.stdout


def test_population(visits: Path, tmp_path: Path) -> None:
    pop = tmp_path / "pop.csv"
    pop.write_text(
        "age,zip\n" + "30,75011\n" * 5 + "40,75012\n" * 2 + "50,13001\n" * 4, encoding="utf-8"
    )
    proc = bulle(
        "risk",
        "--input",
        str(visits),
        "--qi",
        "age",
        "--qi",
        "zip",
        "--population",
        str(pop),
        "--json",
    )
    assert proc.returncode == 0, proc.stderr
    p = json.loads(proc.stdout)
    assert p["journalist_uses_population"] and p["population_records"] == 11
    assert p["journalist"]["max_risk"] == pytest.approx(1 / 2)
    assert p["marketer_average_risk"] == pytest.approx((3 / 5 + 2 / 2 + 1 / 4) / 6)


def test_adult(arx_data: Path) -> None:
    proc = bulle("risk", "--input", str(arx_data / "adult.csv"), *qi_args(QIS), "--json")
    assert proc.returncode == 0, proc.stderr
    p = json.loads(proc.stdout)
    assert p["records"] == 30162 and p["equivalence_classes"] == 18109
    assert p["unique_records"] == 14021 and p["prosecutor"]["records_at_risk"] == 21977


@pytest.mark.parametrize(
    "args, code, needle",
    [
        (["--qi", "nope"], 2, "no column named 'nope'"),
        (["--qi", "age", "--subject-id", "who"], 2, "no column named 'who'"),
        (["--qi", "age", "--threshold", "0"], 2, "threshold must be in (0, 1]"),
        (["--qi", "age", "--qi", "age"], 2, "named more than once"),
    ],
)
def test_bad_arguments(visits: Path, args: list[str], code: int, needle: str) -> None:
    proc = bulle("risk", "--input", str(visits), *args, "--json")
    assert proc.returncode == code
    assert proc.stdout == ""
    err = json.loads(proc.stderr)["error"]
    assert needle in json.dumps(err)
    assert "Traceback" not in proc.stderr


def test_missing_file_and_bad_output(tmp_path: Path, visits: Path) -> None:
    proc = bulle("risk", "--input", str(tmp_path / "absent.csv"), "--qi", "a")
    assert proc.returncode == 2 and "no such file" in proc.stderr
    assert "Traceback" not in proc.stderr
    proc = bulle(
        "risk",
        "--input",
        str(visits),
        "--qi",
        "age",
        "--html",
        str(tmp_path / "no" / "dir" / "r.html"),
    )
    assert proc.returncode == 2 and "directory does not exist" in proc.stderr


def test_population_not_holding_the_table(visits: Path, tmp_path: Path) -> None:
    pop = tmp_path / "pop.csv"
    pop.write_text("age,zip\n30,75011\n", encoding="utf-8")
    proc = bulle(
        "risk",
        "--input",
        str(visits),
        "--qi",
        "age",
        "--qi",
        "zip",
        "--population",
        str(pop),
        "--json",
    )
    assert proc.returncode == 2
    assert "does not contain the table" in json.loads(proc.stderr)["error"]["message"]
