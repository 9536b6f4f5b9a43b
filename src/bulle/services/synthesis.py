"""Synthesizing a table: split, fit, sample, measure; the stand-alone form on a file.

Every run follows the same steps, whatever the method, so that the reports mean the same thing:

1. **Split.** The records are shuffled with the seed and a share (setting
   ``synthesis.control_share``) is held out as the *control* part. It is never given to the
   synthesizer: it is the baseline of the privacy attacks (an attack that succeeds as well on
   people who were not used is measuring the population, not a leak).
2. **Fit** on the training part, **sample** as many rows as it has (or the number asked).
3. **Reports**: privacy (singling out, linkability, inference, distances, exact copies) and
   utility (distribution distances, train-on-synthetic vs train-on-real), each seeded.

The same seed gives the same split, the same synthetic rows and the same reports. Timings of each
step are returned beside the figures. :func:`synthesize_frame` is the use case on a pandas frame
(the Python API, the workspace form and the benchmarks call it); :func:`synthesize_file` is
``bulle synthesize --input FILE``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bulle.errors import InputError, Problem, ValidationError, Where
from bulle.services.results import Result
from bulle.settings import default

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class SynthesisRun(Result):
    """What one run made and measured (the stand-alone ``--json`` object and the report JSON)."""

    method: str
    params: dict[str, Any]
    seed: int
    rows: int
    training_rows: int
    control_rows: int
    columns: list[str]
    target: str | None
    sensitive: list[str] | None
    quasi_identifiers: list[str] | None
    seconds: float
    timings: dict[str, float]
    synthesizer: dict[str, Any]
    privacy: dict[str, Any]
    utility: dict[str, Any]


@dataclass(frozen=True)
class FileSynthesis(SynthesisRun):
    """``bulle synthesize --input FILE``: the run's figures, and where its outputs went."""

    output: str
    report: str | None
    html: str | None


@dataclass
class Synthesis:
    """A run's typed result with what does not fit in JSON: the frames and the report objects."""

    run: SynthesisRun
    synthetic: pd.DataFrame
    training: pd.DataFrame
    control: pd.DataFrame
    privacy: Any
    utility: Any


