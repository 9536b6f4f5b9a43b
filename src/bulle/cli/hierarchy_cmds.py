"""`bulle hierarchy build`: derive a generalization hierarchy from a column of a table.

The column is read from a CSV file (``--input``) or from a workspace version
(``bulle -w DIR hierarchy build NAME``: read where it is, as text, as `anonymize NAME` reads it,
with no clear-text export). The output is ARX's hierarchy format (``leaf;level1;...;*``,
``;``-separated, no header), so it can be used by `bulle anonymize --hierarchy COLUMN=FILE` and by
ARX itself. Bad values are all reported at once, each with its file line (or version row).
"""

from __future__ import annotations

from pathlib import Path

import click

from bulle.cli.common import emit, json_option
from bulle.outputs import OutputFile


@click.group("hierarchy")
def hierarchy() -> None:
    """Build generalization hierarchies."""


def _ints(text: str | None, option: str) -> list[int]:
    from bulle.errors import InputError, Where

    if text is None or not text.strip():
        return []
    try:
        return [int(x) for x in text.replace(" ", "").split(",") if x]
    except ValueError:
        raise InputError(f"expected comma-separated integers, got {text!r}",
                         Where(field=option)) from None


def _names(text: str | None) -> list[str]:
    if text is None:
        return []
    return [x.strip() for x in text.split(",") if x.strip()]


@hierarchy.command("build")
@click.argument("name", required=False)
@click.option("--kind", required=True, type=click.Choice(["interval", "date", "mask", "nir",
                                                          "ordered", "flat"]),
              help="interval: numbers; date: day -> month -> year -> decade; mask: trailing "
                   "characters (postcodes); nir: French NIR prefixes; ordered: groups of ordered "
                   "categories; flat: value -> *.")
@click.option("--input", "input_", type=click.Path(path_type=Path),
              help="Table holding the column (CSV), instead of a workspace dataset NAME.")
@click.option("--column", required=True, help="Column to build the hierarchy for.")
@click.option("--output", required=True, type=OutputFile((".csv",)),
              help="Hierarchy file to write (ARX format, .csv, mode 0600).")
@click.option("--delimiter", help="CSV delimiter of the input (default: sniffed).")
@click.option("--width", help="interval: width of the finest intervals (e.g. 5).")
@click.option("--fanout", help="interval: comma-separated fan-outs per level (e.g. 2,5: widths 5, 10, 50).")
@click.option("--origin", default="0", show_default=True, help="interval: where intervals are aligned.")
@click.option("--levels", default="month,year,decade", show_default=True,
              help="date: levels among month, quarter, year, decade.")
@click.option("--format", "formats", multiple=True,
              help="date: strptime format of the values (repeatable; default ISO 8601).")
@click.option("--keep", help="mask/nir: comma-separated numbers of leading characters kept per "
                             "level (default mask: one fewer per level; nir: 5,3,1).")
@click.option("--step", type=int, default=1, show_default=True,
              help="mask: characters masked per level (when --keep is not given).")
@click.option("--char", default="*", show_default=True, help="mask: masking character.")
@click.option("--order", help="ordered: comma-separated categories, lowest first.")
@click.option("--order-file", type=click.Path(path_type=Path),
              help="ordered: file with one category per line, lowest first.")
