"""`bulle anonymize`: release a table that satisfies declared privacy models, optimally.

Stand-alone form (no workspace), used by checks and benchmarks::

    bulle anonymize --input DATA.csv --hierarchy COLUMN=FILE.csv [...] [--sensitive COLUMN]
        [--k K] [--l-diversity distinct:L|entropy:L[:shannon|grassberger]|recursive:C:L]
        [--t-closeness equal:T|ordered:T|hierarchical:T] [--delta-presence DMIN:DMAX --subset S.csv]
        --suppression FRACTION --metric loss|... [--gs-factor G] [--aggregate ...]
        [--weight COLUMN=W ...] [--output RELEASE.csv] --json

Every column with a hierarchy is a quasi-identifier unless it is named by --sensitive; with
several sensitive columns each --l-diversity / --t-closeness is prefixed with ``COLUMN=``.
The options become an ``AnonymizeRequest`` (``bulle.domain``); the release is
``bulle.services.anonymization_file``'s. Heavy imports happen inside the command so that
``bulle --help`` stays fast; the model options and the metric choices come from the registries
(built-ins and plug-ins alike), read when this module is loaded (``bulle anonymize ...``), never
by ``bulle --help``.
"""

from __future__ import annotations

import os
import time

import click

from bulle.cli.common import RegistryChoice, emit, json_option
from bulle.cli.model_options import add_model_options
from bulle.errors import InputError, UserError, Where
from bulle.outputs import TABLE, OutputFile, keep_formulas_option

METRIC_CHOICES = RegistryChoice("bulle.anonymization.metrics:METRICS")
AGGREGATE_CHOICES = ["sum", "arithmetic-mean", "geometric-mean", "max", "rank"]


@click.command("anonymize")
@click.argument("name", required=False)
@click.option(
    "--input",
    "input_path",
    type=click.Path(dir_okay=False),
    help="Table to anonymize (CSV or Parquet).",
)
@click.option(
    "--hierarchy", multiple=True, metavar="COLUMN=FILE", help="ARX hierarchy file of a column."
)
@click.option("--sensitive", multiple=True, metavar="COLUMN", help="Sensitive column (repeatable).")
@click.option(
    "--subset",
    type=click.Path(dir_okay=False),
    help="Research subset (same columns) for δ-presence.",
)
@click.option(
    "--suppression",
    type=float,
    default=0.0,
    show_default=True,
    help="Largest fraction of records that may be suppressed.",
)
@click.option("--metric", type=METRIC_CHOICES, default="loss", show_default=True)
@click.option(
    "--gs-factor",
    "gs_factor",
    type=float,
    default=0.5,
    show_default=True,
    help="Weight of generalization vs suppression (ARX's gs-factor).",
)
@click.option(
    "--aggregate",
    type=click.Choice(AGGREGATE_CHOICES),
    default=None,
    help="Aggregate of per-attribute values (default: the metric's).",
)
@click.option("--weight", multiple=True, metavar="COLUMN=W", help="Attribute weight.")
@click.option(
    "--output", type=OutputFile(TABLE), help="Write the release (.csv or .parquet, mode 0600)."
)
@keep_formulas_option
@click.option(
    "--suppressed-records",
    "suppressed_records",
    type=click.Choice(["star", "remove"]),
    default="star",
    show_default=True,
    help="Suppressed records: quasi-identifiers as '*', or removed.",
)
@click.option(
    "--keep",
    multiple=True,
    metavar="COLUMN",
    help="Workspace form: release this column as it is (recorded, measured by the risk report; "
    "a kept identifier makes the release personal data).",
)
@click.option(
    "--drop",
    multiple=True,
    metavar="COLUMN",
    help="Workspace form: leave this column out of the release.",
)
@click.option(
    "--threshold",
    type=float,
    default=None,
    help="Workspace form: risk threshold of the release's risk report (default: the "
    "workspace's setting anonymize.risk_threshold, 0.2 unless changed).",
)
@json_option
@click.pass_context
def _anonymize(
    ctx,
    name,
    input_path,
    hierarchy,
    sensitive,
    subset,
    suppression,
    metric,
    gs_factor,
    aggregate,
    weight,
    output,
    keep_formulas,
    suppressed_records,
    keep,
    drop,
    threshold,
    as_json,
    **model_values,
):
    """Release an anonymized table (k-anonymity, l-diversity, t-closeness, δ-presence)."""
    started = time.perf_counter()
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # small matrices: threads only cost
    if name is not None:
        if input_path is not None:
            raise UserError("give either a workspace dataset NAME or --input FILE, not both")
        return _workspace_form(
            ctx,
            name,
            hierarchy,
            sensitive,
            model_values,
            subset,
            suppression,
            metric,
            gs_factor,
            aggregate,
            weight,
            suppressed_records,
            keep,
            drop,
            threshold,
            as_json,
        )
    if input_path is None:
        raise InputError("--input is required (the table to anonymize)", Where(field="--input"))
    if keep or drop:
        raise InputError(
            "--keep and --drop apply to a workspace dataset (bulle -w DIR anonymize NAME)",
            Where(field="--keep" if keep else "--drop"),
        )
    from pathlib import Path

    from bulle.services.anonymization_file import anonymize_file

    request = _request(
        hierarchy,
        sensitive,
        model_values,
        subset,
        suppression,
        metric,
        gs_factor,
        aggregate,
        weight,
        suppressed_records,
    )
    release = anonymize_file(Path(input_path), request, output=output, keep_formulas=keep_formulas)
    payload = release.summary.to_dict()
    if output is not None:
        payload["output"] = release.output
        if release.output_rows is not None:
            payload["output_rows"] = release.output_rows
    payload["seconds"] = round(time.perf_counter() - started, 4)
    emit(payload, as_json, _render)


