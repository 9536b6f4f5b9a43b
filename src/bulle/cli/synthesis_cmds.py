"""`bulle synthesize`: synthetic data with a privacy and a utility report; `bulle synthetic`:
what a custodian decides about a synthetic version.

Stand-alone form (no workspace), used by checks and benchmarks::

    bulle synthesize --input DATA.csv [--delimiter ;] --method avatar|cart|mst|dummy [--seed N]
        [--target COLUMN] [--sensitive COLUMN ...] [--param NAME=VALUE ...]
        --output SYNTHETIC.csv [--report REPORT.json] [--html REPORT.html] --json

Workspace form: ``bulle -w DIR synthesize DATASET --method ...`` makes a version of kind
``synthetic`` with both reports as artefacts. The methods and their options come from the
synthesizer registry (built-ins and plug-ins alike).
"""

from __future__ import annotations

import os

import click

from bulle.cli.common import RegistryChoice, emit, json_option
from bulle.errors import InputError, UserError, Where
from bulle.outputs import HTML, TABLE, OutputFile, keep_formulas_option

METHODS = RegistryChoice("bulle.synthesis.base:SYNTHESIZERS")


def _params(values: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise InputError(f"--param expects NAME=VALUE, got {item!r}", Where(field="--param"))
        out[name.strip()] = value.strip()
    return out


@click.command("synthesize")
@click.argument("name", required=False)
@click.option(
    "--input", "input_path", type=click.Path(dir_okay=False), help="CSV table to synthesize."
)
@click.option("--delimiter", default=None, help="CSV field separator (default: sniffed).")
@click.option("--method", type=METHODS, required=True, help="Synthesizer.")
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Seed of every random draw.",
)
@click.option(
    "--target", default=None, metavar="COLUMN", help="Column the utility report predicts (AUC)."
)
@click.option(
    "--sensitive",
    multiple=True,
    metavar="COLUMN",
    help="Column the inference attack targets (repeatable).",
)
@click.option(
    "--param",
    "param",
    multiple=True,
    metavar="NAME=VALUE",
    help="An option of the method (repeatable; each method's options: docs/synthesis.md).",
)
@click.option(
    "--rows",
    type=click.IntRange(min=1),
    default=None,
    help="Rows to sample (default: as many as the training part).",
)
@click.option(
    "--output", type=OutputFile(TABLE), help="Synthetic table (.csv or .parquet, mode 0600)."
)
@click.option(
    "--report", type=OutputFile((".json",)), help="Write the run and both reports as JSON."
)
@click.option("--html", type=OutputFile(HTML), help="Write the HTML report (plots).")
@keep_formulas_option
@json_option
@click.pass_context
def synthesize(
    ctx,
    name,
    input_path,
    delimiter,
    method,
    seed,
    target,
    sensitive,
    param,
    rows,
    output,
    report,
    html,
    keep_formulas,
    as_json,
):
    """Synthetic data with a measured privacy and utility report."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    params = _params(param)
    if name is not None:
        if input_path is not None:
            raise UserError("give either a workspace dataset NAME or --input FILE, not both")
        if output or report or html:
            raise InputError(
                "--output, --report and --html belong to the stand-alone form: a synthetic "
                "version keeps its reports as artefacts (bulle export-table to get its rows)",
                Where(field="--output"),
            )
        return _workspace_form(ctx, name, method, params, seed, target, sensitive, rows, as_json)
    if input_path is None:
        raise InputError("--input is required (the table to synthesize)", Where(field="--input"))
    if output is None:
        raise InputError(
            "--output is required (where the synthetic table goes)", Where(field="--output")
        )
    from pathlib import Path

    from bulle.services.synthesis import synthesize_file

    result = synthesize_file(
        Path(input_path),
        method,
        output=output,
        delimiter=delimiter,
        params=params,
        seed=seed,
        target=target,
        sensitive=list(sensitive) or None,
        rows=rows,
        report=report,
        html=html,
        keep_formulas=keep_formulas,
    )
    emit(result, as_json, _render)


def _render(p: dict) -> None:
    priv, util = p["privacy"], p["utility"]
    click.echo(
        f"{p['rows']} synthetic rows ({p['method']}, seed {p['seed']}) from "
        f"{p['training_rows']} training records; {p['control_rows']} held out as control."
    )
    for k in ("singling_out", "linkability", "inference"):
        low, high = priv[k]["ci"]
        click.echo(f"  {k.replace('_', ' ')} risk {priv[k]['risk']:.3f} [{low:.3f}, {high:.3f}]")
    click.echo(
        f"  exact copies {priv['exact_copies']:.4f} (natural {priv['exact_copies_natural']:.4f})"
    )
    click.echo(f"  utility: 1-way TVD {util.get('tvd_1way')}, 2-way TVD {util.get('tvd_2way')}")
    if "auc_synthetic" in util:
        click.echo(f"  AUC train-on-synthetic {util['auc_synthetic']} vs real {util['auc_real']}")
    click.echo(f"Written to {p['output']} in {p['seconds']} s")


def _workspace_form(ctx, name, method, params, seed, target, sensitive, rows, as_json) -> None:
    from bulle.cli.common import workspace_from
    from bulle.services.synthesis_workspace import synthesize_version

    with workspace_from(ctx) as ws:
        result = synthesize_version(
            ws,
            name,
            method,
            params=params,
            seed=seed,
            target=target,
            sensitive=list(sensitive) or None,
            rows=rows,
        )

    def render(p: dict) -> None:
        r = p["run"]
        click.echo(
            f"Synthetic version {p['ref']} from {p['source']} ({r['method']}, {r['rows']} rows); "
            f"dropped: {', '.join(p['dropped']) or 'nothing'}."
        )
        click.echo(f"Personal data: {p['legal_status']}.")
        for k in ("singling_out", "linkability", "inference"):
            click.echo(f"  {k.replace('_', ' ')} risk {r['privacy'][k]['risk']:.3f}")

    emit(result, as_json, render)


@click.group("synthetic")
def synthetic() -> None:
    """Decisions about synthetic versions."""


@synthetic.command("mark-anonymous")
@click.argument("ref")
@click.option("--reason", required=True, help="Why the version is not personal data (recorded).")
@json_option
@click.pass_context
def mark_anonymous(ctx, ref, reason, as_json):
    """Mark a synthetic version as not personal data (refused over the risk thresholds)."""
    from bulle.cli.common import workspace_from
    from bulle.services.synthesis_workspace import mark_anonymous as mark

    with workspace_from(ctx) as ws:
        result = mark(ws, ref, reason)
    emit(
        result,
        as_json,
        lambda p: click.echo(f"{p['ref']} is marked as not personal data: {p['reason']}"),
    )
