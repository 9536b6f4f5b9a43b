"""`bulle hierarchy build`: derive a generalization hierarchy from a column of a table.

The column is read from a CSV file (``--input``) or from a workspace version
(``bulle -w DIR hierarchy build NAME``: read where it is, as text, as `anonymize NAME` reads it,
with no clear-text export). The output is ARX's hierarchy format (``leaf;level1;...;*``,
``;``-separated, no header), so it can be used by `bulle anonymize --hierarchy COLUMN=FILE` and by
ARX itself. The work is ``bulle.services.hierarchies``'s; this module parses and renders.
"""

from __future__ import annotations

from pathlib import Path

import click

from bulle.cli.common import emit, json_option
from bulle.outputs import OutputFile


@click.group("hierarchy")
def hierarchy() -> None:
    """Build generalization hierarchies."""


@hierarchy.command("build")
@click.argument("name", required=False)
@click.option(
    "--kind",
    required=True,
    type=click.Choice(["interval", "date", "mask", "nir", "ordered", "flat"]),
    help="interval: numbers; date: day -> month -> year -> decade; mask: trailing "
    "characters (postcodes); nir: French NIR prefixes; ordered: groups of ordered "
    "categories; flat: value -> *.",
)
@click.option(
    "--input",
    "input_",
    type=click.Path(path_type=Path),
    help="Table holding the column (CSV), instead of a workspace dataset NAME.",
)
@click.option("--column", required=True, help="Column to build the hierarchy for.")
@click.option(
    "--output",
    required=True,
    type=OutputFile((".csv",)),
    help="Hierarchy file to write (ARX format, .csv, mode 0600).",
)
@click.option("--delimiter", help="CSV delimiter of the input (default: sniffed).")
@click.option("--width", help="interval: width of the finest intervals (e.g. 5).")
@click.option(
    "--fanout", help="interval: comma-separated fan-outs per level (e.g. 2,5: widths 5, 10, 50)."
)
@click.option(
    "--origin", default="0", show_default=True, help="interval: where intervals are aligned."
)
@click.option(
    "--levels",
    default="month,year,decade",
    show_default=True,
    help="date: levels among month, quarter, year, decade.",
)
@click.option(
    "--format",
    "formats",
    multiple=True,
    help="date: strptime format of the values (repeatable; default ISO 8601).",
)
@click.option(
    "--keep",
    help="mask/nir: comma-separated numbers of leading characters kept per "
    "level (default mask: one fewer per level; nir: 5,3,1).",
)
@click.option(
    "--step",
    type=int,
    default=1,
    show_default=True,
    help="mask: characters masked per level (when --keep is not given).",
)
@click.option("--char", default="*", show_default=True, help="mask: masking character.")
@click.option("--order", help="ordered: comma-separated categories, lowest first.")
@click.option(
    "--order-file",
    type=click.Path(path_type=Path),
    help="ordered: file with one category per line, lowest first.",
)
@click.option("--groups", help="ordered: comma-separated group sizes per level (e.g. 2,2).")
@json_option
@click.pass_context
def build(
    ctx: click.Context,
    name: str | None,
    kind: str,
    input_: Path | None,
    column: str,
    output: Path,
    delimiter: str | None,
    width: str | None,
    fanout: str | None,
    origin: str,
    levels: str,
    formats: tuple[str, ...],
    keep: str | None,
    step: int,
    char: str,
    order: str | None,
    order_file: Path | None,
    groups: str | None,
    as_json: bool,
) -> None:
    """Build a hierarchy for COLUMN of a table (or of dataset NAME) in ARX's CSV format."""
    from bulle.domain.anonymization_requests import HierarchyRecipe
    from bulle.errors import InputError, UserError, Where

    if (name is None) == (input_ is None):
        raise UserError("give either a workspace dataset NAME or --input FILE (exactly one)")
    recipe = HierarchyRecipe(
        kind,
        width,
        fanout,
        origin,
        levels,
        formats,
        keep,
        step,
        char,
        order,
        None if order_file is None else str(order_file),
        groups,
    )
    if name is not None:
        if delimiter is not None:
            raise InputError(
                "--delimiter applies to an --input CSV file", Where(field="--delimiter")
            )
        from bulle.cli.common import workspace_from
        from bulle.services.hierarchies import build_version_hierarchy

        with workspace_from(ctx) as ws:
            result = build_version_hierarchy(ws, name, column, output, recipe)
    else:
        from bulle.services.hierarchies import build_file_hierarchy

        assert input_ is not None
        result = build_file_hierarchy(input_, column, output, recipe, delimiter)
    emit(
        result.to_dict(),
        as_json,
        lambda p: click.echo(
            f"Wrote {p['output']}: {p['leaves']} leaves, height {p['height']} "
            f"(distinct per level: {', '.join(map(str, p['distinct_per_level']))}); "
            f"e.g. {' -> '.join(p['example'])}"
        ),
    )
