"""Metrics of the text evaluation on tiny cases whose figures were computed by hand.

Each case gives gold and predicted spans on one (or more) documents and the values expected at a
few paths of the report; a path is a tuple of keys into the report dictionary.
"""

from __future__ import annotations

import pytest

from bulle.text.evaluation import evaluate, render_report

TEXT = "Jean Dupont habite 12 rue des Lilas à Paris depuis le 3 mars 2021."
# positions: "Jean" 0-4, "Dupont" 5-11, "12 rue des Lilas" 19-35, "Paris" 38-43,
#            "3 mars 2021" 54-65


def ent(start: int, end: int, label: str) -> dict:
    return {"start": start, "end": end, "label": label}


def doc(entities: list[dict], text: str = TEXT, doc_id: str = "d1") -> dict:
    return {"id": doc_id, "text": text, "entities": entities}


def at(report: dict, path: tuple) -> object:
    for key in path:
        report = report[key]
    return report


PERSON = ent(0, 11, "PERSON")
ADDRESS = ent(19, 43, "LOCATION")
DATE = ent(54, 65, "DATE")

CASES = [
    pytest.param(
        [PERSON, ADDRESS, DATE],
        [PERSON, ADDRESS, DATE],
        {
            ("exact", "micro", "precision"): 1.0,
            ("exact", "micro", "recall"): 1.0,
            ("exact", "micro", "f1"): 1.0,
            ("overlap", "micro", "f1"): 1.0,
            ("redaction", "recall"): 1.0,
            ("over_redaction", "share"): 0.0,
            ("over_redaction", "outside_chars"): 0,
            ("person_fully_masked", "share"): 1.0,
        },
        id="perfect",
    ),
    pytest.param(
        # "Dupont" only: not exact, but overlaps; 6 of 11 person characters covered.
        [PERSON],
        [ent(5, 11, "PERSON")],
        {
            ("exact", "per_label", "PERSON", "tp"): 0,
            ("exact", "per_label", "PERSON", "fp"): 1,
            ("exact", "per_label", "PERSON", "fn"): 1,
            ("exact", "per_label", "PERSON", "f1"): 0.0,
            ("overlap", "per_label", "PERSON", "precision"): 1.0,
            ("overlap", "per_label", "PERSON", "recall"): 1.0,
            ("redaction", "recall"): 6 / 11,
            ("redaction", "covered_chars"): 6,
            ("person_fully_masked", "fully_masked"): 0,
            ("person_fully_masked", "share"): 0.0,
        },
        id="partial-overlap",
    ),
    pytest.param(
        # Right span, wrong label: nothing found in either entity mode, all characters redacted.
        [PERSON],
        [ent(0, 11, "ORGANIZATION")],
        {
            ("exact", "per_label", "PERSON", "recall"): 0.0,
            ("exact", "per_label", "PERSON", "precision"): None,
            ("exact", "per_label", "ORGANIZATION", "precision"): 0.0,
            ("exact", "per_label", "ORGANIZATION", "recall"): None,
            ("exact", "per_label", "ORGANIZATION", "f1"): 0.0,
            ("overlap", "micro", "precision"): 0.0,
            ("overlap", "micro", "recall"): 0.0,
            ("redaction", "recall"): 1.0,
            ("person_fully_masked", "share"): 1.0,
            ("labels",): ["ORGANIZATION", "PERSON"],
        },
        id="label-mismatch",
    ),
    pytest.param(
        # Two predictions on one gold entity ("Jean" and "Dupont"): both correct in overlap mode,
        # one gold found; the space between them stays visible, so not fully masked.
        [PERSON],
        [ent(0, 4, "PERSON"), ent(5, 11, "PERSON")],
        {
            ("overlap", "per_label", "PERSON", "gold_found"): 1,
            ("overlap", "per_label", "PERSON", "pred_correct"): 2,
            ("overlap", "per_label", "PERSON", "precision"): 1.0,
            ("overlap", "per_label", "PERSON", "recall"): 1.0,
            ("exact", "per_label", "PERSON", "fp"): 2,
            ("redaction", "covered_chars"): 10,
            ("person_fully_masked", "fully_masked"): 0,
        },
        id="split-prediction",
    ),
    pytest.param(
        # Adjacent predictions of different labels together cover the whole person.
        [PERSON],
        [ent(0, 5, "LOCATION"), ent(5, 11, "PERSON")],
        {
            ("person_fully_masked", "fully_masked"): 1,
            ("redaction", "recall"): 1.0,
            ("overlap", "per_label", "PERSON", "recall"): 1.0,
            ("overlap", "per_label", "LOCATION", "precision"): 0.0,
            ("over_redaction", "outside_chars"): 0,
        },
        id="fully-masked-by-two-labels",
    ),
    pytest.param(
        # One prediction spanning two gold entities of its label: both found, one prediction.
        [ent(0, 4, "PERSON"), ent(5, 11, "PERSON")],
        [ent(0, 11, "PERSON")],
        {
            ("overlap", "per_label", "PERSON", "gold_found"): 2,
            ("overlap", "per_label", "PERSON", "pred_correct"): 1,
            ("overlap", "per_label", "PERSON", "recall"): 1.0,
            ("exact", "per_label", "PERSON", "recall"): 0.0,
            ("over_redaction", "outside_chars"): 1,
            ("over_redaction", "share"): 1 / 11,
            ("redaction", "gold_chars"): 10,
            ("person_fully_masked", "share"): 1.0,
        },
        id="one-prediction-two-gold",
    ),
    pytest.param(
        # Over-redaction: " habite " (8 characters, 11-19) is outside every gold entity.
        [PERSON],
        [ent(0, 19, "PERSON")],
        {
            ("over_redaction", "pred_chars"): 19,
            ("over_redaction", "outside_chars"): 8,
            ("over_redaction", "share"): 8 / 19,
            ("overlap", "micro", "precision"): 1.0,
            ("exact", "micro", "precision"): 0.0,
        },
        id="over-redaction",
    ),
    pytest.param(
        # Touching but not overlapping (end is exclusive): no match, no coverage.
        [ent(5, 11, "PERSON")],
        [ent(0, 5, "PERSON"), ent(11, 12, "PERSON")],
        {
            ("overlap", "per_label", "PERSON", "gold_found"): 0,
            ("overlap", "per_label", "PERSON", "pred_correct"): 0,
            ("redaction", "covered_chars"): 0,
            ("over_redaction", "share"): 1.0,
        },
        id="touching-is-not-overlap",
    ),
    pytest.param(
        # Nothing predicted: precision undefined (None), recall and F1 0.
        [PERSON, DATE],
        [],
        {
            ("exact", "micro", "precision"): None,
            ("exact", "micro", "recall"): 0.0,
            ("exact", "micro", "f1"): 0.0,
            ("overlap", "micro", "precision"): None,
            ("redaction", "recall"): 0.0,
            ("over_redaction", "share"): None,
            ("over_redaction", "pred_chars"): 0,
        },
        id="nothing-predicted",
    ),
    pytest.param(
        # No gold entity: recall undefined, precision 0, F1 0; no redaction recall.
        [],
        [DATE],
        {
            ("exact", "micro", "recall"): None,
            ("exact", "micro", "precision"): 0.0,
            ("exact", "micro", "f1"): 0.0,
            ("redaction", "recall"): None,
            ("over_redaction", "share"): 1.0,
            ("person_fully_masked", "share"): None,
        },
        id="nothing-to-find",
    ),
    pytest.param(
        # Nothing on either side: every ratio undefined, every count 0.
        [],
        [],
        {
            ("exact", "micro", "f1"): None,
            ("overlap", "micro", "precision"): None,
            ("redaction", "recall"): None,
            ("over_redaction", "share"): None,
            ("labels",): [],
            ("exact", "micro", "gold"): 0,
        },
        id="both-empty",
    ),
    pytest.param(
        # A duplicated prediction is one claim, not two.
        [PERSON],
        [PERSON, dict(PERSON)],
        {("exact", "micro", "pred"): 1, ("exact", "micro", "precision"): 1.0},
        id="duplicate-prediction",
    ),
    pytest.param(
        # Micro averages pool counts: PERSON 1/1 exact, DATE 0/1 (one character short).
        [PERSON, DATE],
        [PERSON, ent(54, 64, "DATE")],
        {
            ("exact", "micro", "tp"): 1,
            ("exact", "micro", "precision"): 0.5,
            ("exact", "micro", "recall"): 0.5,
            ("overlap", "micro", "f1"): 1.0,
            ("redaction", "covered_chars"): 21,
            ("redaction", "gold_chars"): 22,
            ("redaction", "per_label", "DATE", "fully_masked"): 0,
        },
        id="micro-pools-counts",
    ),
]


