"""`bulle hierarchy build` in a subprocess: ARX-format output written atomically, clear errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


def bulle(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bulle", *args], capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "people.csv"
    path.write_text(
        "age;birth;zip;level\n"
        "23;2001-03-15;75011;low\n"
        "47;1977-11-02;75012;high\n"
        "23;2001-03-16;13001;mid\n",
        encoding="utf-8",
    )
    return path


def read_rows(path: Path) -> list[list[str]]:
    return [line.split(";") for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize(
    "column, kind, opts, expected_first",
    [
        (
            "age",
            "interval",
            ["--width", "5", "--fanout", "2,5"],
            ["23", "[20, 25[", "[20, 30[", "[0, 50[", "*"],
        ),
        (
            "birth",
            "date",
            ["--levels", "month,year,decade"],
            ["1977-11-02", "1977-11", "1977", "[1970, 1980[", "*"],
        ),
        ("zip", "mask", ["--keep", "3,2"], ["13001", "130**", "13***", "*"]),
        (
            "level",
            "ordered",
            ["--order", "low,mid,high", "--groups", "2"],
            ["low", "[low, mid]", "*"],
        ),
        ("level", "flat", [], ["high", "*"]),
    ],
)
def test_build_each_kind(data: Path, tmp_path: Path, column, kind, opts, expected_first) -> None:
    out = tmp_path / f"{column}.csv"
    proc = bulle(
        "hierarchy",
        "build",
        "--kind",
        kind,
        "--input",
        str(data),
        "--column",
        column,
        *opts,
        "--output",
        str(out),
        "--json",
    )
    assert proc.returncode == 0, proc.stderr
    p = json.loads(proc.stdout)
    rows = read_rows(out)
    assert rows[0] == expected_first
    assert p["leaves"] == len(rows) and p["height"] == len(rows[0]) - 1
    assert len({len(r) for r in rows}) == 1 and all(r[-1] == "*" for r in rows)
    assert not out.read_text(encoding="utf-8").startswith(column)  # no header
    assert not list(tmp_path.glob(f".{out.name}.*"))


def test_ordered_from_file(data: Path, tmp_path: Path) -> None:
    order = tmp_path / "order.txt"
    order.write_text("low\nmid\nhigh\n", encoding="utf-8")
    out = tmp_path / "h.csv"
    proc = bulle(
        "hierarchy",
        "build",
        "--kind",
        "ordered",
        "--input",
        str(data),
        "--column",
        "level",
        "--order-file",
        str(order),
        "--groups",
        "3",
        "--output",
        str(out),
    )
    assert proc.returncode == 0, proc.stderr
    assert read_rows(out) == [
        ["low", "[low, high]", "*"],
        ["mid", "[low, high]", "*"],
        ["high", "[low, high]", "*"],
    ]
    assert "Wrote" in proc.stdout


def test_nir(tmp_path: Path) -> None:
    src = tmp_path / "nir.csv"
    src.write_text("nir\n1 85 05 75 111 222 33\n2850575111222\n", encoding="utf-8")
    out = tmp_path / "h.csv"
    proc = bulle(
        "hierarchy",
        "build",
        "--kind",
        "nir",
        "--input",
        str(src),
        "--column",
        "nir",
        "--output",
        str(out),
    )
    assert proc.returncode == 0, proc.stderr
    assert read_rows(out)[0] == [
        "1 85 05 75 111 222 33",
        "18505********",
        "185**********",
        "1************",
        "*",
    ]


def test_non_numeric_value_names_line_and_column(data: Path, tmp_path: Path) -> None:
    out = tmp_path / "h.csv"
    proc = bulle(
        "hierarchy",
        "build",
        "--kind",
        "interval",
        "--input",
        str(data),
        "--column",
        "zip",
        "--width",
        "5",
        "--output",
        str(out),
        "--json",
    )
    assert proc.returncode == 0, proc.stderr  # postcodes are numbers: fine
    proc = bulle(
        "hierarchy",
        "build",
        "--kind",
        "interval",
        "--input",
        str(data),
        "--column",
        "level",
        "--width",
        "5",
        "--output",
        str(out),
        "--json",
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    err = json.loads(proc.stderr)["error"]
    assert err["code"] == "invalid"
    first = err["problems"][0]
    assert first["message"].startswith("not a number: 'low'")
    assert first["where"] == {"file": str(data), "line": 2, "column": "level"}
    assert [p["where"]["line"] for p in err["problems"]] == [2, 3, 4]


def test_errors_leave_no_output(data: Path, tmp_path: Path) -> None:
    out = tmp_path / "h.csv"
    cases = [
        (["--kind", "flat", "--input", str(data), "--column", "nope"], "no column named 'nope'"),
        (
            ["--kind", "flat", "--input", str(tmp_path / "absent.csv"), "--column", "a"],
            "no such file",
        ),
        (["--kind", "interval", "--input", str(data), "--column", "age"], "needs --width"),
        (
            [
                "--kind",
                "interval",
                "--input",
                str(data),
                "--column",
                "age",
                "--width",
                "5",
                "--fanout",
                "2,x",
            ],
            "comma-separated integers",
        ),
        (
            [
                "--kind",
                "ordered",
                "--input",
                str(data),
                "--column",
                "level",
                "--order",
                "low,mid",
                "--groups",
                "2",
            ],
            "not among the ordered categories",
        ),
        (["--kind", "date", "--input", str(data), "--column", "age"], "not a date"),
    ]
    for args, needle in cases:
        proc = bulle("hierarchy", "build", *args, "--output", str(out))
        assert proc.returncode == 2, (args, proc.stderr)
        assert needle in proc.stderr and "Traceback" not in proc.stderr
        assert not out.exists()
    proc = bulle(
        "hierarchy",
        "build",
        "--kind",
        "flat",
        "--input",
        str(data),
        "--column",
        "age",
        "--output",
        str(tmp_path / "missing" / "h.csv"),
    )
    assert proc.returncode == 2 and "directory does not exist" in proc.stderr
