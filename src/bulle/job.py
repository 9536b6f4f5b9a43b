"""What an analyst's job imports inside the sandbox: read the project's data, declare outputs.

Shaped like ACRO so that analysts who know it feel at home::

    from bulle.job import read, crosstab, pivot_table, output_table, output_figure, output_file

    df = read("patients")
    crosstab(df["sex"], df["region"], name="sex_by_region")           # counts, checked
    pivot_table(df, index="region", values="age", aggfunc="mean", name="mean_age")
    output_figure("ages", "ages.png", table=some_table_made_above)

``crosstab`` and ``pivot_table`` take pandas' arguments and return pandas' table; each also
records the output with the evidence its checks need (cell counts, largest contributions), built
from the rows in the same call. Every output is written under ``/outputs/<name>/`` as
``output.json`` + ``evidence.json`` (+ the figure or file). Nothing else a job writes ever leaves:
Bulle takes only declared outputs, validates them as hostile input, renders released tables from
the checked evidence itself, and runs the disclosure checks outside the sandbox.

This module runs in the job's own Python environment: it imports pandas, numpy and Bulle's
disclosure package only.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

DATA = Path(os.environ.get("BULLE_JOB_DATA", "/data"))
OUTPUTS = Path(os.environ.get("BULLE_JOB_OUTPUTS", "/outputs"))
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
# the nk-rule's n (setting disclosure.nk_n), so the evidence keeps enough largest contributions
N_TOP = max(int(os.environ.get("BULLE_JOB_NK_N", "2")), 2)
_EVIDENCE_OF: dict[int, Any] = {}  # id(table) -> evidence, so output_figure(table=t) finds it

__all__ = [
    "crosstab",
    "datasets",
    "output_figure",
    "output_file",
    "output_regression",
    "output_table",
    "pivot_table",
    "read",
]


def datasets() -> list[str]:
    """The datasets this job may read (the project's view, one Parquet file each)."""
    return sorted(p.stem for p in DATA.glob("*.parquet"))


def read(dataset: str):
    """A pandas DataFrame of what the project may see of ``dataset``."""
    import pandas as pd

    if not NAME.fullmatch(dataset) or not (DATA / f"{dataset}.parquet").is_file():
        raise KeyError(f"no dataset {dataset!r} in this job; it may read: {', '.join(datasets())}")
    return pd.read_parquet(DATA / f"{dataset}.parquet")


def crosstab(index, columns, values=None, aggfunc=None, *, name: str, **kwargs):
    """``pandas.crosstab``, recorded as the output ``name`` with its evidence."""
    from bulle.disclosure import tables

    kwargs.setdefault("n_top", N_TOP)
    table, ev = tables.crosstab(index, columns, values=values, aggfunc=aggfunc, name=name, **kwargs)
    _record(name, ev)
    _EVIDENCE_OF[id(table)] = ev
    return table


def pivot_table(data, values=None, index=None, columns=None, aggfunc="mean", *, name: str, **kw):
    """``pandas.DataFrame.pivot_table``, recorded as the output ``name`` with its evidence."""
    from bulle.disclosure import tables

    kw.setdefault("n_top", N_TOP)
    table, ev = tables.pivot_table(
        data, values=values, index=index, columns=columns, aggfunc=aggfunc, name=name, **kw
    )
    _record(name, ev)
    _EVIDENCE_OF[id(table)] = ev
    return table


def output_table(name: str, df, kind: str = "frequency", counts: str | None = None):
    """A counts table computed otherwise (key columns and one column of counts)."""
    from bulle.disclosure import tables

    table, ev = tables.output_table(name, df, kind=kind, counts=counts)
    _record(name, ev)
    _EVIDENCE_OF[id(df)] = ev
    return table


def output_regression(name: str, results, summary: str | None = None) -> None:
    """A fitted regression (statsmodels results): its residual degrees of freedom are checked."""
    from bulle.disclosure import tables

    ev = tables.output_regression(name, int(results.df_resid))
    text = summary if summary is not None else str(results.summary())
    _record(name, ev, extra={"summary.txt": text.encode()})


def output_figure(name: str, path: str | os.PathLike, table=None) -> None:
    """A figure; with ``table=`` (a table made by this module) its cells are checked too."""
    from bulle.disclosure import tables

    behind = _EVIDENCE_OF.get(id(table)) if table is not None else None
    if table is not None and behind is None:
        raise ValueError(
            f"output_figure {name!r}: table= must be a table made by crosstab, pivot_table or "
            "output_table in this job, so that its cells can be checked"
        )
    ev = tables.output_other(name, "figure", behind)
    _record(name, ev, copy=Path(path))


def output_file(name: str, path: str | os.PathLike) -> None:
    """Any other file: always reviewed by a person."""
    from bulle.disclosure import tables

    _record(name, tables.output_other(name, "file"), copy=Path(path))


def _record(name: str, ev, copy: Path | None = None, extra: dict[str, bytes] | None = None) -> None:
    from bulle.disclosure import evidence_io

    if not NAME.fullmatch(name):
        raise ValueError(
            f"output name {name!r}: letters, digits, '_', '.', '-' (at most 64, not first)"
        )
    folder = OUTPUTS / name
    if folder.exists():
        raise ValueError(f"output {name!r} is declared twice")
    folder.mkdir(parents=True)
    files: dict[str, str] = {}
    if copy is not None:
        if not copy.is_file():
            raise FileNotFoundError(f"output {name!r}: no file {copy}")
        target = "content" + "".join(copy.suffixes[-1:])[:16]
        shutil.copyfile(copy, folder / target)
        files["content"] = target
    for fname, data in (extra or {}).items():
        (folder / fname).write_bytes(data)
        files[fname.split(".")[0]] = fname
    (folder / "evidence.json").write_text(evidence_io.to_json(ev))
    (folder / "output.json").write_text(
        json.dumps({"name": name, "kind": ev.kind.value, "files": files})
    )
