"""Re-identification risk of a table, measured from its equivalence classes.

A table's risk depends only on how many records share each combination of quasi-identifier
values (an *equivalence class*), so every figure here is computed from the frequency table the
engine builds in one pass (``Engine.frequency_table``), never from the rows again. The same code
measures an original table (how risky is it to release as is?) and a release (how risky is it
still?).

Definitions follow ARX (``RiskModelSampleSummary``, ``RiskModelSampleRisks``,
``RiskModelSampleUniqueness``, ``RiskModelSampleRiskDistribution``) so figures can be compared
with ARX's risk analysis:

* prosecutor model (the attacker knows the person is in the table): a record's risk is
  1 / size of its class; *max* is 1 / smallest class, *average* is #classes / #records, and
  records *at risk* are those whose risk is strictly above the threshold (ARX's ``1/size > t``:
  with t = 0.2, classes of fewer than 5 records);
* journalist model (the attacker matches against a population table that holds the sample): the
  same with the class sizes taken in the population; average is ARX's
  max(#classes / Σ F, Σ (f / F) / #records). Without a population table it equals the prosecutor
  model, and the report says so;
* marketer model (re-identify as many records as possible): #classes / #records, or with a
  population Σ (f / F) / #records;
* sample uniqueness: share of records alone in their class.

Suppressed records (every quasi-identifier equal to the suppression marker, ``*`` by default, or
flagged by a boolean column) are not in any class: ARX excludes them the same way, and the report
counts them separately.

Where a subject (a person) can have several rows, a class's size in rows overstates how many
people it hides among; the report then also counts *subjects*: per class the number of distinct
subjects, per subject the highest risk among the classes holding their rows (so a subject is at
risk if any of their rows is in a risky class).

JSON schema of :meth:`RiskReport.to_dict` (``schema`` = ``"bulle.risk/1"``): see docs/risk.md.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bulle.errors import InputError, Problem, ValidationError, Where
from bulle.settings import default

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

    from bulle.storage.engine import Engine

SCHEMA = "bulle.risk/1"
DEFAULT_THRESHOLD: float = default("anonymize.risk_threshold")  # a workspace may set its own
SUPPRESSION_MARKER = "*"

# ARX's risk bands (RiskModelSampleRiskDistribution): band i holds risks in (low_i, high_i].
RISK_BAND_HIGHS: tuple[float, ...] = (
    1e-8,
    1e-7,
    1e-6,
    1e-5,
    1e-4,
    1e-3,
    0.01,
    0.02,
    0.03,
    0.04,
    0.05,
    0.06,
    0.07,
    0.08,
    0.09,
    0.1,
    0.125,
    0.143,
    0.167,
    0.2,
    0.25,
    0.334,
    0.5,
    1.0,
)
RISK_BAND_LOWS: tuple[float, ...] = (0.0, *RISK_BAND_HIGHS[:-1])

# Lower edges of the class-size histogram bins (the last bin is open above).
SIZE_BIN_EDGES: tuple[int, ...] = (1, 2, 3, 4, 5, 10, 20, 50, 100, 500, 1000, 10000, 100000)


@dataclass
class RiskSummary:
    """One attacker model's figures (ARX's rB, rC, rA)."""

    max_risk: float
    average_risk: float
    records_at_risk: int
    share_at_risk: float


@dataclass
class SizeBin:
    """Classes whose size (in records) lies in [size_min, size_max]; size_max None: open."""

    size_min: int
    size_max: int | None
    classes: int
    records: int


@dataclass
class RiskBand:
    """Records (and subjects) whose prosecutor risk lies in (low, high]."""

    low: float
    high: float
    records: int
    share: float
    subjects: int | None = None
    subject_share: float | None = None


@dataclass
class SubjectRisk:
    """Risk counted per person when a subject can have several rows."""

    column: str
    subjects: int
    subjects_with_several_rows: int
    max_rows_per_subject: int
    suppressed_subjects: int  # every row of the subject is suppressed
    partly_suppressed_subjects: int  # some rows suppressed, some not
    min_subjects_per_class: int
    max_risk: float  # 1 / fewest distinct subjects in a class
    average_risk: float  # mean over subjects of their highest class risk
    subjects_at_risk: int  # highest risk (1 / subjects in class) above the threshold
    share_at_risk: float
    subjects_in_risky_classes: int  # with a row in a class whose row-based risk is above it
    unique_subjects: int  # alone (as a person) in at least one class
    share_unique: float


@dataclass
class RiskReport:
    """Everything measured on one table; JSON-serializable through :meth:`to_dict`."""

    quasi_identifiers: list[str]
    threshold: float
    records: int
    suppressed_records: int
    suppressed_share: float
    analysed_records: int
    equivalence_classes: int
    min_class_size: int
    max_class_size: int
    mean_class_size: float
    prosecutor: RiskSummary
    journalist: RiskSummary
    journalist_uses_population: bool
    population_records: int | None
    marketer_average_risk: float
    unique_records: int
    sample_uniqueness: float
    population_unique_records: int | None
    population_uniqueness: float | None
    class_size_histogram: list[SizeBin]
    risk_distribution: list[RiskBand]
    subjects: SubjectRisk | None = None
    notes: list[str] = field(default_factory=list)
    schema: str = SCHEMA

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# ------------------------------------------------------------------------------------------
# Entry points
# ------------------------------------------------------------------------------------------


def measure_risk(
    path: Path,
    quasi_identifiers: list[str],
    *,
    subject_id: str | None = None,
    population: Path | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    suppression_marker: str = SUPPRESSION_MARKER,
    suppressed_column: str | None = None,
    engine: Engine | None = None,
) -> RiskReport:
    """Measure the risk of the Parquet table at ``path`` (and optionally a population table).

    Both tables are reduced by the engine to frequency tables in one pass each; the rest runs on
    those compressed tables.
    """
    from bulle.storage.engine import default_engine

    engine = engine or default_engine()
    check_parameters(quasi_identifiers, threshold, subject_id, suppressed_column)
    _check_columns(engine, path, [*quasi_identifiers, subject_id, suppressed_column], "table")
    if population is not None:
        _check_columns(engine, population, quasi_identifiers, "population")
    extras = [c for c in (subject_id, suppressed_column) if c is not None]
    freq = engine.frequency_table(path, [*quasi_identifiers, *extras])
    pop = engine.frequency_table(population, quasi_identifiers) if population is not None else None
    return risk_from_frequencies(
        freq,
        quasi_identifiers,
        subject_id=subject_id,
        population=pop,
        threshold=threshold,
        suppression_marker=suppression_marker,
        suppressed_column=suppressed_column,
    )


def _check_columns(engine: Engine, path: Path, names: list[str | None], what: str) -> None:
    present = set(engine.read_table(path, limit=0).column_names)
    missing = [n for n in names if n is not None and n not in present]
    if missing:
        raise ValidationError.from_problems(
            f"columns missing from the {what}",
            [
                Problem(
                    f"no column named {n!r} (columns: {', '.join(sorted(present))})",
                    Where(column=n),
                )
                for n in missing
            ],
        )


def check_parameters(
    quasi_identifiers: list[str],
    threshold: float,
    subject_id: str | None = None,
    suppressed_column: str | None = None,
) -> None:
    problems = []
    if not quasi_identifiers:
        problems.append(Problem("give at least one quasi-identifier", Where(field="qi")))
    dup = sorted({q for q in quasi_identifiers if quasi_identifiers.count(q) > 1})
    if dup:
        problems.append(
            Problem(f"quasi-identifier named more than once: {', '.join(dup)}", Where(field="qi"))
        )
    for name, what in ((subject_id, "subject id"), (suppressed_column, "suppression flag")):
        if name is not None and name in quasi_identifiers:
            problems.append(
                Problem(
                    f"the {what} column {name!r} cannot also be a quasi-identifier",
                    Where(column=name),
                )
            )
    if subject_id is not None and subject_id == suppressed_column:
        problems.append(
            Problem("the subject id and the suppression flag must differ", Where(column=subject_id))
        )
    if not (0.0 < threshold <= 1.0):
        problems.append(
            Problem(f"threshold must be in (0, 1], got {threshold}", Where(field="threshold"))
        )
    if problems:
        raise ValidationError.from_problems("risk parameters", problems)


def risk_from_frequencies(
    freq: pa.Table,
    quasi_identifiers: list[str],
    *,
    subject_id: str | None = None,
    population: pa.Table | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    suppression_marker: str = SUPPRESSION_MARKER,
    suppressed_column: str | None = None,
) -> RiskReport:
    """Measure risk from a frequency table (QI columns, optional subject / flag, ``count``)."""
    import numpy as np

    check_parameters(quasi_identifiers, threshold, subject_id, suppressed_column)
    counts = np.asarray(freq.column("count").to_numpy(zero_copy_only=False), dtype=np.int64)
    pop_counts = None
    if population is not None:
        pop_counts = np.asarray(
            population.column("count").to_numpy(zero_copy_only=False), dtype=np.int64
        )
    all_keys, pop_keys, marked = _encode_keys(
        freq, population, quasi_identifiers, suppression_marker
    )
    suppressed = marked | _flagged(freq, suppressed_column)
    kept = ~suppressed
    keys = all_keys[kept]
    class_of = _group_ids(keys)
    kept_counts = counts[kept]
    n_classes = int(class_of.max()) + 1 if class_of.size else 0
    sizes = np.bincount(class_of, weights=kept_counts, minlength=n_classes).astype(np.int64)

    pop_sizes = None
    if population is not None:
        pop_sizes = _population_sizes(
            keys, class_of, n_classes, pop_keys, pop_counts, sizes, quasi_identifiers
        )

    report = summarize(
        sizes,
        threshold,
        suppressed_records=int(counts[suppressed].sum()),
        population_sizes=pop_sizes,
        population_records=int(pop_counts.sum()) if pop_counts is not None else None,
    )
    report.quasi_identifiers = list(quasi_identifiers)
    if subject_id is not None:
        _apply_subjects(
            report, subject_id, _codes(freq.column(subject_id)), counts, suppressed, class_of, sizes
        )
        _subject_notes(report)
    return report


# ------------------------------------------------------------------------------------------
# The figures, on class sizes alone (numpy; property-tested against brute force)
# ------------------------------------------------------------------------------------------


def summarize(
    sizes: np.ndarray,
    threshold: float = DEFAULT_THRESHOLD,
    *,
    suppressed_records: int = 0,
    population_sizes: np.ndarray | None = None,
    population_records: int | None = None,
) -> RiskReport:
    """All row-based figures from class sizes (and, if given, the same classes' population sizes)."""
    import numpy as np

    sizes = np.asarray(sizes, dtype=np.int64)
    n = int(sizes.sum())
    k = int(sizes.size)
    total = n + int(suppressed_records)
    notes: list[str] = []
    if k == 0:
        empty = RiskSummary(0.0, 0.0, 0, 0.0)
        notes.append("no record left outside suppression: every risk is reported as 0")
        return RiskReport(
            quasi_identifiers=[],
            threshold=threshold,
            records=total,
            suppressed_records=int(suppressed_records),
            suppressed_share=_share(suppressed_records, total),
            analysed_records=0,
            equivalence_classes=0,
            min_class_size=0,
            max_class_size=0,
            mean_class_size=0.0,
            prosecutor=empty,
            journalist=RiskSummary(0.0, 0.0, 0, 0.0),
            journalist_uses_population=population_sizes is not None,
            population_records=population_records,
            marketer_average_risk=0.0,
            unique_records=0,
            sample_uniqueness=0.0,
            population_unique_records=0 if population_sizes is not None else None,
            population_uniqueness=0.0 if population_sizes is not None else None,
            class_size_histogram=[],
            risk_distribution=_bands(sizes, n),
            notes=notes,
        )

    risk = 1.0 / sizes
    risky = risk > threshold
    prosecutor = RiskSummary(
        max_risk=float(1.0 / sizes.min()),
        average_risk=k / n,
        records_at_risk=int(sizes[risky].sum()),
        share_at_risk=float(sizes[risky].sum()) / n,
    )
    unique = int(sizes[sizes == 1].sum())
    if population_sizes is None:
        journalist = RiskSummary(**asdict(prosecutor))
        marketer = k / n
        pop_unique = None
        notes.append("no population table: journalist risk equals prosecutor risk")
    else:
        big = np.asarray(population_sizes, dtype=np.int64)
        prisky = (1.0 / big) > threshold
        ratio = float((sizes / big).sum()) / n
        journalist = RiskSummary(
            max_risk=float(1.0 / big.min()),
            average_risk=max(k / float(big.sum()), ratio),
            records_at_risk=int(sizes[prisky].sum()),
            share_at_risk=float(sizes[prisky].sum()) / n,
        )
        marketer = ratio
        pop_unique = int(sizes[big == 1].sum())
    if suppressed_records:
        notes.append(
            f"{suppressed_records} suppressed record(s) are in no class and not counted "
            "in the risks"
        )
    return RiskReport(
        quasi_identifiers=[],
        threshold=threshold,
        records=total,
        suppressed_records=int(suppressed_records),
        suppressed_share=_share(suppressed_records, total),
        analysed_records=n,
        equivalence_classes=k,
        min_class_size=int(sizes.min()),
        max_class_size=int(sizes.max()),
        mean_class_size=n / k,
        prosecutor=prosecutor,
        journalist=journalist,
        journalist_uses_population=population_sizes is not None,
        population_records=population_records,
        marketer_average_risk=marketer,
        unique_records=unique,
        sample_uniqueness=unique / n,
        population_unique_records=pop_unique,
        population_uniqueness=None if pop_unique is None else pop_unique / n,
        class_size_histogram=_histogram(sizes),
        risk_distribution=_bands(sizes, n),
        notes=notes,
    )


def _share(part: float, whole: float) -> float:
    return float(part) / whole if whole else 0.0


def _histogram(sizes: np.ndarray) -> list[SizeBin]:
    import numpy as np

    top = int(sizes.max())
    bins = []
    for i, lo in enumerate(SIZE_BIN_EDGES):
        if lo > top:
            break
        hi = SIZE_BIN_EDGES[i + 1] - 1 if i + 1 < len(SIZE_BIN_EDGES) else None
        inside = (sizes >= lo) & (sizes <= hi) if hi is not None else sizes >= lo
        bins.append(SizeBin(lo, hi, int(np.count_nonzero(inside)), int(sizes[inside].sum())))
    return bins


def band_index(risks: np.ndarray) -> np.ndarray:
    """ARX's band of each risk: the first band whose upper bound is >= the risk."""
    import numpy as np

    return np.searchsorted(np.asarray(RISK_BAND_HIGHS), risks, side="left")


def _bands(sizes: np.ndarray, n: int) -> list[RiskBand]:
    import numpy as np

    records = np.zeros(len(RISK_BAND_HIGHS), dtype=np.int64)
    if sizes.size:
        np.add.at(records, band_index(1.0 / sizes), sizes)
    return [
        RiskBand(lo, hi, int(r), _share(r, n))
        for lo, hi, r in zip(RISK_BAND_LOWS, RISK_BAND_HIGHS, records, strict=True)
    ]


# ------------------------------------------------------------------------------------------
# Frequency-table plumbing
# ------------------------------------------------------------------------------------------


def _codes(col: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Dense integer codes of a column's values (a missing value is a value of its own)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    enc = pc.dictionary_encode(arr, null_encoding="encode")
    return np.asarray(enc.indices.to_numpy(zero_copy_only=False), dtype=np.int64)


def _encode_keys(
    freq: pa.Table, population: pa.Table | None, qis: list[str], marker: str
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """Integer codes per QI column, shared between table and population, and the rows whose
    every QI equals the suppression marker.

    Each column is dictionary-encoded once (sample and population together, so equal values get
    equal codes); the marker is looked up in the small dictionary rather than in every row.
    Columns whose types differ between the two tables are compared as text.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    n = freq.num_rows
    keys = np.empty((n, len(qis)), dtype=np.int64)
    pop_keys = (
        None if population is None else np.empty((population.num_rows, len(qis)), dtype=np.int64)
    )
    marked = np.ones(n, dtype=bool)
    for j, q in enumerate(qis):
        col = freq.column(q).combine_chunks()
        if population is not None:
            pcol = population.column(q).combine_chunks()
            if pcol.type != col.type:
                col, pcol = pc.cast(col, pa.string()), pc.cast(pcol, pa.string())
            col = pa.concat_arrays([col, pcol])
        enc = pc.dictionary_encode(col, null_encoding="encode")
        codes = np.asarray(enc.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
        keys[:, j] = codes[:n]
        if pop_keys is not None:
            pop_keys[:, j] = codes[n:]
        words = (
            enc.dictionary
            if pa.types.is_string(enc.dictionary.type)
            else pc.cast(enc.dictionary, pa.string())
        )
        hit = np.flatnonzero(
            np.asarray(
                pc.fill_null(pc.equal(words, marker), False).to_numpy(zero_copy_only=False),
                dtype=bool,
            )
        )
        marked &= (codes[:n] == hit[0]) if hit.size else False
    return keys, pop_keys, marked


def _flagged(freq: pa.Table, flag: str | None) -> np.ndarray:
    """Rows flagged as suppressed by a boolean (or true/false text) column."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if flag is None:
        return np.zeros(freq.num_rows, dtype=bool)
    arr = freq.column(flag).combine_chunks()
    if not pa.types.is_boolean(arr.type):
        text = pc.utf8_lower(pc.cast(arr, pa.string()))
        arr = pc.is_in(text, value_set=pa.array(["true", "1", "yes", "t", "y"]))
    return np.asarray(pc.fill_null(arr, False).to_numpy(zero_copy_only=False), dtype=bool)


def _unique_sorted(x: np.ndarray) -> np.ndarray:
    """Sorted distinct values (sort-based: faster than np.unique's hashing on large keys)."""
    import numpy as np

    s = np.sort(x)
    return s[np.concatenate([[True], s[1:] != s[:-1]])] if s.size else s


def _group_ids(keys: np.ndarray) -> np.ndarray:
    """Dense group number of each row of an integer key matrix.

    Rows are folded into one int64 (mixed radix) when the key space fits, which sorts an
    order of magnitude faster than ``np.unique(axis=0)``; otherwise the latter is used.
    """
    import numpy as np

    n, width = keys.shape
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    radix = keys.max(axis=0).astype(object) + 1
    space = 1
    for r in radix:
        space *= int(r)
    if space < 2**62:
        folded = np.zeros(n, dtype=np.int64)
        for j in range(width):
            folded = folded * int(radix[j]) + keys[:, j]
        order = np.argsort(folded, kind="stable")
        ordered = folded[order]
        starts = np.concatenate([[True], ordered[1:] != ordered[:-1]])
        inv = np.empty(n, dtype=np.int64)
        inv[order] = np.cumsum(starts) - 1
        return inv
    _, inv = np.unique(keys, axis=0, return_inverse=True)
    return inv.reshape(-1).astype(np.int64)


def _population_sizes(
    keys: np.ndarray,
    class_of: np.ndarray,
    n_classes: int,
    pop_keys: np.ndarray,
    pop_counts: np.ndarray,
    sizes: np.ndarray,
    qis: list[str],
) -> np.ndarray:
    """Population size of each sample class; the population must contain the sample."""
    import numpy as np

    class_keys = np.zeros((n_classes, keys.shape[1]), dtype=np.int64)
    class_keys[class_of] = keys
    stacked = np.concatenate([class_keys, pop_keys]) if pop_keys.size else class_keys
    inv = _group_ids(stacked)
    per_key = np.zeros(int(inv.max()) + 1 if inv.size else 0, dtype=np.int64)
    np.add.at(per_key, inv[n_classes:], pop_counts)
    big = per_key[inv[:n_classes]]
    short = big < sizes
    if short.any():
        missing = int(np.count_nonzero(big[short] == 0))
        fewer = int(np.count_nonzero(short)) - missing
        raise InputError(
            "the population table does not contain the table: "
            f"{missing} combination(s) of {', '.join(qis)} are absent from it and {fewer} have "
            "fewer records in it than in the table (give the population generalized the same "
            "way as the table)",
            Where(field="population"),
        )
    return big


# ------------------------------------------------------------------------------------------
# Subjects with several rows
# ------------------------------------------------------------------------------------------


def _subject_class_counts(
    subj_codes: np.ndarray, class_of: np.ndarray, n_classes: int
) -> np.ndarray:
    """Distinct subjects per class (each (class, subject) pair counted once)."""
    import numpy as np

    if not class_of.size:
        return np.zeros(0, dtype=np.int64)
    n_subj = int(subj_codes.max()) + 1
    pairs = _unique_sorted(class_of * n_subj + subj_codes)
    return np.bincount(pairs // n_subj, minlength=n_classes)


def _apply_subjects(
    report: RiskReport,
    column: str,
    codes: np.ndarray,
    counts: np.ndarray,
    suppressed: np.ndarray,
    class_of: np.ndarray,
    sizes: np.ndarray,
) -> None:
    """Count subjects: per class distinct subjects, per subject their highest class risk."""
    import numpy as np

    threshold = report.threshold
    n_subj = int(codes.max()) + 1 if codes.size else 0
    rows_per = np.bincount(codes, weights=counts, minlength=n_subj).astype(np.int64)
    kcodes = codes[~suppressed]
    kept_rows = np.bincount(kcodes, weights=counts[~suppressed], minlength=n_subj).astype(np.int64)
    supp_rows = rows_per - kept_rows
    per_class = _subject_class_counts(kcodes, class_of, len(sizes))
    risk = np.zeros(n_subj)
    row_risky = np.zeros(n_subj, dtype=bool)
    if class_of.size:
        np.maximum.at(risk, kcodes, 1.0 / per_class[class_of])
        np.logical_or.at(row_risky, kcodes, (1.0 / sizes[class_of]) > threshold)
    present = kept_rows > 0
    n_present = int(present.sum())
    at_risk = int(np.count_nonzero(risk[present] > threshold))
    unique = int(np.count_nonzero(risk[present] == 1.0))
    report.subjects = SubjectRisk(
        column=column,
        subjects=n_subj,
        subjects_with_several_rows=int(np.count_nonzero(rows_per > 1)),
        max_rows_per_subject=int(rows_per.max()) if n_subj else 0,
        suppressed_subjects=int(np.count_nonzero((supp_rows > 0) & ~present)),
        partly_suppressed_subjects=int(np.count_nonzero((supp_rows > 0) & present)),
        min_subjects_per_class=int(per_class.min()) if per_class.size else 0,
        max_risk=float(1.0 / per_class.min()) if per_class.size else 0.0,
        average_risk=float(risk[present].mean()) if n_present else 0.0,
        subjects_at_risk=at_risk,
        share_at_risk=_share(at_risk, n_present),
        subjects_in_risky_classes=int(np.count_nonzero(row_risky)),
        unique_subjects=unique,
        share_unique=_share(unique, n_present),
    )
    by_band = np.bincount(band_index(risk[present]), minlength=len(RISK_BAND_HIGHS))
    for band, c in zip(report.risk_distribution, by_band, strict=True):
        band.subjects = int(c)
        band.subject_share = _share(c, n_present)


def _subject_notes(report: RiskReport) -> None:
    s = report.subjects
    assert s is not None
    if s.subjects_with_several_rows:
        report.notes.append(
            f"{s.subjects_with_several_rows} of {s.subjects} subjects have several rows (up to "
            f"{s.max_rows_per_subject}): a class's size counts rows, so risk is also given per "
            "subject, with classes sized in distinct subjects"
        )
    else:
        report.notes.append(f"each of the {s.subjects} subjects has one row")
