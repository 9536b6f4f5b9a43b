"""Building a generalization hierarchy from a column: of a CSV file, or of a workspace version.

The output is ARX's hierarchy format (``leaf;level1;...;*``, ``;``-separated, no header). Bad
values are all reported at once, each with its file line (or version row). The CSV form reads the
file with Python's csv module rather than the engine: one column is needed, and knowing each
record's line lets every bad value be reported where it is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bulle.domain.anonymization_requests import HierarchyRecipe
from bulle.errors import InputError, NotFoundError, Where
from bulle.services.results import Result

if TYPE_CHECKING:
    from bulle.workspace import Workspace

HIERARCHY_KIND = "hierarchy:"  # the artefact kind of a release's hierarchy, + its column


@dataclass(frozen=True)
class HierarchyBuilt(Result):
    output: str
    kind: str
    column: str
    source: str
    leaves: int
    height: int
    distinct_per_level: list[int]
    example: list[str]

    @classmethod
    def of(
        cls, rows: list[list[str]], output: Path, recipe: HierarchyRecipe, column: str, source: str
    ) -> HierarchyBuilt:
        height = len(rows[0]) - 1
        return cls(
            str(output),
            recipe.kind,
            column,
            source,
            len(rows),
            height,
            [len({r[i] for r in rows}) for i in range(height + 1)],
            rows[len(rows) // 2],
        )


def build_file_hierarchy(
    input_path: Path,
    column: str,
    output: Path,
    recipe: HierarchyRecipe,
    delimiter: str | None = None,
) -> HierarchyBuilt:
    """`bulle hierarchy build --input FILE`: a hierarchy of ``column`` of a CSV file."""
    from bulle.outputs import write_text

    values, lines = column_values(input_path, column, delimiter)
    rows = hierarchy_rows(
        recipe, values, lambda i: Where(file=str(input_path), line=lines[i], column=column)
    )
    write_text(output, "".join(";".join(r) + "\n" for r in rows), (".csv",))
    return HierarchyBuilt.of(rows, output, recipe, column, str(input_path))


def build_version_hierarchy(
    ws: Workspace, ref: str, column: str, output: Path, recipe: HierarchyRecipe
) -> HierarchyBuilt:
    """`bulle -w DIR hierarchy build NAME`: read where it is, as text, with no clear-text export."""
    from bulle.services.risk import build_hierarchy

    rows, v = build_hierarchy(
        ws,
        ref,
        column,
        output,
        recipe.kind,
        lambda values, locate: hierarchy_rows(recipe, values, locate),
    )
    return HierarchyBuilt.of(rows, output, recipe, column, v.ref)


def hierarchy_rows(
    recipe: HierarchyRecipe, values: list[str | None], locate: Callable[[int], Where]
) -> list[list[str]]:
    from bulle.anonymization import builders

    r = recipe
    if r.kind == "interval":
        if r.width is None:
            raise InputError("an interval hierarchy needs --width", Where(field="--width"))
        return builders.interval_rows(
            values, r.width, _ints(r.fanout, "--fanout"), r.origin, locate
        )
    if r.kind == "date":
        return builders.date_rows(values, _names(r.levels), list(r.formats) or None, locate)
    if r.kind == "mask":
        return builders.mask_rows(values, _ints(r.keep, "--keep") or None, r.step, r.char, locate)
    if r.kind == "nir":
        return builders.nir_rows(values, _ints(r.keep, "--keep") or builders.NIR_KEEP, locate)
    if r.kind == "ordered":
        categories = _order(r.order, r.order_file)
        return builders.ordered_rows(categories, _ints(r.groups, "--groups"), values, locate)
    return builders.flat_rows(values, locate)


def _ints(text: str | None, option: str) -> list[int]:
    if text is None or not text.strip():
        return []
    try:
        return [int(x) for x in text.replace(" ", "").split(",") if x]
    except ValueError:
        raise InputError(
            f"expected comma-separated integers, got {text!r}", Where(field=option)
        ) from None


def _names(text: str | None) -> list[str]:
    if text is None:
        return []
    return [x.strip() for x in text.split(",") if x.strip()]


def _order(order: str | None, order_file: str | None) -> list[str]:
    from bulle.storage.csv_checks import check_regular_file

    if (order is None) == (order_file is None):
        raise InputError(
            "an ordered hierarchy needs exactly one of --order or --order-file",
            Where(field="--order"),
        )
    if order is not None:
        return _names(order)
    assert order_file is not None
    path = Path(order_file)
    check_regular_file(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", Where(file=str(path))) from None
    return [ln.strip() for ln in text.splitlines() if ln.strip()]


def column_values(
    path: Path, column: str, delimiter: str | None
) -> tuple[list[str | None], list[int]]:
    """The column's values and the file line where each record starts (for exact errors)."""
    import csv

    from bulle.storage.csv_checks import sniff
    from bulle.storage.engine import CsvOptions

    dialect = sniff(path, CsvOptions(delimiter=delimiter, header=True))
    if column not in dialect.columns:
        raise InputError(
            f"no column named {column!r} (columns: {', '.join(dialect.columns)})",
            Where(file=str(path), column=column),
        )
    index = dialect.columns.index(column)
    values: list[str | None] = []
    lines: list[int] = []
    encoding = "utf-8-sig" if dialect.encoding.lower() in ("utf-8", "utf8") else dialect.encoding
    try:
        with open(path, encoding=encoding, newline="") as f:
            reader = csv.reader(
                f, delimiter=dialect.delimiter, quotechar=dialect.quote, strict=True
            )
            next(reader, None)  # header
            start = reader.line_num + 1
            for record in reader:
                if record:
                    if index >= len(record):
                        raise InputError(
                            f"{len(record)} fields, expected {len(dialect.columns)}",
                            Where(file=str(path), line=start),
                        )
                    values.append(record[index])
                    lines.append(start)
                start = reader.line_num + 1
    except csv.Error as exc:
        raise InputError(
            f"malformed CSV: {exc}", Where(file=str(path), line=reader.line_num)
        ) from None
    except UnicodeDecodeError:
        raise InputError(f"bytes invalid in {dialect.encoding}", Where(file=str(path))) from None
    return values, lines


