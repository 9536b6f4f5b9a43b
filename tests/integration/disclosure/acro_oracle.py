"""Run ACRO 1.0.2 on cases read from stdin and print its verdicts as JSON (the conformance oracle).

Runs in .venv-acro (ACRO needs pandas <= 2.3.3, Bulle's environment has pandas 3), never in
Bulle's. Each case names its data, keys, values and aggregation and ACRO's risk appetite; the
table is made by ACRO's own ``crosstab`` or ``pivot_table``. Regressions go through ACRO's ``ols``. The verdicts are read where ACRO makes
them: each ``run_checks_for_analysis`` call is observed (its result returned unchanged) to keep
the per-check status and the mask of cells it flagged. ``MinimumDoFCheck`` returns the dof table
itself rather than a mask; its cells are the ones ``check_model_dof`` compares as failing
(``dof < safe_dof_threshold``).
"""

from __future__ import annotations

import json
import logging
import sys
import warnings

import numpy as np
import pandas as pd

warnings.simplefilter("ignore")
logging.disable(logging.CRITICAL)

import acro  # noqa: E402
from acro.version import __version__  # noqa: E402

CHECKS = (
    "MinimumThresholdCheck",
    "PresenceOfZeroCheck",
    "NKCheck",
    "PPercentCheck",
    "MinimumDoFCheck",
    "MissingCheck",
)


def _labels(index: pd.Index, keep: bool) -> list[list[str]]:
    if not keep:
        return [[] for _ in index]
    return [[str(x) for x in (v if isinstance(v, tuple) else (v,))] for v in index]


def _cells(mask: pd.DataFrame, has_columns: bool) -> list[list[list[str]]]:
    mask = mask.fillna(value=1).astype(bool)  # ACRO's mask_to_boolmask: NaN counts as flagged
    rows = _labels(mask.index, True)
    cols = _labels(mask.columns, has_columns)
    out = []
    for i, j in zip(*np.nonzero(mask.to_numpy()), strict=True):
        out.append([rows[i], cols[j]])
    return sorted(out)


def run(case: dict) -> dict:
    session = acro.ACRO(suppress=False)
    session.config.update(case["params"])  # the same dict SDCChecks and the tables read
    seen = []
    original = session.sdc_checks.run_checks_for_analysis

    def observe(*args):
        result = original(*args)
        seen.append(result)
        return result

    session.sdc_checks.run_checks_for_analysis = observe
    df = pd.DataFrame(case["data"])
    for col, kind in case.get("dtypes", {}).items():
        df[col] = df[col].astype(kind)
    has_columns = bool(case["columns"])
    if case["method"] == "ols":
        session.ols(df[case["values"]], df[case["index"]])
    elif case["method"] == "crosstab":
        session.crosstab(
            [df[c] for c in case["index"]],
            [df[c] for c in case["columns"]],
            values=None if case["values"] is None else df[case["values"]],
            aggfunc=case["aggfunc"],
        )
    else:
        session.pivot_table(
            df,
            values=case["values"],
            index=case["index"],
            columns=case["columns"] or None,
            aggfunc=case["aggfunc"],
        )
    checks = {}
    for result in seen:
        for name in CHECKS:
            if name not in result.outcomes:
                continue
            outcome = result.outcomes[name]
            if name == "MinimumDoFCheck" and isinstance(outcome, pd.DataFrame):
                outcome = outcome < case["params"]["safe_dof_threshold"]
            checks[name] = {
                "status": result.fair_dict["check_status"][name],
                # a model's dof is one number: no cells
                "cells": _cells(outcome, has_columns) if isinstance(outcome, pd.DataFrame) else [],
            }
    return {"id": case["id"], "version": __version__, "checks": checks}


def main() -> None:
    cases = json.load(sys.stdin)
    json.dump([run(c) for c in cases], sys.stdout)


if __name__ == "__main__":
    main()
