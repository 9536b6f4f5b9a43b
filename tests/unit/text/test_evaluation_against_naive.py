"""The interval arithmetic of the evaluation agrees with a naive character-by-character count on
random spans, including overlapping, nested and touching ones."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bulle.text.evaluation import evaluate

N = 40
LABELS = ("PERSON", "DATE", "LOCATION")


@st.composite
def spans(draw: st.DrawFn) -> list[dict]:
    out = []
    for _ in range(draw(st.integers(0, 6))):
        start = draw(st.integers(0, N - 1))
        end = draw(st.integers(start + 1, N))
        out.append({"start": start, "end": end, "label": draw(st.sampled_from(LABELS))})
    return out


def chars(entities: list[dict], label: str | None = None) -> set[int]:
    return {i for e in entities if label in (None, e["label"]) for i in range(e["start"], e["end"])}


def overlaps(a: dict, b: dict) -> bool:
    return a["start"] < b["end"] and b["start"] < a["end"]


def unique(entities: list[dict]) -> list[dict]:
    return [dict(t) for t in {tuple(sorted(e.items())) for e in entities}]


@given(spans(), spans())
def test_matches_naive_counts(gold: list[dict], pred: list[dict]) -> None:
    text = "x" * N
    report = evaluate(
        [{"id": 1, "text": text, "entities": gold}], [{"id": 1, "text": text, "entities": pred}]
    )
    gold, pred = unique(gold), unique(pred)
    g_chars, p_chars = chars(gold), chars(pred)
    red = report["redaction"]
    assert red["gold_chars"] == len(g_chars)
    assert red["covered_chars"] == len(g_chars & p_chars)
    assert report["over_redaction"]["pred_chars"] == len(p_chars)
    assert report["over_redaction"]["outside_chars"] == len(p_chars - g_chars)
    for label in {e["label"] for e in gold + pred}:
        g = [e for e in gold if e["label"] == label]
        p = [e for e in pred if e["label"] == label]
        ov = report["overlap"]["per_label"][label]
        assert ov["gold_found"] == sum(any(overlaps(x, y) for y in p) for x in g)
        assert ov["pred_correct"] == sum(any(overlaps(y, x) for x in g) for y in p)
        ex = report["exact"]["per_label"][label]
        assert ex["tp"] == sum(x in p for x in g)
        assert ex["recall"] is None or ov["recall"] >= ex["recall"]
    for label, row in red["per_label"].items():
        g = [e for e in gold if e["label"] == label]
        masked = sum(set(range(e["start"], e["end"])) <= p_chars for e in g)
        assert row["fully_masked"] == masked
        assert row["covered_chars"] == sum(
            len(set(range(e["start"], e["end"])) & p_chars) for e in g
        )


@given(spans())
def test_gold_against_itself_is_perfect(gold: list[dict]) -> None:
    text = "x" * N
    doc = {"id": "d", "text": text, "entities": gold}
    report = evaluate([doc], [doc])
    expected = 1.0 if gold else None
    assert report["exact"]["micro"]["f1"] == expected
    assert report["overlap"]["micro"]["f1"] == expected
    assert report["redaction"]["recall"] == expected
    assert report["over_redaction"]["outside_chars"] == 0
