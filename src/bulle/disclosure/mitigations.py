"""Mitigations: offered to the analyst, never applied silently.

Each takes a table and its evidence and returns a *new* table and evidence (a new revision of the
output: the original is kept), together with the rules it mitigates; the new evidence passes those
rules (a property test holds every method to this). They are:

* ``suppress``: the cells that fail a rule are not shown (empty). Totals are not published by
  ``crosstab``/``pivot_table`` (margins are refused), so a suppressed cell cannot be recomputed
  from them; a separately released total can still give one back, which ``differencing`` and the
  reviewers watch.
* ``round``: counts are rounded to ``disclosure.round_base`` (5): no difference between two
  rounded tables is exact any more (mitigates ``differencing``; a shown 0 may be 1 or 2, so
  ``zeros`` too). It does not make small counts large: ``threshold`` still judges the shown values.
* ``opensafely``: OpenSAFELY's rule, counts up to ``disclosure.redact_max`` (7) are shown as 0,
  then counts are rounded to the base; a rounded count still under ``disclosure.threshold`` (only
  when the threshold is raised above OpenSAFELY's) is shown as 0 too, so the output passes
  ``threshold``, ``zeros`` and ``differencing``.

``round`` and ``opensafely`` apply to counts only (frequency tables and histograms): rounding a
mean or a sum is not a disclosure control Bulle offers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from bulle.disclosure.evidence import STATE_CODES, CellState, TableEvidence
from bulle.disclosure.rules import FAIL, RuleResult
from bulle.disclosure.status import run_checks
from bulle.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

METHODS = ("suppress", "round", "opensafely")
COUNT_KINDS = frozenset({"frequency", "histogram"})


@dataclass(frozen=True, eq=False)
class Mitigated:
    """A new revision of an output: its table, its evidence, and the rules the method mitigates."""

    method: str
    table: pd.DataFrame
    evidence: TableEvidence
    mitigates: tuple[str, ...]
    changed_cells: int


ROUNDING_MITIGATES = {
    "round": ("zeros", "differencing"),
    "opensafely": ("threshold", "zeros", "differencing"),
}


def offered(ev: TableEvidence, results: list[RuleResult]) -> list[str]:
    """The methods worth offering after ``results``: each mitigates at least one failing rule
    (suppression only when every failure is of cells, not of the output as a whole)."""
    failing = [r for r in results if r.outcome == FAIL]
    out = []
    if failing and all(r.flagged.size for r in failing):
        out.append("suppress")
    if ev.statistic == "count" and ev.kind.value in COUNT_KINDS and ev.n_cells:
        fails = {r.rule for r in failing}
        out += [m for m, rules in ROUNDING_MITIGATES.items() if fails & set(rules)]
    return out


def mitigate(
    method: str,
    table: pd.DataFrame,
    ev: TableEvidence,
    params: Mapping[str, Any] | None = None,
    released: tuple[TableEvidence, ...] = (),
) -> Mitigated:
    """Apply ``method`` to a grid-aligned ``table`` and its evidence (see the module's doc)."""
    if params is None:
        from bulle.settings import defaults

        params = defaults()
    if table.shape != (len(ev.row_labels), len(ev.col_labels)):
        raise InputError(
            f"output {ev.name!r}: the table's shape {table.shape} is not its evidence's grid "
            f"({len(ev.row_labels)} x {len(ev.col_labels)})"
        )
    if method == "suppress":
        return _suppress(table, ev, params, released)
    if method in ("round", "opensafely"):
        if not (ev.statistic == "count" and ev.kind.value in COUNT_KINDS):
            raise InputError(
                f"output {ev.name!r}: {method!r} applies to counts only (frequency tables, "
                f"histograms), not a {ev.kind.value} table of {ev.statistic or 'no statistic'}"
            )
        return _round(method, table, ev, params)
    raise InputError(f"unknown mitigation {method!r}; known: {', '.join(METHODS)}")


def _with(
    table: pd.DataFrame,
    ev: TableEvidence,
    shown: np.ndarray,
    state: np.ndarray,
    method: str,
    base: int = 0,
) -> tuple[pd.DataFrame, TableEvidence]:
    import pandas as pd

    grid = shown.reshape(table.shape)
    new = pd.DataFrame(grid, index=table.index, columns=table.columns)
    if ev.statistic == "count":  # counts stay whole numbers; a suppressed one is <NA>
        new = new.astype("Int64")
    new_ev = ev.with_cells(
        published=shown, state=state, mitigation=method, round_base=base or ev.round_base
    )
    return new, new_ev


def _suppress(table, ev, params, released) -> Mitigated:
    results = run_checks(ev, params, released)
    failing = [r for r in results if r.outcome == FAIL]
    if not failing:
        raise InputError(f"output {ev.name!r}: no rule fails, there is nothing to suppress")
    whole = [r.rule for r in failing if r.flagged.size == 0]
    if whole:
        raise InputError(
            f"output {ev.name!r}: {', '.join(whole)} fails the output as a whole; "
            "suppressing cells cannot mitigate it"
        )
    cells = np.unique(np.concatenate([r.flagged for r in failing]))
    shown = ev.published.astype(float).copy()
    state = ev.state.copy()
    shown[cells] = np.nan
    state[cells] = STATE_CODES[CellState.SUPPRESSED]
    new, new_ev = _with(table, ev, shown, state, "suppress")
    return Mitigated("suppress", new, new_ev, tuple(r.rule for r in failing), int(cells.size))


def _round(method: str, table, ev: TableEvidence, params) -> Mitigated:
    base = int(params["disclosure.round_base"])
    exact = ev.exact()
    count = ev.count.astype(float)
    shown = ev.published.astype(float).copy()
    state = ev.state.copy()
    rounded = np.floor(count / base + 0.5) * base
    shown[exact] = rounded[exact]
    state[exact] = STATE_CODES[CellState.ROUNDED]
    mitigates = ROUNDING_MITIGATES[method]
    if method == "opensafely":
        t = params["disclosure.threshold"]
        redact = exact & (
            (count <= params["disclosure.redact_max"]) | ((rounded > 0) & (rounded < t))
        )
        shown[redact] = 0.0
        state[redact] = STATE_CODES[CellState.REDACTED]
    changed = int(np.sum(exact & (shown != ev.published)))
    new, new_ev = _with(table, ev, shown, state, method, base)
    return Mitigated(method, new, new_ev, mitigates, changed)
