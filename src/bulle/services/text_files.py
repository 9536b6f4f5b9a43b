"""Stand-alone text use cases on files: detect, de-identify, evaluate against a gold set.

Inputs are a ``.txt`` file (one document) or JSON Lines (one object a line); outputs are written
through a temporary file renamed at the end, mode 0600, and stream document by document so a large
corpus never sits in memory. Nothing here touches a workspace: these are the custodian's tools
on files they already hold, and the checks and benchmarks run on them.
"""

from __future__ import annotations

import json
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bulle.domain.text_requests import TextFileRequest
from bulle.errors import InputError, Where
from bulle.services.results import Result


@dataclass(frozen=True)
class TextDetection(Result):
    input: str
    output: str
    documents: int
    entities: int
    by_label: dict[str, int]


@dataclass(frozen=True)
class TextDeidentification(Result):
    input: str
    output: str
    operator: str
    documents: int
    entities: int
    by_label: dict[str, int]
    keyed: bool


def detect_file(request: TextFileRequest, *, progress: bool = False) -> TextDetection:
    """Write each record with the personal data found in it ("entities": start, end, label)."""
    from bulle.text.inputs import atomic_output

    same_kind(request.output, "jsonl")
    config = _config(request)
    counts: Counter = Counter()
    docs = 0
    with atomic_output(request.output) as f:
        for doc, ents in _documents_and_entities(request, config, progress):
            record = (
                dict(doc.record) if doc.record is not None else {"id": doc.id, "text": doc.text}
            )
            record["entities"] = [e.to_dict() for e in ents]
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
            counts.update(e.label for e in ents)
            docs += 1
    return TextDetection(
        request.input, request.output, docs, sum(counts.values()), dict(sorted(counts.items()))
    )


def deidentify_file(
    request: TextFileRequest,
    operator: str,
    *,
    key_file: str | None = None,
    subject_field: str | None = None,
    progress: bool = False,
) -> TextDeidentification:
    """Write the input with its personal data replaced by ``operator`` (same format as the input)."""
    from bulle.text.inputs import atomic_output, kind_of
    from bulle.text.operators import get_operator
    from bulle.text.surrogates import Keyed

    config = _config(request)
    keyed = Keyed(read_key(key_file))
    op = get_operator(operator)
    counts: Counter = Counter()
    docs = 0
    jsonl = kind_of(Path(request.input)) == "jsonl"
    same_kind(request.output, kind_of(Path(request.input)))
    with atomic_output(request.output) as f:
        for doc, ents in _documents_and_entities(request, config, progress):
            subject = None
            if (
                subject_field
                and doc.record is not None
                and doc.record.get(subject_field) is not None
            ):
                subject = str(doc.record[subject_field])
            new = op.apply(doc.text, ents, subject=subject, keyed=keyed)
            if jsonl:
                record = dict(doc.record or {})
                record[request.text_field] = new
                record.pop("entities", None)
                f.write(json.dumps(record, ensure_ascii=False) + "\n")
            else:
                f.write(new)
            counts.update(e.label for e in ents)
            docs += 1
    return TextDeidentification(
        request.input,
        request.output,
        operator,
        docs,
        sum(counts.values()),
        dict(sorted(counts.items())),
        key_file is not None,
    )


def evaluate_files(gold: str, pred: str) -> dict[str, Any]:
    """Per label and micro P/R/F1 (exact and overlap), redaction recall and over-redaction."""
    from bulle.text.evaluation import evaluate_files as evaluate

    return evaluate(gold, pred)


def render_evaluation(report: dict[str, Any]) -> str:
    """The evaluation as a fixed-width table for a terminal."""
    from bulle.text.evaluation import render_report

    return render_report(report)


def read_key(key_file: str | None) -> bytes | None:
    """The secret key of keyed surrogates: at least 16 bytes, from a file the caller names."""
    if key_file is None:
        return None
    p = Path(key_file)
    if not p.is_file():
        raise InputError(f"key file not found: {p}", where=Where(file=str(p)))
    key = p.read_bytes().strip()
    if len(key) < 16:
        raise InputError(
            "key file holds fewer than 16 bytes: too short to be a secret key",
            where=Where(file=str(p)),
        )
    return key


def same_kind(out: str | Path, kind: str) -> None:
    """The output's extension says what it holds: JSON Lines, or plain text."""
    from bulle.text.inputs import kind_of

    if kind_of(Path(out)) != kind:
        raise InputError(
            f"this output is {'JSON Lines: use .jsonl' if kind == 'jsonl' else 'text: use .txt'}",
            Where(file=str(out), field="--output"),
        )


def _config(request: TextFileRequest) -> Any:
    from bulle.text.config import DEFAULT_RECORD_PATTERNS, DetectorConfig

    patterns = DEFAULT_RECORD_PATTERNS + tuple(request.record_patterns)
    return DetectorConfig(
        record_patterns=patterns, **({"model": request.model} if request.model else {})
    )


def _documents_and_entities(
    request: TextFileRequest, config: Any, progress: bool
) -> Iterator[tuple[Any, list[Any]]]:
    """Yield (document, entities) in input order, streaming."""
    from bulle.text.inputs import read_documents
    from bulle.text.service import iter_detect

    queue: deque = deque()

    def texts() -> Iterator[str]:
        for d in read_documents(request.input, text_field=request.text_field):
            queue.append(d)
            yield d.text

    for ents in iter_detect(texts(), config, request.processes, progress):
        yield queue.popleft(), ents
