"""Table evidence: what the disclosure rules need, computed from the rows in the call that builds
the table.

A checker never sees the rows, only the published table; the rules need more than that table
(how many records each cell holds, the largest contributions to a sum, how many records lie each
side of a median). So the evidence is computed from the same rows, in the same call, as the table
itself (``bulle.disclosure.tables``), and travels with it. The sandbox writes it, the server reads
it back: :func:`from_json` and :func:`from_parquet` treat it as hostile input and refuse anything
inconsistent (:mod:`bulle.disclosure.evidence_io`).

The evidence is columnar (one numpy array per field, one entry per cell of the grid of row keys x
column keys, row-major) so that the rules are vectorised: checks on a 10,000-cell table take
milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

import numpy as np


class Kind(StrEnum):
    """What an output is; it decides which rules apply."""

    FREQUENCY = "frequency"
    MAGNITUDE = "magnitude"
    DESCRIPTIVE = "descriptive"
    REGRESSION = "regression"
    HISTOGRAM = "histogram"
    FIGURE = "figure"
    FILE = "file"


class CellState(StrEnum):
    """How a cell is published: its exact value, or after a mitigation."""

    EXACT = "exact"
    SUPPRESSED = "suppressed"  # not shown at all
    REDACTED = "redacted"  # shown as 0 whatever its count (OpenSAFELY's <= 7 -> 0)
    ROUNDED = "rounded"  # shown rounded to ``TableEvidence.round_base``


STATE_CODES = {s: i for i, s in enumerate(CellState)}
STATES = list(CellState)

# The statistic each cell reports; decides which rules apply to a table.
COUNT_STATS = frozenset({"count"})
MAGNITUDE_STATS = frozenset({"sum", "mean"})
QUANTILE_STATS = frozenset({"median", "quantile"})
EXTREME_STATS = frozenset({"min", "max"})
SPREAD_STATS = frozenset({"std", "var"})
STATISTICS = COUNT_STATS | MAGNITUDE_STATS | QUANTILE_STATS | EXTREME_STATS | SPREAD_STATS


@dataclass(frozen=True, eq=False)
class TableEvidence:
    """Per-cell facts about one output, aligned with its grid of ``row_labels`` x ``col_labels``.

    Arrays hold one entry per cell (``len(row_labels) * len(col_labels)``), row-major:

    * ``count``: records in the cell (rows whose keys fall in it, whatever their value);
    * ``total``: sum of the cell's non-missing values (NaN for a cell with none, or no values);
    * ``top``: ``(cells, n_top)`` largest values, descending, NaN-padded (nk-rule and p-ratio);
    * ``negatives``, ``missing``: records with a negative, resp. missing, value;
    * ``value``: the published statistic (the count for a frequency table);
    * ``below``, ``above``: records strictly below / above the published value (quantiles);
    * ``ties``: records equal to the published value (minimum, maximum);
    * ``published``: what is shown (``value`` after a mitigation; equal to it when exact);
    * ``state``: codes of :class:`CellState`.
    """

    name: str
    kind: Kind
    statistic: str  # one of STATISTICS, or "" for regressions, figures and files
    row_vars: tuple[str, ...] = ()
    col_vars: tuple[str, ...] = ()
    row_labels: tuple[tuple[str, ...], ...] = ()
    col_labels: tuple[tuple[str, ...], ...] = ()
    count: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    total: np.ndarray = field(default_factory=lambda: np.zeros(0))
    top: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    negatives: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    missing: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    value: np.ndarray = field(default_factory=lambda: np.zeros(0))
    below: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    above: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    ties: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    published: np.ndarray = field(default_factory=lambda: np.zeros(0))
    state: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int8))
    has_values: bool = False  # the table aggregates a values column (missing/negatives are known)
    dof: int | None = None  # residual degrees of freedom of a regression
    has_table: bool = True  # a figure declared with the table behind it
    round_base: int = 0  # base of ROUNDED cells
    mitigation: str = ""  # the mitigation that produced this evidence, if any

    @property
    def n_cells(self) -> int:
        return len(self.row_labels) * len(self.col_labels)

    @property
    def n_top(self) -> int:
        return int(self.top.shape[1]) if self.top.ndim == 2 else 0

    def cell_label(self, i: int) -> dict[str, Any]:
        """The cell's position and labels, as shown to reviewers."""
        r, c = divmod(int(i), max(len(self.col_labels), 1))
        return {
            "row": r,
            "col": c,
            "row_label": list(self.row_labels[r]),
            "col_label": list(self.col_labels[c]) if self.col_labels else [],
        }

    def exact(self) -> np.ndarray:
        return self.state == STATE_CODES[CellState.EXACT]

    def shown(self) -> np.ndarray:
        """Cells whose value can be read in the output (anything but suppressed)."""
        return self.state != STATE_CODES[CellState.SUPPRESSED]

    def with_cells(self, **arrays: Any) -> TableEvidence:
        return replace(self, **arrays)


def top_contributions(values: np.ndarray, cell: np.ndarray, n_cells: int, n: int) -> np.ndarray:
    """``(n_cells, n)`` largest non-missing values of each cell, descending, NaN-padded.

    One sort of all records by (cell, -value): the rank of a record in its cell is its position
    minus the cell's first position, and records of rank < n are kept.
    """
    out = np.full((n_cells, n), np.nan)
    ok = ~np.isnan(values)
    v, c = values[ok], cell[ok]
    if n == 0 or v.size == 0:
        return out
    order = np.lexsort((-v, c))
    v, c = v[order], c[order]
    first = np.searchsorted(c, np.arange(n_cells), side="left")
    rank = np.arange(c.size) - first[c]
    keep = rank < n
    out[c[keep], rank[keep]] = v[keep]
    return out