@dataclass(frozen=True)
class StoredHierarchy(Result):
    """A hierarchy the workspace keeps: the one a release used, stored as its artefact."""

    id: str
    column: str
    version: str
    created_at: str


def stored_hierarchies(ws: Workspace, dataset: str | None = None) -> list[StoredHierarchy]:
    """Every hierarchy kept with a release (of ``dataset``, or of any dataset), newest first: a
    custodian anonymizing again reuses them as `bulle anonymize --hierarchy COLUMN=FILE` would."""
    from bulle.governance import access

    access.can_administer(ws.actor, "read stored hierarchies", scope="vault").require()
    found = [
        StoredHierarchy(
            a["id"],
            a["kind"][len(HIERARCHY_KIND) :],
            f"{a['dataset']}@{a['number']}",
            a["created_at"],
        )
        for a in ws.catalog.artefacts(dataset)
        if a["kind"].startswith(HIERARCHY_KIND)
    ]
    return sorted(found, key=lambda h: h.created_at, reverse=True)


def stored_hierarchy_file(ws: Workspace, artefact_id: str) -> tuple[StoredHierarchy, Path]:
    """A stored hierarchy and its file, by its artefact id (only a hierarchy's: other artefacts,
    keys or tables, are never read this way)."""
    for h in stored_hierarchies(ws):
        if h.id == artefact_id:
            row = next(a for a in ws.catalog.artefacts() if a["id"] == artefact_id)
            return h, ws.root / row["path"]
    raise NotFoundError(f"no stored hierarchy {artefact_id!r}", Where(field="hierarchy"))
