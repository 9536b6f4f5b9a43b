"""Generalization hierarchies in ARX's CSV format, validated the way a custodian needs.

A hierarchy is one row per leaf value, ``leaf;level1;...;top``. It is kept exactly as read
(duplicate rows included) because ARX's Loss metric takes the number of rows as the attribute's
domain size and counts rows, not distinct leaves, when it computes the share of a generalized
value: matching ARX means keeping ``fars_int_hierarchy_iage.csv``'s duplicated leaf.

Validation collects every problem before raising, so a user fixes a hierarchy in one pass:
rows of unequal length name their line, a value mapped to two parents is an error, a duplicated
leaf row is only a warning (returned in ``Hierarchy.warnings``), and values of the data that no
row covers are listed one by one with their column.
"""

from __future__ import annotations

import os
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from bulle.errors import InputError, Problem, ValidationError, Where

SEPARATOR = ";"


@dataclass(frozen=True)
class Hierarchy:
    """A full-domain generalization hierarchy: leaves and, per leaf, its value at every level."""

    rows: tuple[tuple[str, ...], ...]
    name: str | None = None
    source: str | None = None
    warnings: tuple[str, ...] = field(default=(), compare=False)

    # -- construction ------------------------------------------------------------------------
    @classmethod
    def from_rows(
        cls, rows: Iterable[Sequence[str]], name: str | None = None, source: str | None = None
    ) -> Hierarchy:
        """Build and validate a hierarchy; raise one ValidationError listing every problem."""
        materialized = tuple(tuple(str(v) for v in row) for row in rows)
        problems, warnings = _structural_problems(materialized, name, source)
        if problems:
            what = f"hierarchy {name!r}" if name else "hierarchy"
            raise ValidationError.from_problems(what, problems)
        return cls(rows=materialized, name=name, source=source, warnings=tuple(warnings))

    # -- shape -------------------------------------------------------------------------------
    @property
    def height(self) -> int:
        """Highest generalization level (number of columns minus one)."""
        return len(self.rows[0]) - 1

    @property
    def domain_size(self) -> int:
        """Number of rows in the file: ARX's domain size for Loss (duplicates included)."""
        return len(self.rows)

    @cached_property
    def levels(self) -> tuple[dict[str, str], ...]:
        """Per level, leaf -> generalized value (for a duplicated leaf the last row wins, as in ARX)."""
        maps: list[dict[str, str]] = [{} for _ in range(self.height + 1)]
        for row in self.rows:
            for level, value in enumerate(row):
                maps[level][row[0]] = value
        return tuple(maps)

    @cached_property
    def leaves(self) -> frozenset[str]:
        return frozenset(row[0] for row in self.rows)

    @cached_property
    def share_counts(self) -> tuple[Counter, ...]:
        """Per level, value -> number of rows carrying it: numerator of ARX's domain share."""
        return tuple(Counter(row[level] for row in self.rows) for level in range(self.height + 1))

    def generalize(self, value: str, level: int) -> str:
        return self.levels[level][value]

    def uncovered(self, values: Iterable[str]) -> list[str]:
        """Values (of the data) that no leaf row covers, sorted."""
        return sorted({v for v in values if v not in self.leaves})

    def to_rows(self) -> list[list[str]]:
        return [list(r) for r in self.rows]


def _structural_problems(
    rows: tuple[tuple[str, ...], ...], name: str | None, source: str | None
) -> tuple[list[Problem], list[str]]:
    problems: list[Problem] = []
    warnings: list[str] = []
    col = name
    if not rows:
        return [Problem("hierarchy has no rows", Where(file=source, column=col))], warnings
    width = len(rows[0])
    if width < 1 or (width == 1 and rows[0] == ("",)):
        problems.append(Problem("hierarchy row is empty", Where(file=source, line=1, column=col)))
    for i, row in enumerate(rows, start=1):
        if len(row) != width:
            problems.append(
                Problem(
                    f"row has {len(row)} values but the first row has {width}: every row needs the "
                    f"same number of levels",
                    Where(file=source, line=i, column=col),
                )
            )
    if problems:
        return problems, warnings
    # A value at level i must have one parent at level i+1 (including level 0: the leaf).
    for level in range(width - 1):
        parent: dict[str, tuple[str, int]] = {}
        reported: set[str] = set()
        for i, row in enumerate(rows, start=1):
            value, up = row[level], row[level + 1]
            seen = parent.get(value)
            if seen is None:
                parent[value] = (up, i)
            elif seen[0] != up and value not in reported:
                reported.add(value)
                what = "leaf" if level == 0 else f"value at level {level}"
                problems.append(
                    Problem(
                        f"inconsistent hierarchy: {what} {value!r} generalizes to {seen[0]!r} "
                        f"(line {seen[1]}) and to {up!r} (line {i}) at level {level + 1}",
                        Where(file=source, line=i, column=col),
                    )
                )
    first_line: dict[tuple[str, ...], int] = {}
    for i, row in enumerate(rows, start=1):
        if row in first_line:
            warnings.append(
                f"{source or 'hierarchy'}: line {i} repeats leaf {row[0]!r} of line "
                f"{first_line[row]} (kept: the Loss metric counts it in the domain size)"
            )
        else:
            first_line[row] = i
    return problems, warnings


# -- files -------------------------------------------------------------------------------------
def read_hierarchy_csv(path: Path | str, name: str | None = None) -> Hierarchy:
    """Read ARX's hierarchy format: ``;``-separated, no header, LF or CRLF, no quoting."""
    p = Path(path)
    where = Where(file=str(p), column=name)
    if not p.exists():
        raise InputError("hierarchy file not found", where)
    if p.is_dir():
        raise InputError("hierarchy path is a directory, not a file", where)
    raw = p.read_bytes()
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(
            "hierarchy file is not valid UTF-8", Where(file=str(p), line=line, column=name)
        ) from None
    lines = text.split("\n")
    while lines and lines[-1].strip("\r") == "":
        lines.pop()
    rows = []
    for i, line in enumerate(lines, start=1):
        line = line.rstrip("\r")
        if line == "":
            raise InputError(
                "empty line inside the hierarchy", Where(file=str(p), line=i, column=name)
            )
        rows.append(line.split(SEPARATOR))
    return Hierarchy.from_rows(rows, name=name, source=str(p))


def write_hierarchy_csv(hierarchy: Hierarchy, path: Path | str) -> None:
    """Write a hierarchy atomically (temporary file, fsync, rename) in ARX's format."""
    p = Path(path)
    for row in hierarchy.rows:
        for value in row:
            if SEPARATOR in value or "\n" in value or "\r" in value:
                raise InputError(
                    f"value {value!r} cannot be written in ARX's hierarchy format "
                    f"(it contains {SEPARATOR!r} or a line break)",
                    Where(file=str(p)),
                )
    body = "".join(SEPARATOR.join(row) + "\n" for row in hierarchy.rows).encode("utf-8")
    fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=f".{p.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(body)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def coverage_problems(
    hierarchies: dict[str, Hierarchy],
    values: dict[str, Iterable[str]],
    data_file: str | None = None,
) -> list[Problem]:
    """One problem per data value that its column's hierarchy does not cover."""
    problems: list[Problem] = []
    for column, hierarchy in hierarchies.items():
        for value in hierarchy.uncovered(values.get(column, ())):
            problems.append(
                Problem(
                    f"value {value!r} of column {column!r} is not covered by its hierarchy"
                    + (f" ({hierarchy.source})" if hierarchy.source else ""),
                    Where(file=data_file, column=column),
                )
            )
    return problems
