"""Risk measurement and hierarchy building on a workspace version, without a clear-text export.

The stand-alone commands read a file; a custodian holding the data in a vault would have to export
personal data out of it to use them. These use cases read the version where it is. Values are read
as text, as the workspace form of `anonymize` reads them, so a hierarchy built here covers exactly
the values a release will generalize, and a risk measured here groups them the same way.

Both are custodian operations and audited: measuring risk reads the named columns (a
``dataset.read`` event); a hierarchy file holds a column's distinct values in clear, written
outside the workspace (a ``dataset.export`` event with the file's hash).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from bulle.audit import events as ev
from bulle.errors import InputError, Problem, ValidationError, Where
from bulle.fsutil import remove_path
from bulle.governance import access
from bulle.services.vault import resolve

if TYPE_CHECKING:
    from bulle.anonymization.risk import RiskReport
    from bulle.domain.datasets import DatasetVersion
    from bulle.workspace import Workspace

# Builds hierarchy rows from values; ``locate(i)`` gives where value ``i`` is.
RowsBuilder = Callable[[list[str | None], Callable[[int], Where]], list[list[str]]]


def _missing(v: DatasetVersion, names: list[str | None], what: str) -> list[Problem]:
    present = [c["name"] for c in v.schema]
    return [
        Problem(
            f"no column named {n!r} in the {what} {v.ref} (columns: {', '.join(present)})",
            Where(file=v.ref, column=n),
        )
        for n in names
        if n is not None and n not in present
    ]


def _as_text(ws: Workspace, v: DatasetVersion, text: list[str], as_is: list[str]) -> Path:
    """A temporary Parquet projection of ``v``: ``text`` columns cast to text, ``as_is`` kept."""
    dest = ws.temp_path()
    try:
        ws.engine.write_projection(ws.path_of(v), dest, text=text, keep=as_is)
    except BaseException:
        remove_path(dest)
        raise
    return dest


def measure_version_risk(
    ws: Workspace,
    ref: str,
    quasi_identifiers: list[str],
    *,
    subject_id: str | None = None,
    population: str | None = None,
    threshold: float | None = None,
    suppressed_marker: str = "*",
    suppressed_column: str | None = None,
) -> tuple[RiskReport, DatasetVersion]:
    """The re-identification risk of version ``ref`` (``population``: another version holding it)."""
    from bulle.anonymization.risk import check_parameters, measure_risk

    access.can_administer(ws.actor, "measure the risk of a dataset", scope="vault").require()
    if threshold is None:
        threshold = ws.settings["anonymize.risk_threshold"]
    check_parameters(list(quasi_identifiers), threshold, subject_id, suppressed_column)
    v = resolve(ws, ref)
    pop = resolve(ws, population) if population is not None else None
    problems = _missing(v, [*quasi_identifiers, subject_id, suppressed_column], "dataset")
    if pop is not None:
        problems += _missing(pop, list(quasi_identifiers), "population")
    if problems:
        raise ValidationError.from_problems(f"cannot measure the risk of {v.ref}", problems)
    text = [*quasi_identifiers, *([subject_id] if subject_id else [])]
    table = _as_text(ws, v, text, [suppressed_column] if suppressed_column else [])
    pop_table = _as_text(ws, pop, list(quasi_identifiers), []) if pop is not None else None
    try:
        report = measure_risk(
            table,
            list(quasi_identifiers),
            subject_id=subject_id,
            population=pop_table,
            threshold=threshold,
            suppression_marker=suppressed_marker,
            suppressed_column=suppressed_column,
            engine=ws.engine,
        )
    finally:
        remove_path(table)
        if pop_table is not None:
            remove_path(pop_table)
    ws.emit(
        ev.DatasetRead(
            actor=ws.actor,
            target=v.ref,
            details={
                "columns": [c for c in (*text, suppressed_column) if c],
                "rows": v.row_count,
                "purpose": "risk measurement",
                "population": pop.ref if pop is not None else None,
            },
        )
    )
    return report, v


def build_hierarchy(
    ws: Workspace, ref: str, column: str, output: Path, kind: str, make_rows: RowsBuilder
) -> tuple[list[list[str]], DatasetVersion]:
    """Build a hierarchy from ``column`` of version ``ref`` and write it (ARX format) to ``output``.

    Bad values are located by row: ``Where(file=REF, line=ROW, column=COLUMN)``, ROW from 1 in
    the version's row order.
    """
    from bulle.fsutil import sha256_file

    access.can_administer(ws.actor, "build a hierarchy from a dataset", scope="vault").require()
    v = resolve(ws, ref)
    problems = _missing(v, [column], "dataset")
    if problems:
        raise InputError(problems[0].message, problems[0].where)
    values = ws.engine.read_text(ws.path_of(v), [column]).column(column).to_pylist()
    rows = make_rows(values, lambda i: Where(file=v.ref, line=i + 1, column=column))
    # The file holds the column's values in clear: readable by its owner only.
    from bulle.outputs import write_text  # only a regular file is replaced, mode 0600

    write_text(output, "".join(";".join(r) + "\n" for r in rows), (".csv",))
    ws.emit(
        ev.DatasetExported(
            actor=ws.actor,
            target=v.ref,
            details={
                "format": "hierarchy",
                "kind": kind,
                "columns": [column],
                "leaves": len(rows),
                "content_hash": sha256_file(output),
            },
        )
    )
    return rows, v


def check_risk_options(
    quasi_identifiers: list[str],
    threshold: float | None,
    subject_id: str | None,
    suppressed_column: str | None,
) -> None:
    """The options of a risk measurement, checked before any file or version is opened
    (``threshold`` None: the setting ``anonymize.risk_threshold``)."""
    from bulle.anonymization.risk import DEFAULT_THRESHOLD, check_parameters

    check_parameters(
        list(quasi_identifiers),
        DEFAULT_THRESHOLD if threshold is None else threshold,
        subject_id,
        suppressed_column,
    )


def measure_file_risk(
    input_path: Path,
    quasi_identifiers: list[str],
    *,
    subject_id: str | None = None,
    population: Path | None = None,
    threshold: float | None = None,
    suppressed_marker: str = "*",
    suppressed_column: str | None = None,
    delimiter: str | None = None,
) -> RiskReport:
    """`bulle risk --input FILE`: CSV read as text (values compare as written), Parquet as it is.
    ``threshold`` None: the setting ``anonymize.risk_threshold`` (no workspace, so from the
    environment or the built-in default)."""
    import tempfile

    from bulle.anonymization.risk import DEFAULT_THRESHOLD, measure_risk
    from bulle.storage.duckdb_engine import DuckDBEngine

    if threshold is None:
        threshold = DEFAULT_THRESHOLD
    check_risk_options(quasi_identifiers, threshold, subject_id, suppressed_column)
    engine = DuckDBEngine()
    with tempfile.TemporaryDirectory(prefix="bulle-risk-") as tmp:
        data = _file_as_parquet(
            engine,
            input_path,
            Path(tmp) / "table.parquet",
            delimiter,
            [*quasi_identifiers, subject_id, suppressed_column],
        )
        pop = None
        if population is not None:
            pop = _file_as_parquet(
                engine,
                population,
                Path(tmp) / "population.parquet",
                delimiter,
                list(quasi_identifiers),
            )
        return measure_risk(
            data,
            list(quasi_identifiers),
            subject_id=subject_id,
            population=pop,
            threshold=threshold,
            suppression_marker=suppressed_marker,
            suppressed_column=suppressed_column,
            engine=engine,
        )


def write_risk_html(report: RiskReport, source: str, output: Path) -> str:
    """The self-contained HTML report, written mode 0600; returns where."""
    from bulle.anonymization.report_html import render_html
    from bulle.outputs import HTML, write_text

    write_text(output, render_html(report, source=source), HTML)
    return str(output)


def _file_as_parquet(
    engine, src: Path, dest: Path, delimiter: str | None, needed: list[str | None]
) -> Path:
    """A Parquet copy of the input (CSV read as text), checked to hold the needed columns."""
    from bulle.storage.csv_checks import check_regular_file
    from bulle.storage.engine import CsvOptions

    check_regular_file(src)
    if src.suffix.lower() == ".parquet":
        stats = engine.parquet_to_parquet(src, dest)
    else:
        stats = engine.csv_to_parquet(
            src, dest, CsvOptions(delimiter=delimiter, header=True, all_varchar=True)
        )
    names = [c["name"] for c in stats.schema]
    missing = [n for n in needed if n is not None and n not in names]
    if missing:
        raise ValidationError.from_problems(
            f"columns missing from {src}",
            [
                Problem(
                    f"no column named {n!r} (columns: {', '.join(names)})",
                    Where(file=str(src), column=n),
                )
                for n in missing
            ],
        )
    return dest
