"""`bulle risk`: measure the re-identification risk of a table or of a workspace version.

Works on any table, original or released, so a custodian can check a file before it leaves and
compare a release with its original. Stand-alone (``--input FILE``): CSV is read as text (values
compare exactly as written, as ARX does); Parquet is read as it is. Workspace form
(``bulle -w DIR risk NAME``): the version is read where it is, as text, with no export.
"""

from __future__ import annotations

from pathlib import Path

import click

from bulle.cli.common import emit, json_option
from bulle.outputs import HTML, OutputFile


@click.command("risk")
@click.argument("name", required=False)
@click.option(
    "--input",
    "input_",
    type=click.Path(path_type=Path),
    help="Table to measure (CSV or Parquet), instead of a workspace dataset NAME.",
)
@click.option(
    "--qi", "qis", multiple=True, required=True, help="A quasi-identifier column (repeat for each)."
)
@click.option(
    "--subject-id", help="Column identifying the person when a person can have several rows."
)
@click.option(
    "--population",
    help="Population table holding the table (journalist risk), generalized the same way: "
    "a file, or with NAME a workspace dataset version.",
)
@click.option(
    "--threshold",
    type=float,
    default=None,
    help="A record is at risk when 1 / class size is above this (default: the setting "
    "anonymize.risk_threshold, 0.2: classes under 5).",
)
@click.option(
    "--suppressed-marker",
    default="*",
    show_default=True,
    help="Records whose every quasi-identifier has this value are suppressed.",
)
@click.option("--suppressed-column", help="Boolean column flagging suppressed records.")
@click.option("--delimiter", help="CSV delimiter (default: sniffed).")
@click.option(
    "--html",
    "html_out",
    type=OutputFile(HTML),
    help="Also write a self-contained HTML report here (.html, mode 0600).",
)
@json_option
@click.pass_context
def risk(
    ctx: click.Context,
    name: str | None,
    input_: Path | None,
    qis: tuple[str, ...],
    subject_id: str | None,
    population: str | None,
    threshold: float | None,
    suppressed_marker: str,
    suppressed_column: str | None,
    delimiter: str | None,
    html_out: Path | None,
    as_json: bool,
) -> None:
    """Measure prosecutor, journalist and marketer risk and sample uniqueness of a table."""
    from bulle.errors import InputError, UserError, Where
    from bulle.services.risk import check_risk_options, measure_file_risk, write_risk_html

    if (name is None) == (input_ is None):
        raise UserError("give either a workspace dataset NAME or --input FILE (exactly one)")
    check_risk_options(list(qis), threshold, subject_id, suppressed_column)
    if name is not None:
        if delimiter is not None:
            raise InputError(
                "--delimiter applies to an --input CSV file", Where(field="--delimiter")
            )
        return _workspace_form(
            ctx,
            name,
            qis,
            subject_id,
            population,
            threshold,
            suppressed_marker,
            suppressed_column,
            html_out,
            as_json,
        )
    assert input_ is not None
    report = measure_file_risk(
        input_,
        list(qis),
        subject_id=subject_id,
        population=Path(population) if population is not None else None,
        threshold=threshold,
        suppressed_marker=suppressed_marker,
        suppressed_column=suppressed_column,
        delimiter=delimiter,
    )
    payload = report.to_dict()
    payload["input"] = str(input_)
    if html_out is not None:
        payload["html"] = write_risk_html(report, input_.name, html_out)
    emit(payload, as_json, _render)


def _workspace_form(
    ctx: click.Context,
    name: str,
    qis: tuple[str, ...],
    subject_id: str | None,
    population: str | None,
    threshold: float | None,
    suppressed_marker: str,
    suppressed_column: str | None,
    html_out: Path | None,
    as_json: bool,
) -> None:
    """`bulle -w DIR risk NAME --qi ...`: measured on the version, nothing exported."""
    from bulle.cli.common import workspace_from
    from bulle.services.risk import measure_version_risk, write_risk_html

    with workspace_from(ctx) as ws:
        report, v = measure_version_risk(
            ws,
            name,
            list(qis),
            subject_id=subject_id,
            population=population,
            threshold=threshold,
            suppressed_marker=suppressed_marker,
            suppressed_column=suppressed_column,
        )
    payload = report.to_dict()
    payload["input"] = v.ref
    payload["dataset"] = v.ref
    if html_out is not None:
        payload["html"] = write_risk_html(report, v.ref, html_out)
    emit(payload, as_json, _render)


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.2f} %"


def _render(p: dict) -> None:
    echo = click.echo
    echo(
        f"{p['input']}: {p['records']:,} records, {p['equivalence_classes']:,} classes on "
        f"{', '.join(p['quasi_identifiers'])}"
    )
    if p["suppressed_records"]:
        echo(
            f"  suppressed:          {p['suppressed_records']:,} ({_pct(p['suppressed_share'])}), "
            "not in any class"
        )
    pr, jo = p["prosecutor"], p["journalist"]
    echo(
        f"  prosecutor risk:     max {_pct(pr['max_risk'])}, average {_pct(pr['average_risk'])}, "
        f"{_pct(pr['share_at_risk'])} of records above {p['threshold']:g}"
    )
    label = "journalist risk:" if p["journalist_uses_population"] else "journalist risk (=):"
    echo(
        f"  {label:<20} max {_pct(jo['max_risk'])}, average {_pct(jo['average_risk'])}, "
        f"{_pct(jo['share_at_risk'])} of records above {p['threshold']:g}"
    )
    echo(f"  marketer risk:       {_pct(p['marketer_average_risk'])}")
    echo(f"  sample uniqueness:   {_pct(p['sample_uniqueness'])} ({p['unique_records']:,} records)")
    if p.get("population_uniqueness") is not None:
        echo(f"  population unique:   {_pct(p['population_uniqueness'])}")
    s = p.get("subjects")
    if s:
        echo(
            f"  subjects ({s['column']}): {s['subjects']:,}, {s['subjects_with_several_rows']:,} "
            f"with several rows; max risk {_pct(s['max_risk'])}, "
            f"{_pct(s['share_at_risk'])} at risk"
        )
    for note in p.get("notes", []):
        echo(f"  note: {note}")
    if p.get("html"):
        echo(f"  report: {p['html']}")
