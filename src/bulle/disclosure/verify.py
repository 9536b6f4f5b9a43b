"""Does the file a job published show what its evidence says was checked?

The checks judge the evidence; what leaves is the output file. A job could declare honest evidence
and write another table, so before an output is reviewed or released its table must show, cell
for cell, the evidence's ``published`` values (NaN where a cell is suppressed or empty) on the
evidence's grid. This is the last link between what was checked and what is released.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from bulle.disclosure.evidence import TableEvidence
from bulle.errors import Problem, ValidationError, Where

if TYPE_CHECKING:
    import pandas as pd

RELATIVE = 1e-9  # values are compared as written (Parquet doubles), not recomputed


def require_published(ev: TableEvidence, table: pd.DataFrame, file: str = "output") -> None:
    """Raise ValidationError unless ``table`` is exactly what ``ev`` says is published."""
    want = (len(ev.row_labels), len(ev.col_labels))
    if table.shape != want:
        raise ValidationError.from_problems(
            "output differs from its evidence",
            [
                Problem(
                    f"the table is {table.shape[0]} x {table.shape[1]}, its evidence's grid "
                    f"{want[0]} x {want[1]}",
                    Where(file=file),
                )
            ],
        )
    try:
        got = table.to_numpy(dtype=float, na_value=np.nan).reshape(-1)
    except (TypeError, ValueError):
        raise ValidationError.from_problems(
            "output differs from its evidence",
            [Problem("the table holds values that are not numbers", Where(file=file))],
        ) from None
    exp = ev.published
    both_nan = np.isnan(got) & np.isnan(exp)
    with np.errstate(invalid="ignore"):
        close = np.abs(got - exp) <= RELATIVE * np.maximum(np.abs(exp), 1.0)
    bad = np.flatnonzero(~(both_nan | close))
    if bad.size:
        cell = ev.cell_label(int(bad[0]))
        raise ValidationError.from_problems(
            "output differs from its evidence",
            [
                Problem(
                    f"{bad.size} cells differ from the checked values, first at row "
                    f"{cell['row_label']} column {cell['col_label']}",
                    Where(file=file),
                )
            ],
        )
