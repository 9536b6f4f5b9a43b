"""`bulle text` in subprocesses, as users and the checks run it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

DOCS = [
    {
        "id": "a",
        "text": "[M. Dupont] Bonjour, je suis Jean Dupont, né le 27 mars 1961 à Lyon.",
        "entities": [{"start": 0, "end": 1, "label": "EMAIL"}],
    },
    {
        "id": "b",
        "text": "Mme Claire Lefèvre travaille à la SNCF. Tél. 06 39 98 72 15.",
        "entities": [],
    },
    {"id": "c", "text": "", "entities": []},
]


def bulle(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bulle", *args], capture_output=True, text=True, cwd=cwd, timeout=600
    )


@pytest.fixture(scope="module")
def detected(tmp_path_factory):
    d = tmp_path_factory.mktemp("detect")
    inp, out = d / "in.jsonl", d / "out.jsonl"
    inp.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in DOCS), encoding="utf-8"
    )
    r = bulle("text", "detect", "--input", str(inp), "--output", str(out), "--json")
    return d, r, out


def test_detect_writes_the_records_with_predicted_entities(detected):
    _d, r, out = detected
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)
    assert summary["documents"] == 3
    recs = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [x["id"] for x in recs] == ["a", "b", "c"]
    assert [x["text"] for x in recs] == [x["text"] for x in DOCS]
    found = {(x["text"][e["start"] : e["end"]], e["label"]) for x in recs for e in x["entities"]}
    assert {
        ("Dupont", "PERSON"),
        ("Jean Dupont", "PERSON"),
        ("27 mars 1961", "DATE"),
        ("Lyon", "LOCATION"),
        ("Claire Lefèvre", "PERSON"),
        ("SNCF", "ORGANIZATION"),
        ("06 39 98 72 15", "PHONE"),
    } <= found
    assert ("[", "EMAIL") not in found  # existing entities are ignored
    assert recs[2]["entities"] == []


def test_evaluate_scores_predictions_against_gold(detected):
    d, _, out = detected
    gold = d / "gold.jsonl"
    gold.write_text(
        json.dumps(
            {
                "id": "b",
                "text": DOCS[1]["text"],
                "entities": [{"start": 4, "end": 18, "label": "PERSON"}],
            },
            ensure_ascii=False,
        )
        + "\n",
        encoding="utf-8",
    )
    pred = d / "pred_b.jsonl"
    pred.write_text(
        next(
            ln for ln in out.read_text(encoding="utf-8").splitlines() if json.loads(ln)["id"] == "b"
        )
        + "\n",
        encoding="utf-8",
    )
    r = bulle("text", "evaluate", "--gold", str(gold), "--pred", str(pred), "--json")
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert isinstance(report, dict) and report


def test_deidentify_jsonl_with_placeholders_and_a_text_file_with_pseudonyms(tmp_path):
    inp = tmp_path / "in.jsonl"
    inp.write_text(
        json.dumps({"id": 1, "note": "M. Jean Dupont a vu Dupont à Lyon."}, ensure_ascii=False)
        + "\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    r = bulle(
        "text",
        "deidentify",
        "--input",
        str(inp),
        "--output",
        str(out),
        "--operator",
        "placeholder",
        "--text-field",
        "note",
        "--json",
    )
    assert r.returncode == 0, r.stderr
    rec = json.loads(out.read_text(encoding="utf-8"))
    assert rec == {"id": 1, "note": "M. <PERSON_1> a vu <PERSON_1> à <LOCATION_1>."}

    txt = tmp_path / "lettre.txt"
    txt.write_text("Mme Claire Lefèvre, 12 rue des Lilas, 75011 Paris.\n", encoding="utf-8")
    key = tmp_path / "key"
    key.write_bytes(b"0123456789abcdef0123456789abcdef")
    outs = []
    for i in range(2):
        o = tmp_path / f"lettre{i}.txt"
        r = bulle(
            "text",
            "deidentify",
            "--input",
            str(txt),
            "--output",
            str(o),
            "--operator",
            "pseudonym",
            "--key-file",
            str(key),
        )
        assert r.returncode == 0, r.stderr
        outs.append(o.read_text(encoding="utf-8"))
    assert outs[0] == outs[1]  # same key, same surrogates
    assert "Claire" not in outs[0] and "Lilas" not in outs[0] and outs[0].startswith("Mme ")


def test_malformed_jsonl_line_is_named_without_traceback(tmp_path):
    inp = tmp_path / "bad.jsonl"
    inp.write_text('{"id": 1, "text": "ok"}\n{"id": 2, "text": "oops"\n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    r = bulle("text", "detect", "--input", str(inp), "--output", str(out), "--json")
    assert r.returncode == 2
    err = json.loads(r.stderr.strip().splitlines()[-1])["error"]
    assert err["code"] == "bad_input" and err["where"]["line"] == 2
    assert "Traceback" not in r.stderr
    assert not out.exists()

    r = bulle("text", "deidentify", "--input", str(inp), "--output", str(out), "--operator", "mask")
    assert r.returncode == 2 and "line 2" in r.stderr and "Traceback" not in r.stderr


def test_help_lists_the_text_commands():
    r = bulle("text", "--help")
    assert r.returncode == 0
    for cmd in ("detect", "deidentify", "evaluate"):
        assert cmd in r.stdout


@pytest.mark.parametrize("operator", ["pseudonym", "placeholder"])
def test_deidentify_touching_entities_of_one_kind(tmp_path, operator):
    """Two e-mails, two phones, two dates side by side: each is replaced, and the whole file is
    written (the anonymizer once merged such spans and the run stopped with a bug exit)."""
    text = (
        "Écrire à jean.martin@exemple.fr claire.durand@exemple.fr ou appeler le "
        "06 39 98 72 15 06 39 98 72 16, vu le 3 mars 2021 12 avril 2022."
    )
    inp, out = tmp_path / "in.txt", tmp_path / "out.txt"
    inp.write_text(text, encoding="utf-8")
    r = bulle(
        "text",
        "deidentify",
        "--input",
        str(inp),
        "--output",
        str(out),
        "--operator",
        operator,
        "--json",
    )
    assert r.returncode == 0, r.stderr
    written = out.read_text(encoding="utf-8")
    for original in (
        "jean.martin@exemple.fr",
        "claire.durand@exemple.fr",
        "06 39 98 72 15",
        "06 39 98 72 16",
        "3 mars 2021",
        "12 avril 2022",
    ):
        assert original not in written
    if operator == "placeholder":
        assert "<EMAIL_1> <EMAIL_2>" in written and "<PHONE_1> <PHONE_2>" in written