@pytest.mark.parametrize(("gold", "pred", "expected"), CASES)
def test_metrics(gold: list[dict], pred: list[dict], expected: dict) -> None:
    report = evaluate([doc(gold)], [doc(pred)])
    for path, value in expected.items():
        got = at(report, path)
        if isinstance(value, float):
            assert got == pytest.approx(value), path
        else:
            assert got == value, path


def test_precision_and_recall_differ_in_overlap_mode() -> None:
    # Three gold persons, one long prediction over the first two: P = 1/1, R = 2/3.
    gold = [ent(0, 4, "PERSON"), ent(5, 11, "PERSON"), ent(38, 43, "PERSON")]
    pred = [ent(0, 11, "PERSON")]
    row = evaluate([doc(gold)], [doc(pred)])["overlap"]["per_label"]["PERSON"]
    assert (row["precision"], row["recall"]) == (1.0, pytest.approx(2 / 3))
    assert row["f1"] == pytest.approx(2 * 1.0 * (2 / 3) / (1 + 2 / 3))
    assert (row["fp"], row["fn"]) == (0, 1)


def test_documents_are_matched_by_id_not_position() -> None:
    other = "Appeler Marie."
    gold = [doc([PERSON]), doc([ent(8, 13, "PERSON")], text=other, doc_id="d2")]
    pred = [doc([ent(8, 13, "PERSON")], text=other, doc_id="d2"), doc([PERSON])]
    report = evaluate(gold, pred)
    assert report["exact"]["micro"]["f1"] == 1.0
    assert report["documents"] == 2


