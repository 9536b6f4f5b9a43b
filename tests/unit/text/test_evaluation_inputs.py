"""Bad gold and prediction files give one clear error naming the file and the line, never a crash."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bulle.errors import InputError, ValidationError
from bulle.text.evaluation import MAX_PROBLEMS, evaluate, evaluate_files

TEXT = "Mme Rose Leclerc, née le 2 mai 1950."
GOOD = {"id": "a", "text": TEXT, "entities": [{"start": 4, "end": 16, "label": "PERSON"}]}


def write(path: Path, lines: list[object]) -> Path:
    """Write records (dicts are dumped as JSON, str and bytes written as they are)."""
    with path.open("wb") as f:
        for line in lines:
            if isinstance(line, bytes):
                f.write(line + b"\n")
            elif isinstance(line, str):
                f.write(line.encode() + b"\n")
            else:
                f.write(json.dumps(line, ensure_ascii=False).encode() + b"\n")
    return path


def with_entity(**fields: object) -> dict:
    return {"id": "a", "text": TEXT, "entities": [fields]}


BAD_PRED = [
    pytest.param(['{"id": "a", "text": '], 1, "malformed JSON", id="malformed-json"),
    pytest.param(
        [b'{"id": "a", "text": "caf\xe9", "entities": []}'], 1, "invalid UTF-8", id="invalid-utf8"
    ),
    pytest.param(["[1, 2]"], 1, "expected a JSON object", id="not-an-object"),
    pytest.param([{"id": "a", "entities": []}], 1, "missing field 'text'", id="missing-text"),
    pytest.param([{"text": TEXT, "entities": []}], 1, "missing field 'id'", id="missing-id"),
    pytest.param([{"id": "a", "text": TEXT}], 1, "missing field 'entities'", id="missing-entities"),
    pytest.param(
        [{"id": "a", "text": 3, "entities": []}], 1, "'text' must be a string", id="text-not-string"
    ),
    pytest.param(
        [{"id": 1.5, "text": TEXT, "entities": []}], 1, "'id' must be a string", id="id-float"
    ),
    pytest.param(
        [{"id": "a", "text": TEXT, "entities": {}}],
        1,
        "'entities' must be a list",
        id="entities-not-list",
    ),
    pytest.param(
        [with_entity(start=-1, end=3, label="PERSON")], 1, "negative", id="start-negative"
    ),
    pytest.param(
        [with_entity(start=4, end=99, label="PERSON")],
        1,
        "beyond the text length",
        id="end-beyond-text",
    ),
    pytest.param(
        [with_entity(start=5, end=5, label="PERSON")], 1, "not before its end", id="empty-span"
    ),
    pytest.param(
        [with_entity(start=6, end=5, label="PERSON")], 1, "not before its end", id="reversed-span"
    ),
    pytest.param(
        [with_entity(start="4", end=16, label="PERSON")],
        1,
        "start must be an integer",
        id="start-string",
    ),
    pytest.param([with_entity(start=4, end=16)], 1, "misses label", id="entity-without-label"),
    pytest.param([with_entity(start=4, end=16, label="")], 1, "non-empty string", id="empty-label"),
    pytest.param(
        [{"id": "a", "text": TEXT, "entities": ["PERSON"]}],
        1,
        "must be an object",
        id="entity-not-object",
    ),
    pytest.param(
        [GOOD, "", dict(GOOD)], 3, "duplicate id 'a' (first seen at line 1)", id="duplicate-id"
    ),
    pytest.param(
        [{"id": "zz", "text": TEXT, "entities": []}],
        1,
        "id 'zz' is not in the gold set",
        id="unknown-id",
    ),
    pytest.param(
        [{"id": "a", "text": TEXT.replace("Rose", "Rosa"), "entities": []}],
        1,
        "differs from the gold text (first difference at character 7)",
        id="text-differs",
    ),
]


@pytest.mark.parametrize(("lines", "line", "message"), BAD_PRED)
def test_bad_prediction_file_names_file_and_line(
    tmp_path: Path, lines: list, line: int, message: str
) -> None:
    gold = write(tmp_path / "gold.jsonl", [GOOD])
    pred = write(tmp_path / "pred.jsonl", lines)
    with pytest.raises(InputError) as info:
        evaluate_files(gold, pred)
    err = info.value
    assert err.where.file == str(pred)
    assert err.where.line == line
    assert message in str(err)


def test_every_problem_of_both_files_is_reported_at_once(tmp_path: Path) -> None:
    gold = write(tmp_path / "gold.jsonl", [GOOD, "{oops", {"id": "b", "text": "x"}])
    pred = write(tmp_path / "pred.jsonl", [with_entity(start=0, end=100, label="DATE")])
    with pytest.raises(ValidationError) as info:
        evaluate_files(gold, pred)
    found = {(Path(p.where.file).name, p.where.line) for p in info.value.problems}
    assert found == {("gold.jsonl", 2), ("gold.jsonl", 3), ("pred.jsonl", 1)}
    assert "3 problems" in str(info.value)
    payload = info.value.to_dict()
    assert payload["code"] == "invalid" and len(payload["problems"]) == 3


def test_a_very_broken_file_is_summarised(tmp_path: Path) -> None:
    gold = write(tmp_path / "gold.jsonl", ["not json"] * (MAX_PROBLEMS + 5))
    pred = write(tmp_path / "pred.jsonl", [])
    with pytest.raises(ValidationError) as info:
        evaluate_files(gold, pred)
    assert len(info.value.problems) == MAX_PROBLEMS + 1
    assert "5 more problems" in info.value.problems[-1].message
    assert info.value.where.file == str(gold)


def test_missing_gold_file(tmp_path: Path) -> None:
    absent = tmp_path / "absent.jsonl"
    with pytest.raises(InputError, match="no such file") as info:
        evaluate_files(absent, write(tmp_path / "pred.jsonl", [GOOD]))
    assert info.value.where.file == str(absent)


def test_missing_prediction_file(tmp_path: Path) -> None:
    absent = tmp_path / "absent.jsonl"
    with pytest.raises(InputError, match="no such file") as info:
        evaluate_files(write(tmp_path / "gold.jsonl", [GOOD]), absent)
    assert info.value.where.file == str(absent)


def test_directory_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a directory"):
        evaluate_files(tmp_path, tmp_path)


def test_blank_lines_bom_and_crlf_are_accepted(tmp_path: Path) -> None:
    body = json.dumps(GOOD, ensure_ascii=False).encode()
    gold = tmp_path / "gold.jsonl"
    gold.write_bytes(b"\xef\xbb\xbf" + body + b"\r\n\r\n")
    pred = write(tmp_path / "pred.jsonl", ["", GOOD, "   "])
    report = evaluate_files(gold, pred)
    assert report["exact"]["micro"]["f1"] == 1.0
    assert report["files"] == {"gold": str(gold), "pred": str(pred)}


def test_empty_files_give_an_empty_report(tmp_path: Path) -> None:
    report = evaluate_files(write(tmp_path / "g.jsonl", []), write(tmp_path / "p.jsonl", []))
    assert report["documents"] == 0
    assert report["exact"]["micro"]["f1"] is None


def test_in_memory_documents_are_validated_too() -> None:
    with pytest.raises(InputError) as info:
        evaluate([GOOD], [GOOD, with_entity(start=0, end=999, label="PERSON")])
    problems = info.value.problems or [info.value]
    assert any(p.where.file == "<pred>" and p.where.line == 2 for p in problems)


def test_bool_offsets_and_ids_are_rejected() -> None:
    with pytest.raises(InputError, match="start must be an integer"):
        evaluate([with_entity(start=True, end=3, label="PERSON")], [])
    with pytest.raises(InputError, match="'id' must be a string or an integer"):
        evaluate([{"id": False, "text": "", "entities": []}], [])


def test_extra_fields_are_ignored() -> None:
    pred = {**GOOD, "meta": 1, "entities": [{**GOOD["entities"][0], "score": 0.9, "text": "x"}]}
    assert evaluate([GOOD], [pred])["exact"]["micro"]["tp"] == 1
