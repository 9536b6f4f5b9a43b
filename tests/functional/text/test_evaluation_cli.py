"""`bulle text evaluate` (and `bulle text detect` feeding it) run as a user runs them: in a
subprocess, reading files, printing a table or one JSON object, failing with exit code 2 and a
message that names the file and the line."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

GOLD = Path(__file__).resolve().parents[2] / "fixtures" / "text" / "dev_gold.jsonl"


def bulle(*args: str, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bulle", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def registered(*path: str) -> bool:
    """Whether `bulle <path...> --help` lists the command (the group may not exist yet)."""
    *parents, name = path
    out = bulle(*parents, "--help").stdout
    return re.search(rf"^\s+{re.escape(name)}\s", out, flags=re.MULTILINE) is not None


@pytest.fixture(scope="module")
def cli_ready() -> None:
    """The commands exist: a missing one is a failure, never a skip."""
    assert registered("text") and registered("text", "evaluate")


def gold_records() -> list[dict]:
    return [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line]


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
    )
    return path


def report_of(stdout: str) -> dict:
    payload = json.loads(stdout)
    return payload.get("report", payload)


def test_gold_against_itself_is_perfect(cli_ready: None) -> None:
    result = bulle("text", "evaluate", "--gold", str(GOLD), "--pred", str(GOLD), "--json")
    assert result.returncode == 0, result.stderr
    report = report_of(result.stdout)
    assert report["exact"]["micro"]["f1"] == 1.0
    assert report["exact"]["micro"]["gold"] == sum(len(r["entities"]) for r in gold_records())
    assert report["redaction"]["recall"] == 1.0


def test_degraded_prediction_gives_the_hand_computed_figures(
    cli_ready: None, tmp_path: Path
) -> None:
    # Keep every other PERSON, drop everything else: PERSON recall is the kept share, precision 1.
    records = gold_records()
    kept = total = 0
    pred = []
    for r in records:
        persons = [e for e in r["entities"] if e["label"] == "PERSON"]
        total += len(persons)
        keep = persons[::2]
        kept += len(keep)
        pred.append({**r, "entities": keep})
    pred_path = write_jsonl(tmp_path / "pred.jsonl", pred)
    result = bulle("text", "evaluate", "--gold", str(GOLD), "--pred", str(pred_path), "--json")
    assert result.returncode == 0, result.stderr
    row = report_of(result.stdout)["exact"]["per_label"]["PERSON"]
    assert (row["tp"], row["fp"], row["fn"]) == (kept, 0, total - kept)
    assert row["precision"] == 1.0
    assert row["recall"] == pytest.approx(kept / total)

    human = bulle("text", "evaluate", "--gold", str(GOLD), "--pred", str(pred_path))
    assert human.returncode == 0, human.stderr
    for needle in ("PERSON", "micro", "redaction recall", "over-redaction", "persons fully masked"):
        assert needle in human.stdout


def test_malformed_prediction_line_is_named(cli_ready: None, tmp_path: Path) -> None:
    records = gold_records()[:3]
    pred = tmp_path / "pred.jsonl"
    lines = [json.dumps(r, ensure_ascii=False) for r in records]
    lines[2] = lines[2][:40]  # truncated third line
    pred.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = bulle("text", "evaluate", "--gold", str(GOLD), "--pred", str(pred), "--json")
    assert result.returncode == 2
    error = json.loads(result.stderr.strip().splitlines()[-1])["error"]
    assert (error["where"]["file"], error["where"]["line"]) == (str(pred), 3)
    assert "malformed JSON" in error["message"]
    assert "Traceback" not in result.stderr

    human = bulle("text", "evaluate", "--gold", str(GOLD), "--pred", str(pred))
    assert human.returncode == 2
    assert f"{pred}, line 3" in human.stderr
    assert "Traceback" not in human.stderr


def test_missing_gold_file(cli_ready: None, tmp_path: Path) -> None:
    result = bulle(
        "text", "evaluate", "--gold", str(tmp_path / "absent.jsonl"), "--pred", str(GOLD), "--json"
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_detect_then_evaluate_on_the_gold_set(tmp_path: Path) -> None:
    """The whole loop a user runs; prints the figures (visible with -s)."""
    assert registered("text") and registered("text", "detect") and registered("text", "evaluate")
    pred = tmp_path / "pred.jsonl"
    detect = bulle("text", "detect", "--input", str(GOLD), "--output", str(pred), timeout=900)
    assert detect.returncode == 0, detect.stderr
    result = bulle("text", "evaluate", "--gold", str(GOLD), "--pred", str(pred))
    assert result.returncode == 0, result.stderr
    sys.stdout.write("\n" + result.stdout)
    as_json = bulle("text", "evaluate", "--gold", str(GOLD), "--pred", str(pred), "--json")
    report = report_of(as_json.stdout)
    assert report["documents"] == len(gold_records())
    assert report["documents_without_prediction"] == 0