@click.option("--groups", help="ordered: comma-separated group sizes per level (e.g. 2,2).")
@json_option
@click.pass_context
def build(ctx: click.Context, name: str | None, kind: str, input_: Path | None, column: str,
          output: Path, delimiter: str | None, width: str | None, fanout: str | None, origin: str,
          levels: str, formats: tuple[str, ...], keep: str | None, step: int, char: str,
          order: str | None, order_file: Path | None, groups: str | None, as_json: bool) -> None:
    """Build a hierarchy for COLUMN of a table (or of dataset NAME) in ARX's CSV format."""
    from bulle.errors import InputError, UserError, Where

    if (name is None) == (input_ is None):
        raise UserError("give either a workspace dataset NAME or --input FILE (exactly one)")

    def make_rows(values, locate):
        return _rows(kind, values, locate, width, fanout, origin, levels, formats, keep, step, char,
                     order, order_file, groups)

    if name is not None:
        if delimiter is not None:
            raise InputError("--delimiter applies to an --input CSV file", Where(field="--delimiter"))
        from bulle.cli.common import workspace_from
        from bulle.services.risk import build_hierarchy

        with workspace_from(ctx) as ws:
            rows, v = build_hierarchy(ws, name, column, output, kind, make_rows)
        source = v.ref
    else:
        values, lines = _column_values(input_, column, delimiter)
        rows = make_rows(values, lambda i: Where(file=str(input_), line=lines[i], column=column))
        from bulle.outputs import write_text

        write_text(output, "".join(";".join(r) + "\n" for r in rows), (".csv",))
        source = str(input_)
    height = len(rows[0]) - 1
    payload = {"output": str(output), "kind": kind, "column": column, "source": source,
               "leaves": len(rows), "height": height,
               "distinct_per_level": [len({r[i] for r in rows}) for i in range(height + 1)],
               "example": rows[len(rows) // 2]}
    emit(payload, as_json, lambda p: click.echo(
        f"Wrote {p['output']}: {p['leaves']} leaves, height {p['height']} "
        f"(distinct per level: {', '.join(map(str, p['distinct_per_level']))}); "
        f"e.g. {' -> '.join(p['example'])}"))


def _rows(kind, values, locate, width, fanout, origin, levels, formats, keep, step, char, order,
          order_file, groups) -> list[list[str]]:
    from bulle.anonymization import builders
    from bulle.errors import InputError, Where

    if kind == "interval":
        if width is None:
            raise InputError("an interval hierarchy needs --width", Where(field="--width"))
        rows = builders.interval_rows(values, width, _ints(fanout, "--fanout"), origin, locate)
    elif kind == "date":
        rows = builders.date_rows(values, _names(levels), list(formats) or None, locate)
    elif kind == "mask":
        kept = _ints(keep, "--keep") or None
        rows = builders.mask_rows(values, kept, step, char, locate)
    elif kind == "nir":
        rows = builders.nir_rows(values, _ints(keep, "--keep") or builders.NIR_KEEP, locate)
    elif kind == "ordered":
        categories = _order(order, order_file)
        rows = builders.ordered_rows(categories, _ints(groups, "--groups"), values, locate)
    else:
        rows = builders.flat_rows(values, locate)
    return rows


def _order(order: str | None, order_file: Path | None) -> list[str]:
    from bulle.errors import InputError, Where
    from bulle.storage.csv_checks import check_regular_file

    if (order is None) == (order_file is None):
        raise InputError("an ordered hierarchy needs exactly one of --order or --order-file",
                         Where(field="--order"))
    if order is not None:
        return _names(order)
    assert order_file is not None
    check_regular_file(order_file)
    try:
        text = order_file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", Where(file=str(order_file))) from None
    return [ln.strip() for ln in text.splitlines() if ln.strip()]


def _column_values(path: Path, column: str,
                   delimiter: str | None) -> tuple[list[str | None], list[int]]:
    """The column's values and the file line where each record starts (for exact errors).

    Read with Python's csv module rather than the engine: building a hierarchy needs one
    column, and knowing each record's line lets every bad value be reported where it is.
    """
    import csv

    from bulle.errors import InputError, Where
    from bulle.storage.csv_checks import sniff
    from bulle.storage.engine import CsvOptions

    dialect = sniff(path, CsvOptions(delimiter=delimiter, header=True))
    if column not in dialect.columns:
        raise InputError(f"no column named {column!r} (columns: {', '.join(dialect.columns)})",
                         Where(file=str(path), column=column))
    index = dialect.columns.index(column)
    values: list[str | None] = []
    lines: list[int] = []
    encoding = "utf-8-sig" if dialect.encoding.lower() in ("utf-8", "utf8") else dialect.encoding
    try:
        with open(path, encoding=encoding, newline="") as f:
            reader = csv.reader(f, delimiter=dialect.delimiter, quotechar=dialect.quote,
                                strict=True)
            next(reader, None)  # header
            start = reader.line_num + 1
            for record in reader:
                if record:
                    if index >= len(record):
                        raise InputError(f"{len(record)} fields, expected {len(dialect.columns)}",
                                         Where(file=str(path), line=start))
                    values.append(record[index])
                    lines.append(start)
                start = reader.line_num + 1
    except csv.Error as exc:
        raise InputError(f"malformed CSV: {exc}", Where(file=str(path), line=reader.line_num)) from None
    except UnicodeDecodeError:
        raise InputError(f"bytes invalid in {dialect.encoding}", Where(file=str(path))) from None
    return values, lines
