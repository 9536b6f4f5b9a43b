"""Scoring of text de-identification against a hand-annotated gold set.

Why this exists: a detector is only as good as its measured recall on real text, and the figures
must mean the same thing from one run to the next. Every metric is defined once here (and in
``docs/text-evaluation.md``); the CLI (``bulle text evaluate``) and the benchmarks only call it.

Two views of the same predictions are scored, because they answer different questions:

* entity metrics (exact spans, then character overlap) say whether the detector *understands*
  which kind of personal data it found;
* character metrics (redaction recall, over-redaction, names fully masked) say whether the
  personal data is actually *gone* after redaction, whatever the label, and how much harmless text
  was destroyed on the way.

Offsets are Unicode code points (Python ``str`` indices), end exclusive. Identical
``(start, end, label)`` triples within one document are counted once. A ratio whose denominator is
zero is ``None`` (null in JSON): "nothing to measure" is not the same as "0 %".
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from bulle.errors import InputError, Problem, ValidationError, Where

PERSON = "PERSON"
MAX_PROBLEMS = 100  # beyond this, a broken file is summarised rather than listed line by line

Span = tuple[int, int, str]


# --------------------------------------------------------------------------------------------
# Reading and validating documents
# --------------------------------------------------------------------------------------------


class _Problems:
    """Collects problems, keeping the first MAX_PROBLEMS and counting the rest."""

    def __init__(self) -> None:
        self.items: list[Problem] = []
        self.dropped = 0

    def add(self, message: str, where: Where) -> None:
        if len(self.items) < MAX_PROBLEMS:
            self.items.append(Problem(message, where))
        else:
            self.dropped += 1

    def raise_if_any(self, what: str) -> None:
        if not self.items:
            return
        if len(self.items) == 1 and not self.dropped:
            p = self.items[0]
            raise InputError(p.message, where=p.where)
        problems = list(self.items)
        if self.dropped:
            problems.append(Problem(f"... and {self.dropped} more problems not listed"))
        err = ValidationError.from_problems(what, problems)
        files = {p.where.file for p in self.items}
        if len(files) == 1:
            err.where = Where(file=files.pop())
        raise err


def _check_record(obj: Any, where: Where, problems: _Problems) -> dict | None:
    """Validate one document; return it normalised (entities as sorted unique triples) or None."""
    if not isinstance(obj, dict):
        problems.add(f"expected a JSON object, got {type(obj).__name__}", where)
        return None
    ok = True
    for key in ("id", "text", "entities"):
        if key not in obj:
            problems.add(f"missing field {key!r}", where)
            ok = False
    if not ok:
        return None
    doc_id, text, entities = obj["id"], obj["text"], obj["entities"]
    if isinstance(doc_id, bool) or not isinstance(doc_id, str | int):
        problems.add(f"field 'id' must be a string or an integer, got {doc_id!r}", where)
        ok = False
    if not isinstance(text, str):
        problems.add(f"field 'text' must be a string, got {type(text).__name__}", where)
        return None
    if not isinstance(entities, list):
        problems.add(f"field 'entities' must be a list, got {type(entities).__name__}", where)
        return None
    spans: set[Span] = set()
    for i, ent in enumerate(entities):
        span = _check_entity(
            ent, len(text), Where(where.file, where.line, field=f"entities[{i}]"), problems
        )
        if span is None:
            ok = False
        else:
            spans.add(span)
    if not ok:
        return None
    return {"id": doc_id, "text": text, "entities": sorted(spans)}


def _check_entity(ent: Any, n: int, where: Where, problems: _Problems) -> Span | None:
    if not isinstance(ent, dict):
        problems.add("an entity must be an object with start, end and label", where)
        return None
    missing = [k for k in ("start", "end", "label") if k not in ent]
    if missing:
        problems.add(f"entity misses {', '.join(missing)}", where)
        return None
    start, end, label = ent["start"], ent["end"], ent["label"]
    for name, value in (("start", start), ("end", end)):
        if isinstance(value, bool) or not isinstance(value, int):
            problems.add(f"entity {name} must be an integer, got {value!r}", where)
            return None
    if not isinstance(label, str) or not label.strip():
        problems.add(f"entity label must be a non-empty string, got {label!r}", where)
        return None
    if start < 0:
        problems.add(f"entity start {start} is negative", where)
        return None
    if end > n:
        problems.add(f"entity end {end} is beyond the text length {n}", where)
        return None
    if start >= end:
        problems.add(f"entity start {start} is not before its end {end}", where)
        return None
    return (start, end, label)


def _read_jsonl(path: Path, problems: _Problems) -> Iterator[tuple[int, Any]]:
    """Yield (line number, parsed JSON) for each non-blank line; record unreadable lines."""
    name = str(path)
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        raise InputError("no such file", where=Where(file=name)) from None
    except IsADirectoryError:
        raise InputError("is a directory, not a JSONL file", where=Where(file=name)) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", where=Where(file=name)) from None
    with handle:
        for lineno, raw in enumerate(handle, start=1):
            if lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                problems.add(
                    f"invalid UTF-8 at byte {exc.start} of the line", Where(file=name, line=lineno)
                )
                continue
            if not line.strip():
                continue
            try:
                yield lineno, json.loads(line)
            except json.JSONDecodeError as exc:
                problems.add(
                    f"malformed JSON: {exc.msg}", Where(file=name, line=lineno, column=exc.colno)
                )


def _collect(
    records: Iterable[tuple[Where, Any]], problems: _Problems
) -> dict[Any, tuple[Where, dict]]:
    """Validate records and index them by id, reporting duplicates at their second occurrence."""
    docs: dict[Any, tuple[Where, dict]] = {}
    for where, obj in records:
        doc = _check_record(obj, where, problems)
        if doc is None:
            continue
        if doc["id"] in docs:
            first = docs[doc["id"]][0]
            problems.add(f"duplicate id {doc['id']!r} (first seen at line {first.line})", where)
            continue
        docs[doc["id"]] = (where, doc)
    return docs


def _pair(
    gold: dict[Any, tuple[Where, dict]],
    pred: dict[Any, tuple[Where, dict]],
    problems: _Problems,
    gold_name: str,
) -> list[tuple[dict, dict | None]]:
    for doc_id, (where, doc) in pred.items():
        if doc_id not in gold:
            problems.add(f"id {doc_id!r} is not in the gold set {gold_name}", where)
            continue
        gold_text = gold[doc_id][1]["text"]
        if doc["text"] != gold_text:
            problems.add(
                f"the text of id {doc_id!r} differs from the gold text "
                f"(first difference at character {_first_difference(gold_text, doc['text'])})",
                where,
            )
    return [(g, pred[i][1] if i in pred else None) for i, (_, g) in gold.items()]


def _first_difference(a: str, b: str) -> int:
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return i
    return min(len(a), len(b))


def evaluate_files(gold_path: str | Path, pred_path: str | Path) -> dict[str, Any]:
    """Score a prediction JSONL file against a gold JSONL file (see ``evaluate``).

    Every problem in both files is collected first and raised as one error naming each file and
    line, so that a user fixes a broken export in one round rather than one line at a time.
    """
    gold_path, pred_path = Path(gold_path), Path(pred_path)
    problems = _Problems()
    gold = _collect(
        ((Where(file=str(gold_path), line=n), obj) for n, obj in _read_jsonl(gold_path, problems)),
        problems,
    )
    pred = _collect(
        ((Where(file=str(pred_path), line=n), obj) for n, obj in _read_jsonl(pred_path, problems)),
        problems,
    )
    pairs = _pair(gold, pred, problems, str(gold_path))
    problems.raise_if_any("the gold or prediction file is not valid")
    report = _score(pairs)
    report["files"] = {"gold": str(gold_path), "pred": str(pred_path)}
    return report


def evaluate(gold_docs: Iterable[dict], pred_docs: Iterable[dict]) -> dict[str, Any]:
    """Score predicted entities against gold entities, document by document (matched by id).

    A gold document without a prediction counts as one where nothing was predicted (and is counted
    in ``documents_without_prediction``); a predicted id absent from the gold set, a duplicated id
    or a text differing from the gold text is an error, because the scores would silently mean
    something else. Problems name ``<gold>``/``<pred>`` and the 1-based position of the document.
    """
    problems = _Problems()
    gold = _collect(
        ((Where(file="<gold>", line=i), d) for i, d in enumerate(gold_docs, 1)), problems
    )
    pred = _collect(
        ((Where(file="<pred>", line=i), d) for i, d in enumerate(pred_docs, 1)), problems
    )
    pairs = _pair(gold, pred, problems, "<gold>")
    problems.raise_if_any("the gold or predicted documents are not valid")
    return _score(pairs)


# --------------------------------------------------------------------------------------------
# Metrics
# --------------------------------------------------------------------------------------------


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def _f1(precision: float | None, recall: float | None) -> float | None:
    """Harmonic mean; with one side empty and the other not, every item is an error: F1 = 0."""
    if precision is None and recall is None:
        return None
    if precision is None or recall is None:
        return 0.0
    if precision + recall == 0:
        return 0.0
    return 2 * precision * recall / (precision + recall)


def _any_overlap(spans: list[tuple[int, int]], others: list[tuple[int, int]]) -> int:
    """How many of ``spans`` overlap at least one of ``others`` by one character or more."""
    if not spans or not others:
        return 0
    others = sorted(others)
    starts = [s for s, _ in others]
    max_end: list[int] = []
    best = -1
    for _, e in others:
        best = max(best, e)
        max_end.append(best)
    hits = 0
    for s, e in spans:
        k = bisect.bisect_left(starts, e)  # others[:k] start before this span ends
        if k and max_end[k - 1] > s:
            hits += 1
    return hits


def _merge(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Union of half-open intervals as sorted disjoint intervals (touching ones joined)."""
    merged: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            if e > merged[-1][1]:
                merged[-1] = (merged[-1][0], e)
        else:
            merged.append((s, e))
    return merged


