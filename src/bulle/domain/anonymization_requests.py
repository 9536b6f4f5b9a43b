"""What a caller asks of an anonymization, a hierarchy build: frozen, validated, no I/O.

Every interface (CLI options, Python API keywords, later HTTP bodies) builds one of these from its
own plain arguments, and the services read files and data from it. Validation here is syntax
only (``COLUMN=FILE``, numbers, ``distinct:L``...), all problems at once; what needs the data
(unknown columns, bad hierarchy files) is checked by the service that reads it. A single problem
is raised as an ``InputError`` naming the option, several as one ``ValidationError``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bulle.errors import InputError, Problem, ValidationError, Where

HIERARCHY_KINDS = ("interval", "date", "mask", "nir", "ordered", "flat")


@dataclass(frozen=True)
class ModelRequest:
    """One privacy model by its registry name, the sensitive column it protects, its parameters."""

    name: str
    column: str | None
    params: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class HierarchyRecipe:
    """How to build a hierarchy from a column's values (`bulle hierarchy build` options as given).

    Integer lists stay text (``"2,5"``) and are read by the builder of the chosen kind only, so an
    option that does not apply to the kind is ignored, as the command line always did.
    """

    kind: str
    width: str | None = None
    fanout: str | None = None
    origin: str = "0"
    levels: str = "month,year,decade"
    formats: tuple[str, ...] = ()
    keep: str | None = None
    step: int = 1
    char: str = "*"
    order: str | None = None
    order_file: str | None = None
    groups: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in HIERARCHY_KINDS:
            raise InputError(
                f"unknown hierarchy kind {self.kind!r}: expected one of "
                f"{', '.join(HIERARCHY_KINDS)}",
                Where(field="--kind"),
            )
        object.__setattr__(self, "formats", tuple(self.formats))


@dataclass(frozen=True)
class AnonymizeRequest:
    """A release asked for: hierarchies (files or recipes), sensitive columns, models, search.

    Quasi-identifiers are the columns with a hierarchy that are not sensitive, in table order
    (decided by the service, which knows the table).
    """

    hierarchy_files: tuple[tuple[str, str], ...] = ()
    hierarchy_recipes: tuple[tuple[str, HierarchyRecipe], ...] = ()
    sensitive: tuple[str, ...] = ()
    models: tuple[ModelRequest, ...] = ()
    suppression: float = 0.0
    metric: str = "loss"
    gs_factor: float = 0.5
    aggregate: str | None = None
    weights: tuple[tuple[str, float], ...] = ()
    subset: str | None = None
    suppressed_records: str = "star"

    @property
    def hierarchy_columns(self) -> tuple[str, ...]:
        return tuple(c for c, _ in self.hierarchy_files) + tuple(
            c for c, _ in self.hierarchy_recipes
        )

    @classmethod
    def from_options(
        cls,
        *,
        hierarchy: Iterable[str] = (),
        sensitive: Iterable[str] = (),
        subset: str | None = None,
        suppression: float = 0.0,
        metric: str = "loss",
        gs_factor: float = 0.5,
        aggregate: str | None = None,
        weight: Iterable[str] = (),
        suppressed_records: str = "star",
        recipes: Mapping[str, HierarchyRecipe] | None = None,
        **model_options: Any,
    ) -> AnonymizeRequest:
        """Read the command-line forms (``COLUMN=FILE``, ``distinct:L``, ``DMIN:DMAX``...).

        ``model_options`` are the privacy models' options by name (``k=5``,
        ``l_diversity=["distinct:2"]``, ``delta_presence="0:0.5"``, a plug-in's ``min_size=4``),
        read from the registered models' declarations (:mod:`bulle.domain.model_options`).
        """
        from bulle.domain.model_options import option_groups, parse_models

        problems: list[Problem] = []
        sensitive, hierarchy = tuple(sensitive), tuple(hierarchy)
        files: dict[str, str] = {}
        for item in hierarchy:
            pair = _pair(item, "--hierarchy", "COLUMN=FILE", problems)
            if pair is None:
                continue
            column, file = pair
            if column in files or column in (recipes or {}):
                problems.append(
                    Problem(
                        f"two hierarchies for column {column!r}",
                        Where(field="--hierarchy", column=column),
                    )
                )
                continue
            files[column] = file
        if not hierarchy and not recipes:
            problems.append(
                Problem(
                    "at least one --hierarchy COLUMN=FILE is required", Where(field="--hierarchy")
                )
            )
        given = {name: value for name, value in model_options.items() if value is not None}
        before = len(problems)
        models = parse_models(given, list(sensitive), problems)
        if subset is not None and not any(m.name == "delta-presence" for m in models):
            # a malformed --delta-presence is reported already; a missing one is the problem
            delta_option = next(
                (
                    o
                    for o, ms in option_groups().items()
                    if any(m.name == "delta-presence" for m in ms)
                ),
                None,
            )
            if not any(
                p.where is not None and p.where.field == delta_option for p in problems[before:]
            ):
                problems.append(
                    Problem("--subset is only used with --delta-presence", Where(field="--subset"))
                )
        weights: list[tuple[str, float]] = []
        for item in weight:
            pair = _pair(item, "--weight", "COLUMN=W", problems)
            if pair is not None:
                value = _number(pair[1], "--weight", f"weight of {pair[0]}", problems)
                if value is not None:
                    weights.append((pair[0], value))
        raise_problems("anonymization options", problems)
        return cls(
            tuple(files.items()),
            tuple((recipes or {}).items()),
            sensitive,
            tuple(models),
            suppression,
            metric,
            gs_factor,
            aggregate,
            tuple(weights),
            subset,
            suppressed_records,
        )


def raise_problems(what: str, problems: Sequence[Problem]) -> None:
    """One problem as the ``InputError`` it always was; several as one ``ValidationError``."""
    if len(problems) == 1:
        raise InputError(problems[0].message, problems[0].where)
    if problems:
        raise ValidationError.from_problems(what, list(problems))


def _pair(text: str, option: str, what: str, problems: list[Problem]) -> tuple[str, str] | None:
    left, sep, right = text.partition("=")
    if not sep or not left or not right:
        problems.append(Problem(f"expected {what}, got {text!r}", Where(field=option)))
        return None
    return left, right


def _number(text: str, option: str, name: str, problems: list[Problem]) -> float | None:
    try:
        return float(text)
    except ValueError:
        problems.append(Problem(f"{name} must be a number, got {text!r}", Where(field=option)))
        return None