def split(
    frame: pd.DataFrame, control_share: float, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Training and control parts, by a seeded shuffle; each keeps the input's order of rows."""
    import numpy as np

    n = len(frame)
    n_control = round(n * control_share)
    if n_control < 1 or n - n_control < 2:
        raise InputError(
            f"{n} records are too few to hold out a control part of {control_share:.0%} and "
            "still learn from the rest",
            Where(field="--input"),
        )
    order = np.random.default_rng([int(seed) & 0xFFFFFFFF, 99]).permutation(n)
    control = np.sort(order[:n_control])
    training = np.sort(order[n_control:])
    return (
        frame.iloc[training].reset_index(drop=True),
        frame.iloc[control].reset_index(drop=True),
    )


def check_columns(
    frame: pd.DataFrame,
    *,
    target: str | None,
    sensitive: list[str] | None,
    quasi_identifiers: list[str] | None,
    source: str,
) -> None:
    """Every named column exists, and the target can be predicted (at least two classes)."""
    problems = []
    columns = [str(c) for c in frame.columns]
    named = [("--target", [target] if target else []), ("--sensitive", sensitive or [])]
    named.append(("--quasi-identifier", quasi_identifiers or []))
    for option, names in named:
        for c in names:
            if c not in columns:
                problems.append(
                    Problem(
                        f"{option} names {c!r}, which is not a column of {source} (columns: "
                        f"{', '.join(columns)})",
                        Where(file=source, column=c, field=option),
                    )
                )
    if target and target in columns and frame[target].nunique(dropna=True) < 2:
        problems.append(
            Problem(
                f"--target {target!r} has fewer than two distinct values: nothing to predict",
                Where(file=source, column=target, field="--target"),
            )
        )
    if len(set(columns)) != len(columns):
        problems.append(Problem(f"{source} has duplicate column names", Where(file=source)))
    if len(problems) == 1:
        raise InputError(problems[0].message, problems[0].where)
    if problems:
        raise ValidationError.from_problems("cannot synthesize", problems)


def synthesize_frame(
    frame: pd.DataFrame,
    method: str,
    *,
    params: dict[str, Any] | None = None,
    seed: int = 0,
    target: str | None = None,
    sensitive: list[str] | None = None,
    quasi_identifiers: list[str] | None = None,
    rows: int | None = None,
    control_share: float | None = None,
    n_attacks: int | None = None,
    source: str = "the table",
) -> Synthesis:
    """The whole run on a frame (see the module docstring); ``None`` settings take their default."""
    from bulle.synthesis.base import make
    from bulle.synthesis.privacy import privacy_report
    from bulle.synthesis.utility import utility_report

    started = time.perf_counter()
    check_columns(
        frame,
        target=target,
        sensitive=sensitive,
        quasi_identifiers=quasi_identifiers,
        source=source,
    )
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InputError(
            f"the seed must be a whole number >= 0, got {seed!r}", Where(field="--seed")
        )
    if rows is not None and int(rows) < 1:
        raise InputError(
            f"--rows must be at least 1 (got {rows}): the reports measure synthetic rows",
            Where(field="--rows"),
        )
    synthesizer = make(method, **(params or {}))
    share = default("synthesis.control_share") if control_share is None else control_share
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    training, control = split(frame, share, seed)
    timings["split"] = time.perf_counter() - clock
    clock = time.perf_counter()
    synthesizer.fit(training, seed)
    timings["fit"] = time.perf_counter() - clock
    clock = time.perf_counter()
    synthetic = synthesizer.sample(len(training) if rows is None else int(rows), seed)
    timings["sample"] = time.perf_counter() - clock
    clock = time.perf_counter()
    privacy = privacy_report(
        training,
        control,
        synthetic,
        quasi_identifiers=quasi_identifiers,
        sensitive=sensitive,
        seed=seed,
        n_attacks=n_attacks,
    )
    timings["privacy"] = time.perf_counter() - clock
    clock = time.perf_counter()
    utility = utility_report(training, control, synthetic, target=target, seed=seed)
    timings["utility"] = time.perf_counter() - clock
    run = SynthesisRun(
        method=method,
        params=dict(synthesizer.params),
        seed=int(seed),
        rows=len(synthetic),
        training_rows=len(training),
        control_rows=len(control),
        columns=[str(c) for c in frame.columns],
        target=target,
        sensitive=None if sensitive is None else list(sensitive),
        quasi_identifiers=None if quasi_identifiers is None else list(quasi_identifiers),
        seconds=round(time.perf_counter() - started, 4),
        timings={k: round(v, 4) for k, v in timings.items()},
        synthesizer=_jsonable(synthesizer.info()),
        privacy=privacy.to_dict(),
        utility=utility.to_dict(),
    )
    return Synthesis(run, synthetic, training, control, privacy, utility)


def read_csv_frame(path: Path, delimiter: str | None) -> pd.DataFrame:
    """A CSV through the engine, as pandas with nullable integers and booleans (no float drift)."""
    from bulle.storage.engine import CsvOptions, default_engine

    if not path.is_file():
        raise InputError(f"no such file: {path}", Where(file=str(path), field="--input"))
    table = default_engine().read_csv_table(path, CsvOptions(delimiter=delimiter))
    return arrow_to_pandas(table)


def arrow_to_pandas(table: Any) -> pd.DataFrame:
    import pandas as pd
    import pyarrow as pa

    def mapper(t: pa.DataType) -> Any:
        if pa.types.is_integer(t):
            return pd.Int64Dtype()
        if pa.types.is_boolean(t):
            return pd.BooleanDtype()
        return None

    frame = table.to_pandas(types_mapper=mapper)
    for c in frame.columns:  # a column without nulls keeps a plain dtype (as numpy would give)
        s = frame[c]
        if isinstance(s.dtype, pd.Int64Dtype) and not s.isna().any():
            frame[c] = s.astype("int64")
        elif isinstance(s.dtype, pd.BooleanDtype) and not s.isna().any():
            frame[c] = s.astype(bool)
    return frame


def write_frame(
    frame: pd.DataFrame, output: Path, *, delimiter: str = ",", keep_formulas: bool = False
) -> None:
    """Write a frame as CSV or Parquet, atomically and privately (``bulle.outputs``); CSV text
    cells a spreadsheet would run are neutralised unless ``keep_formulas`` (``bulle.formulas``)."""
    import pyarrow as pa

    from bulle.outputs import TABLE, atomic_output
    from bulle.storage.engine import default_engine

    engine = default_engine()
    table = pa.Table.from_pandas(frame, preserve_index=False)
    with atomic_output(output, TABLE) as tmp:
        if output.suffix.lower() == ".parquet":
            engine.write_table(table, tmp)
            return
        staged = tmp.with_name(tmp.name + ".parquet")
        try:
            engine.write_table(table, staged)
            engine.export(staged, tmp, "csv", delimiter=delimiter, keep_formulas=keep_formulas)
        finally:
            staged.unlink(missing_ok=True)


def synthesize_file(
    input_path: Path,
    method: str,
    *,
    output: Path,
    delimiter: str | None = None,
    params: dict[str, Any] | None = None,
    seed: int = 0,
    target: str | None = None,
    sensitive: list[str] | None = None,
    quasi_identifiers: list[str] | None = None,
    rows: int | None = None,
    report: Path | None = None,
    html: Path | None = None,
    keep_formulas: bool = False,
) -> FileSynthesis:
    """``bulle synthesize --input FILE``: the synthetic table and the report files."""
    from bulle.outputs import HTML, write_text

    started = time.perf_counter()
    frame = read_csv_frame(input_path, delimiter)
    done = synthesize_frame(
        frame,
        method,
        params=params,
        seed=seed,
        target=target,
        sensitive=sensitive,
        quasi_identifiers=quasi_identifiers,
        rows=rows,
        source=str(input_path),
    )
    write_frame(done.synthetic, output, delimiter=delimiter or ",", keep_formulas=keep_formulas)
    run = done.run
    if html is not None:
        write_text(
            html, render_report_html(done, title=f"Synthetic data from {input_path.name}"), HTML
        )
    run = _with_seconds(run, time.perf_counter() - started)
    if report is not None:
        write_text(report, json.dumps(run.to_dict(), ensure_ascii=False, indent=1), (".json",))
    return FileSynthesis(
        **{f.name: getattr(run, f.name) for f in fields(SynthesisRun)},
        output=str(output),
        report=None if report is None else str(report),
        html=None if html is None else str(html),
    )


def render_report_html(done: Synthesis, *, title: str) -> str:
    from bulle.synthesis.report_html import render_html

    r = done.run
    meta = {
        "title": title,
        "method": r.method,
        "params": r.params,
        "seed": r.seed,
        "rows": r.rows,
        "training_rows": r.training_rows,
        "control_rows": r.control_rows,
        "synthesizer": r.synthesizer,
        "timings": r.timings,
    }
    return render_html(
        done.privacy, done.utility, train=done.training, synthetic=done.synthetic, meta=meta
    )


def _with_seconds(run: SynthesisRun, seconds: float) -> SynthesisRun:
    from dataclasses import replace

    return replace(run, seconds=round(seconds, 4))


def _jsonable(value: Any) -> Any:
    """numpy scalars and tuples out of a synthesizer's ``info()``."""
    import numpy as np

    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value