def _length(intervals: list[tuple[int, int]]) -> int:
    return sum(e - s for s, e in intervals)


def _intersection(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> int:
    """Characters in both unions (both arguments merged and sorted)."""
    i = j = total = 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if hi > lo:
            total += hi - lo
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return total


def _covered(span: tuple[int, int], merged: list[tuple[int, int]]) -> bool:
    """Whether every character of ``span`` lies in the merged intervals."""
    k = bisect.bisect_right(merged, (span[0], float("inf"))) - 1
    return k >= 0 and merged[k][0] <= span[0] and merged[k][1] >= span[1]


def _score(pairs: list[tuple[dict, dict | None]]) -> dict[str, Any]:
    labels: set[str] = set()
    exact: dict[str, dict[str, int]] = {}
    overlap: dict[str, dict[str, int]] = {}
    chars: dict[str, dict[str, int]] = {}
    totals = {"gold_chars": 0, "covered_chars": 0, "pred_chars": 0, "outside_chars": 0}

    def bucket(table: dict, label: str, keys: tuple[str, ...]) -> dict[str, int]:
        return table.setdefault(label, dict.fromkeys(keys, 0))

    for gold_doc, pred_doc in pairs:
        gold = gold_doc["entities"]
        pred = pred_doc["entities"] if pred_doc else []
        doc_labels = {lab for _, _, lab in gold} | {lab for _, _, lab in pred}
        labels |= doc_labels
        common = set(gold) & set(pred)
        for lab in doc_labels:
            g = [(s, e) for s, e, x in gold if x == lab]
            p = [(s, e) for s, e, x in pred if x == lab]
            tp = sum(1 for t in common if t[2] == lab)
            ex = bucket(exact, lab, ("gold", "pred", "tp"))
            ex["gold"] += len(g)
            ex["pred"] += len(p)
            ex["tp"] += tp
            ov = bucket(overlap, lab, ("gold", "pred", "gold_found", "pred_correct"))
            ov["gold"] += len(g)
            ov["pred"] += len(p)
            ov["gold_found"] += _any_overlap(g, p)
            ov["pred_correct"] += _any_overlap(p, g)
        pred_union = _merge((s, e) for s, e, _ in pred)
        gold_union = _merge((s, e) for s, e, _ in gold)
        totals["gold_chars"] += _length(gold_union)
        totals["covered_chars"] += _intersection(gold_union, pred_union)
        totals["pred_chars"] += _length(pred_union)
        totals["outside_chars"] += _length(pred_union) - _intersection(pred_union, gold_union)
        for s, e, lab in gold:
            c = bucket(chars, lab, ("entities", "fully_masked", "gold_chars", "covered_chars"))
            c["entities"] += 1
            c["fully_masked"] += _covered((s, e), pred_union)
            c["gold_chars"] += e - s
            c["covered_chars"] += _intersection([(s, e)], pred_union)

    ordered = sorted(labels)
    exact_rows = {lab: _exact_row(exact[lab]) for lab in ordered}
    overlap_rows = {lab: _overlap_row(overlap[lab]) for lab in ordered}
    exact_micro = _exact_row(
        {k: sum(exact[lab][k] for lab in ordered) for k in ("gold", "pred", "tp")}
    )
    overlap_micro = _overlap_row(
        {
            k: sum(overlap[lab][k] for lab in ordered)
            for k in ("gold", "pred", "gold_found", "pred_correct")
        }
    )
    per_label_chars = {
        lab: {
            **c,
            "recall": _ratio(c["covered_chars"], c["gold_chars"]),
            "fully_masked_share": _ratio(c["fully_masked"], c["entities"]),
        }
        for lab, c in sorted(chars.items())
    }
    person = chars.get(PERSON, {"entities": 0, "fully_masked": 0})
    return {
        "documents": len(pairs),
        "documents_without_prediction": sum(1 for _, p in pairs if p is None),
        "labels": ordered,
        "exact": {"per_label": exact_rows, "micro": exact_micro},
        "overlap": {"per_label": overlap_rows, "micro": overlap_micro},
        "redaction": {
            "gold_chars": totals["gold_chars"],
            "covered_chars": totals["covered_chars"],
            "recall": _ratio(totals["covered_chars"], totals["gold_chars"]),
            "per_label": per_label_chars,
        },
        "over_redaction": {
            "pred_chars": totals["pred_chars"],
            "outside_chars": totals["outside_chars"],
            "share": _ratio(totals["outside_chars"], totals["pred_chars"]),
        },
        "person_fully_masked": {
            "entities": person["entities"],
            "fully_masked": person["fully_masked"],
            "share": _ratio(person["fully_masked"], person["entities"]),
        },
    }


def _exact_row(c: dict[str, int]) -> dict[str, Any]:
    p, r = _ratio(c["tp"], c["pred"]), _ratio(c["tp"], c["gold"])
    return {
        "gold": c["gold"],
        "pred": c["pred"],
        "tp": c["tp"],
        "fp": c["pred"] - c["tp"],
        "fn": c["gold"] - c["tp"],
        "precision": p,
        "recall": r,
        "f1": _f1(p, r),
    }


def _overlap_row(c: dict[str, int]) -> dict[str, Any]:
    p, r = _ratio(c["pred_correct"], c["pred"]), _ratio(c["gold_found"], c["gold"])
    return {
        "gold": c["gold"],
        "pred": c["pred"],
        "gold_found": c["gold_found"],
        "pred_correct": c["pred_correct"],
        "fp": c["pred"] - c["pred_correct"],
        "fn": c["gold"] - c["gold_found"],
        "precision": p,
        "recall": r,
        "f1": _f1(p, r),
    }


# --------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f} %"


def render_report(report: dict[str, Any]) -> str:
    """A fixed-width table for a terminal; ``-`` marks a ratio with nothing to measure."""
    head = (
        "label",
        "gold",
        "pred",
        "exact P",
        "exact R",
        "exact F1",
        "ovl P",
        "ovl R",
        "ovl F1",
        "red. R",
        "masked",
    )
    rows: list[tuple[str, ...]] = []
    chars = report["redaction"]["per_label"]
    for lab in report["labels"]:
        ex, ov = report["exact"]["per_label"][lab], report["overlap"]["per_label"][lab]
        ch = chars.get(lab, {})
        rows.append(
            (
                lab,
                str(ex["gold"]),
                str(ex["pred"]),
                _fmt(ex["precision"]),
                _fmt(ex["recall"]),
                _fmt(ex["f1"]),
                _fmt(ov["precision"]),
                _fmt(ov["recall"]),
                _fmt(ov["f1"]),
                _fmt(ch.get("recall")),
                _fmt(ch.get("fully_masked_share")),
            )
        )
    ex, ov = report["exact"]["micro"], report["overlap"]["micro"]
    micro = (
        "micro",
        str(ex["gold"]),
        str(ex["pred"]),
        _fmt(ex["precision"]),
        _fmt(ex["recall"]),
        _fmt(ex["f1"]),
        _fmt(ov["precision"]),
        _fmt(ov["recall"]),
        _fmt(ov["f1"]),
        _fmt(report["redaction"]["recall"]),
        "",
    )
    widths = [max(len(r[i]) for r in (head, *rows, micro)) for i in range(len(head))]

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    red, over, person = report["redaction"], report["over_redaction"], report["person_fully_masked"]
    out = [f"{report['documents']} documents, {ex['gold']} gold entities, {ex['pred']} predicted"]
    if report["documents_without_prediction"]:
        out.append(
            f"warning: {report['documents_without_prediction']} gold documents have no "
            "prediction (scored as nothing predicted)"
        )
    out += ["", line(head), rule, *(line(r) for r in rows), rule, line(micro), ""]
    out.append(
        f"redaction recall     {_pct(red['recall'])}  "
        f"({red['covered_chars']} of {red['gold_chars']} gold characters covered)"
    )
    out.append(
        f"over-redaction       {_pct(over['share'])}  "
        f"({over['outside_chars']} of {over['pred_chars']} predicted characters outside gold)"
    )
    out.append(
        f"persons fully masked {_pct(person['share'])}  "
        f"({person['fully_masked']} of {person['entities']})"
    )
    out.append("")
    out.append(
        "ovl = character overlap with a span of the same label; red. R = share of the "
        "label's gold characters covered by any prediction; masked = share of its gold "
        "entities entirely covered."
    )
    return "\n".join(out)