def test_gold_document_without_prediction_counts_as_nothing_predicted() -> None:
    other = "Appeler Marie."
    gold = [doc([PERSON]), doc([ent(8, 13, "PERSON")], text=other, doc_id="d2")]
    report = evaluate(gold, [doc([PERSON])])
    assert report["documents_without_prediction"] == 1
    assert report["exact"]["micro"]["recall"] == 0.5
    assert "1 gold documents have no prediction" in render_report(report)


def test_empty_document_is_scored() -> None:
    report = evaluate([doc([], text="")], [doc([], text="")])
    assert report["documents"] == 1
    assert report["redaction"]["recall"] is None


def test_offsets_are_code_points() -> None:
    # An emoji outside the BMP is one code point: "Zoé" starts at 2, not 3.
    text = "😀 Zoé"
    gold = [doc([ent(2, 5, "PERSON")], text=text)]
    report = evaluate(gold, [doc([ent(2, 5, "PERSON")], text=text)])
    assert report["exact"]["micro"]["tp"] == 1
    assert report["redaction"]["gold_chars"] == 3


def test_render_report_shows_every_label_and_the_summary() -> None:
    report = evaluate([doc([PERSON, DATE])], [doc([ent(5, 11, "PERSON")])])
    text = render_report(report)
    for needle in (
        "PERSON",
        "DATE",
        "micro",
        "redaction recall",
        "over-redaction",
        "persons fully masked",
        "27.3 %",
    ):
        assert needle in text, needle
    # undefined precision of DATE (nothing predicted) shows as "-", not as 0
    date_line = next(line for line in text.splitlines() if line.startswith("DATE"))
    assert date_line.split()[3] == "-"
