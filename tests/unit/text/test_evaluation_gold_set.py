"""The committed development gold set is well-formed, in sync with its annotated source, and its
identifiers pass their checksums (checked here with code independent of the build script)."""

from __future__ import annotations

import importlib.util
import itertools
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from bulle.text.evaluation import evaluate_files

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "text"
GOLD = FIXTURES / "dev_gold.jsonl"
LABELS = {
    "PERSON",
    "LOCATION",
    "ORGANIZATION",
    "DATE",
    "EMAIL",
    "PHONE",
    "NIR",
    "IBAN",
    "SIREN",
    "SIRET",
    "CREDIT_CARD",
    "IP_ADDRESS",
    "URL",
    "LICENSE_PLATE",
    "RECORD_ID",
}
TITLES = ("M.", "Mme", "Mlle", "Dr", "Pr", "Me", "Docteur", "Madame", "Monsieur", "Maître")


def records() -> list[dict]:
    return [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line]


def surfaces(label: str) -> list[str]:
    return [
        r["text"][e["start"] : e["end"]]
        for r in records()
        for e in r["entities"]
        if e["label"] == label
    ]


def compact(s: str) -> str:
    return re.sub(r"[\s.\-]", "", s).upper()


def luhn(number: str) -> bool:
    total = 0
    for i, c in enumerate(reversed(number)):
        d = int(c) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def nir_key_ok(s: str) -> bool:
    v = compact(s)
    dept = {"2A": "19", "2B": "18"}.get(v[5:7], v[5:7])
    body = v[:5] + dept + v[7:13]
    return len(v) == 15 and body.isdigit() and int(v[13:]) == 97 - int(body) % 97


def nir_shaped(s: str) -> bool:
    v = compact(s)
    body = v[:5] + {"2A": "19", "2B": "18"}.get(v[5:7], v[5:7]) + v[7:13]
    return len(v) == 15 and body.isdigit() and v[13:].isdigit()


def test_a_mistyped_nir_is_annotated() -> None:
    """A NIR typed with a wrong key identifies its holder as well as a correct one."""
    assert "2 64 05 2B 033 012 21" in surfaces("NIR")
    assert not nir_key_ok("2 64 05 2B 033 012 21")


def iban_ok(s: str) -> bool:
    v = compact(s)
    n = int("".join(str(int(c, 36)) for c in v[4:] + v[:4]))
    return v[:2] == "FR" and len(v) == 27 and n % 97 == 1


def test_gold_file_is_valid_for_the_evaluator() -> None:
    report = evaluate_files(GOLD, GOLD)
    assert report["exact"]["micro"]["f1"] == 1.0
    assert report["redaction"]["recall"] == 1.0
    assert report["over_redaction"]["outside_chars"] == 0


def test_gold_has_enough_entities_of_every_kind() -> None:
    counts = Counter(e["label"] for r in records() for e in r["entities"])
    assert sum(counts.values()) >= 300
    assert set(counts) == LABELS
    assert counts["PERSON"] >= 150 and counts["LOCATION"] >= 80 and counts["DATE"] >= 80


def test_offsets_labels_and_no_overlap() -> None:
    ids = [r["id"] for r in records()]
    assert len(ids) == len(set(ids))
    for r in records():
        spans = sorted((e["start"], e["end"], e["label"]) for e in r["entities"])
        for s, e, label in spans:
            assert 0 <= s < e <= len(r["text"]), (r["id"], s, e)
            assert label in LABELS
            surface = r["text"][s:e]
            assert surface == surface.strip(), (r["id"], surface)
        for (_, end1, _), (start2, _, _) in itertools.pairwise(spans):
            assert end1 <= start2, (r["id"], end1, start2)


def test_titles_are_outside_person_spans() -> None:
    for name in surfaces("PERSON"):
        assert not name.startswith(tuple(t + " " for t in TITLES)), name


@pytest.mark.parametrize(
    ("label", "check"),
    [
        ("NIR", nir_shaped),
        ("IBAN", iban_ok),
        ("SIREN", lambda s: len(compact(s)) == 9 and luhn(compact(s))),
        ("SIRET", lambda s: len(compact(s)) == 14 and luhn(compact(s))),
        ("CREDIT_CARD", lambda s: len(compact(s)) == 16 and luhn(compact(s))),
    ],
)
def test_identifiers_have_valid_checksums(label: str, check) -> None:
    values = surfaces(label)
    assert values
    for value in values:
        assert check(value), value


def test_corsican_nirs_are_present() -> None:
    assert any(d in compact(v) for v in surfaces("NIR") for d in ("2A", "2B"))


@pytest.mark.parametrize(
    "decoy",
    [
        "4970 1010 7488 7527",  # Luhn fails: a batch reference, not a card
        "3400935955838",  # a drug's CIP code
        "10.4.2.17",  # a software version
    ],
)
def test_decoys_are_present_and_not_annotated(decoy: str) -> None:
    hits = 0
    for r in records():
        for m in re.finditer(re.escape(decoy), r["text"]):
            hits += 1
            assert not any(e["start"] < m.end() and m.start() < e["end"] for e in r["entities"])
    assert hits


def test_checksum_helpers_reject_bad_values() -> None:
    # the checks above would be worthless if they accepted anything
    assert not iban_ok("FR76 3000 4008 2700 0123 4567 857")
    assert not luhn("4970101074887527")


def test_committed_file_matches_its_annotated_source() -> None:
    spec = importlib.util.spec_from_file_location("build_dev_gold", FIXTURES / "build_dev_gold.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.build() == records(), "run tests/fixtures/text/build_dev_gold.py"


def test_readme_counts_match_the_file() -> None:
    readme = (FIXTURES / "README.md").read_text(encoding="utf-8")
    documented = {label: int(n) for label, n in re.findall(r"\| ([A-Z_]+) \| (\d+) \|", readme)}
    counts = Counter(e["label"] for r in records() for e in r["entities"])
    assert documented == dict(counts)
    assert f"with {sum(counts.values())} hand-annotated entities" in readme
    assert f"{len(records())} documents" in readme
