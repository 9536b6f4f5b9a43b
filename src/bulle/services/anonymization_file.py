"""Anonymization requests turned into specifications, and the stand-alone release of a file.

An :class:`~bulle.domain.anonymization_requests.AnonymizeRequest` says what is wanted in plain
terms (hierarchy files or recipes, models by name); :func:`build_spec` reads the table's header and
the hierarchies and assembles the validated specification every form uses: the stand-alone
``bulle anonymize --input FILE`` (:func:`anonymize_file`), the workspace form
(:func:`anonymize_version`) and the Python API.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bulle.domain.anonymization_requests import AnonymizeRequest
from bulle.errors import InputError, Problem, ValidationError, Where
from bulle.governance import access
from bulle.services.results import Result

if TYPE_CHECKING:
    from bulle.anonymization.service import AnonymizationResult
    from bulle.anonymization.spec import AnonymizationSpec
    from bulle.storage.engine import Engine
    from bulle.workspace import Workspace

# The values (as text) of a column of the table, for hierarchies built from recipes.
ValuesOf = Callable[[str], list[str | None]]


@dataclass(frozen=True)
class ReleaseSummary(Result):
    """The optimal transformation found and what it costs (the stand-alone `anonymize` JSON)."""

    anonymous: bool
    transformation: dict[str, int] | None
    information_loss: Any
    metric: str
    aggregate: str | None
    suppressed_records: int
    equivalence_classes: int
    suppressed_classes: int
    records: int
    suppression_limit_records: int
    transformations: int
    transformations_checked: int
    warnings: list[str]
    seconds: float

    @classmethod
    def of(cls, result: AnonymizationResult) -> ReleaseSummary:
        return cls(**result.to_dict())


@dataclass(frozen=True)
class FileRelease(Result):
    """A stand-alone release: the summary, and where the released table went (if asked and anonymous)."""

    summary: ReleaseSummary
    output: str | None
    output_rows: int | None


def build_spec(
    engine: Engine, table: Path, request: AnonymizeRequest, values_of: ValuesOf | None = None
) -> AnonymizationSpec:
    """Read the hierarchies (all problems at once) and assemble a validated specification."""
    from bulle.anonymization.frequency import source_columns
    from bulle.anonymization.hierarchy import Hierarchy, read_hierarchy_csv
    from bulle.anonymization.spec import AnonymizationSpec, ModelSpec
    from bulle.services.hierarchies import hierarchy_rows

    header = source_columns(engine, table)
    sensitive = list(request.sensitive)
    unknown = [c for c in [*request.hierarchy_columns, *sensitive] if c not in header]
    if unknown:
        raise InputError(
            f"unknown column(s) {', '.join(repr(c) for c in unknown)}; {table} has "
            f"{', '.join(repr(c) for c in header)}",
            Where(file=str(table), column=unknown[0]),
        )
    hierarchies: dict[str, Hierarchy] = {}
    problems: list[Problem] = []
    for column, file in request.hierarchy_files:
        try:
            hierarchies[column] = read_hierarchy_csv(Path(file), column)
        except ValidationError as exc:
            problems.extend(exc.problems or [Problem(exc.message, exc.where)])
        except InputError as exc:
            problems.append(Problem(exc.message, exc.where))
    for column, recipe in request.hierarchy_recipes:
        if values_of is None:
            raise InputError(
                "a hierarchy built from the data needs the table's values", Where(column=column)
            )
        values = values_of(column)
        try:
            rows = hierarchy_rows(
                recipe, values, lambda i, c=column: Where(file=str(table), line=i + 1, column=c)
            )
            hierarchies[column] = Hierarchy.from_rows(rows, column)
        except ValidationError as exc:
            problems.extend(exc.problems or [Problem(exc.message, exc.where)])
        except InputError as exc:
            problems.append(Problem(exc.message, exc.where))
    if problems:
        raise ValidationError.from_problems("hierarchies", problems)
    for column, _ in request.weights:
        if column not in header:
            raise InputError(
                f"--weight names unknown column {column!r}", Where(field="--weight", column=column)
            )
    qis = tuple(c for c in header if c in hierarchies and c not in sensitive)
    models = tuple(ModelSpec(m.name, m.column, dict(m.params)) for m in request.models)
    return AnonymizationSpec(
        quasi_identifiers=qis,
        hierarchies=hierarchies,
        models=models,
        sensitive=tuple(sensitive),
        suppression_limit=request.suppression,
        metric=request.metric,
        gs_factor=request.gs_factor,
        aggregate=request.aggregate,
        weights=dict(request.weights),
        research_subset=Path(request.subset) if request.subset else None,
        suppressed_output=request.suppressed_records,
    )


def anonymize_file(
    input_path: Path,
    request: AnonymizeRequest,
    *,
    output: Path | None = None,
    keep_formulas: bool = False,
) -> FileRelease:
    """`bulle anonymize --input FILE`: the optimal release of a table, written if anonymous."""
    from bulle.anonymization.service import anonymize_table
    from bulle.outputs import TABLE, atomic_output
    from bulle.storage.engine import default_engine

    engine = default_engine()
    spec = build_spec(engine, input_path, request)
    result = anonymize_table(engine, input_path, spec)
    rows = None
    if output is not None and result.anonymous:
        with atomic_output(output, TABLE) as tmp:
            rows = result.write(
                engine, input_path, tmp, request.suppressed_records, keep_formulas=keep_formulas
            )
    written = str(output) if output is not None and result.anonymous else None
    return FileRelease(ReleaseSummary.of(result), written, rows)


def anonymize_version(
    ws: Workspace,
    ref: str,
    request: AnonymizeRequest,
    *,
    keep: list[str] | None = None,
    drop: list[str] | None = None,
    threshold: float | None = None,
) -> dict[str, Any]:
    """`bulle -w DIR anonymize NAME`: the release becomes a new version (see ``anonymize_dataset``;
    ``threshold`` None: the workspace's ``anonymize.risk_threshold``)."""
    from bulle.services.anonymization import anonymize_dataset
    from bulle.services.vault import resolve

    v = resolve(ws, ref)
    path = ws.path_of(v)

    def values_of(column: str) -> list[str | None]:
        # values leave the file only for the custodian, as every read of the vault
        access.can_administer(ws.actor, "anonymize a dataset", scope="vault").require()
        col = ws.engine.read_table(path, columns=[column]).column(0).to_pylist()
        return [None if x is None else str(x) for x in col]

    spec = build_spec(ws.engine, path, request, values_of)
    return anonymize_dataset(ws, ref, spec, keep=keep, drop=drop, threshold=threshold)