def _request(
    hierarchy,
    sensitive,
    model_values,
    subset,
    suppression,
    metric,
    gs_factor,
    aggregate,
    weight,
    suppressed_records,
):
    """The options as a domain request; ``model_values``: the privacy-model options by name."""
    from bulle.domain.anonymization_requests import AnonymizeRequest

    return AnonymizeRequest.from_options(
        hierarchy=hierarchy,
        sensitive=sensitive,
        subset=subset,
        suppression=suppression,
        metric=metric,
        gs_factor=gs_factor,
        aggregate=aggregate,
        weight=weight,
        suppressed_records=suppressed_records,
        **model_values,
    )


# The privacy-model options (--k, --l-diversity, --t-closeness, --delta-presence and any plug-in
# model's) come from the registered models' declarations.
anonymize = add_model_options(_anonymize, after="sensitive")


def _render(p: dict) -> None:
    if not p["anonymous"]:
        click.echo(
            "No anonymous transformation exists for these settings "
            f"({p['transformations']} transformations, {p['transformations_checked']} checked)."
        )
        return
    levels = ", ".join(f"{q}={lv}" for q, lv in p["transformation"].items())
    click.echo(f"Optimal transformation: {levels}")
    click.echo(
        f"Information loss ({p['metric']}{', ' + p['aggregate'] if p['aggregate'] else ''}): "
        f"{p['information_loss']}"
    )
    click.echo(
        f"Suppressed records: {p['suppressed_records']} of {p['records']} "
        f"(limit {p['suppression_limit_records']}); equivalence classes: {p['equivalence_classes']}"
    )
    for w in p.get("warnings", []):
        click.echo(f"warning: {w}")
    if p.get("output"):
        click.echo(f"Release written to {p['output']} ({p['output_rows']} rows)")
    click.echo(f"{p['seconds']} s")


def _workspace_form(
    ctx,
    name,
    hierarchy,
    sensitive,
    model_values,
    subset,
    suppression,
    metric,
    gs_factor,
    aggregate,
    weight,
    suppressed_records,
    keep,
    drop,
    threshold,
    as_json,
) -> None:
    """`bulle --workspace DIR anonymize NAME ...`: the release becomes a new version."""
    from bulle.cli.common import console, workspace_from
    from bulle.services.anonymization_file import anonymize_version

    request = _request(
        hierarchy,
        sensitive,
        model_values,
        subset,
        suppression,
        metric,
        gs_factor,
        aggregate,
        weight,
        suppressed_records,
    )
    with workspace_from(ctx) as ws:
        payload = anonymize_version(
            ws, name, request, keep=list(keep), drop=list(drop), threshold=threshold
        )

    def render(p):
        out = console()
        if not p["anonymous"]:
            out.print(f"No release: {p['message']}.")
            return
        r = p["risk"]["prosecutor"]
        out.print(
            f"Released [bold]{p['ref']}[/] from {p['source']}: transformation {p['transformation']}, "
            f"loss {p['information_loss']}, {p['suppressed_records']:,} records suppressed; dropped "
            f"{', '.join(p['dropped']) or 'nothing'}; kept as released: {', '.join(p['kept']) or 'nothing'}."
        )
        if p["personal_data"]:
            out.print(f"[bold red]Personal data[/]: {p['legal_status']}.")
        out.print(
            f"Risk: highest {r['max_risk']:.3f}, average {r['average_risk']:.4f}; report "
            + next(a["path"] for a in p["artefacts"] if a["kind"] == "risk_report_html")
        )

    emit(payload, as_json, render)
