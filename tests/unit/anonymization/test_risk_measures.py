"""Risk figures on tiny tables, computed by hand, through the frequency-table path and the engine."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pytest

from bulle.anonymization.risk import (
    RISK_BAND_HIGHS,
    SCHEMA,
    measure_risk,
    risk_from_frequencies,
    summarize,
)
from bulle.errors import InputError, ValidationError
from bulle.storage.duckdb_engine import DuckDBEngine

# (a, b, subject): classes (x,1)=3 rows, (x,2)=1, (y,1)=2, and 2 suppressed rows.
ROWS = [
    ("x", "1", "s1"),
    ("x", "1", "s1"),
    ("x", "1", "s2"),
    ("x", "2", "s3"),
    ("y", "1", "s1"),
    ("y", "1", "s4"),
    ("*", "*", "s5"),
    ("*", "*", "s3"),
]
POPULATION = [("x", "1")] * 6 + [("x", "2")] + [("y", "1")] * 4 + [("z", "3")] * 10


def freq_table(rows: list[tuple], names: list[str]) -> pa.Table:
    counts = Counter(rows)
    cols = {n: [k[i] for k in counts] for i, n in enumerate(names)}
    cols["count"] = list(counts.values())
    return pa.table(cols)


def test_prosecutor_marketer_uniqueness_by_hand() -> None:
    r = risk_from_frequencies(
        freq_table([row[:2] for row in ROWS], ["a", "b"]), ["a", "b"], threshold=0.4
    )
    assert (r.records, r.suppressed_records, r.analysed_records) == (8, 2, 6)
    assert r.suppressed_share == pytest.approx(2 / 8)
    assert r.equivalence_classes == 3
    assert (r.min_class_size, r.max_class_size) == (1, 3)
    assert r.prosecutor.max_risk == 1.0
    assert r.prosecutor.average_risk == pytest.approx(3 / 6)
    # risks 1/3 (3 records), 1 (1), 1/2 (2): above 0.4 are 1 + 2 records
    assert r.prosecutor.records_at_risk == 3
    assert r.prosecutor.share_at_risk == pytest.approx(0.5)
    assert r.marketer_average_risk == pytest.approx(0.5)
    assert r.unique_records == 1 and r.sample_uniqueness == pytest.approx(1 / 6)
    assert r.journalist == r.prosecutor and not r.journalist_uses_population
    assert any("journalist risk equals prosecutor risk" in n for n in r.notes)
    assert any("2 suppressed" in n for n in r.notes)


def test_default_threshold_counts_classes_under_five() -> None:
    r = summarize([4, 5, 6, 1])
    assert r.threshold == 0.2
    assert r.prosecutor.records_at_risk == 5  # size 5 has risk exactly 0.2: not above
    assert r.prosecutor.share_at_risk == pytest.approx(5 / 16)


def test_journalist_with_population_by_hand() -> None:
    r = risk_from_frequencies(
        freq_table([row[:2] for row in ROWS], ["a", "b"]),
        ["a", "b"],
        population=freq_table(POPULATION, ["a", "b"]),
        threshold=0.4,
    )
    assert r.journalist_uses_population and r.population_records == 21
    assert r.journalist.max_risk == 1.0  # (x, 2) is unique in the population too
    # population risks: 1/6, 1, 1/4 -> only the (x,2) record is above 0.4
    assert r.journalist.records_at_risk == 1
    assert r.journalist.share_at_risk == pytest.approx(1 / 6)
    # ARX: max(#classes / sum F, sum(f/F) / n) = max(3/11, (3/6 + 1 + 2/4) / 6)
    assert r.journalist.average_risk == pytest.approx(max(3 / 11, 2 / 6))
    assert r.marketer_average_risk == pytest.approx(2 / 6)
    assert r.population_unique_records == 1
    assert r.population_uniqueness == pytest.approx(1 / 6)
    assert r.prosecutor.average_risk == pytest.approx(0.5)  # prosecutor unchanged


def test_population_that_does_not_hold_the_table_is_refused() -> None:
    pop = freq_table([("x", "1")] * 2 + [("y", "1")] * 5, ["a", "b"])
    with pytest.raises(InputError, match=r"1 combination.*absent.*1 have fewer"):
        risk_from_frequencies(
            freq_table([row[:2] for row in ROWS], ["a", "b"]), ["a", "b"], population=pop
        )


def test_subjects_by_hand() -> None:
    freq = freq_table(ROWS, ["a", "b", "sid"])
    r = risk_from_frequencies(freq, ["a", "b"], subject_id="sid", threshold=0.4)
    s = r.subjects
    assert s is not None
    assert (s.subjects, s.subjects_with_several_rows, s.max_rows_per_subject) == (5, 2, 3)
    assert (s.suppressed_subjects, s.partly_suppressed_subjects) == (1, 1)  # s5; s3
    # distinct subjects per class: (x,1) {s1,s2}, (x,2) {s3}, (y,1) {s1,s4}
    assert s.min_subjects_per_class == 1 and s.max_risk == 1.0
    # subject risks: s1 .5, s2 .5, s3 1, s4 .5
    assert s.average_risk == pytest.approx(2.5 / 4)
    assert (s.subjects_at_risk, s.share_at_risk) == (4, 1.0)
    assert s.subjects_in_risky_classes == 3  # rows in (x,2) or (y,1): s3, s1, s4
    assert (s.unique_subjects, s.share_unique) == (1, 0.25)
    assert any("2 of 5 subjects have several rows" in n for n in r.notes)
    r5 = risk_from_frequencies(freq, ["a", "b"], subject_id="sid", threshold=0.5)
    assert r5.subjects.subjects_at_risk == 1 and r5.subjects.subjects_in_risky_classes == 1
    # the row-based figures do not change with a subject column
    assert (
        r5.prosecutor
        == risk_from_frequencies(
            freq_table([row[:2] for row in ROWS], ["a", "b"]), ["a", "b"], threshold=0.5
        ).prosecutor
    )


def test_risk_bands_follow_arx() -> None:
    r = summarize([3, 1, 2])
    by_high = {b.high: b.records for b in r.risk_distribution}
    assert len(r.risk_distribution) == len(RISK_BAND_HIGHS) == 24
    assert by_high[0.334] == 3 and by_high[0.5] == 2 and by_high[1.0] == 1  # (low, high]
    assert sum(by_high.values()) == 6
    assert sum(b.share for b in r.risk_distribution) == pytest.approx(1.0)


def test_class_size_histogram() -> None:
    r = summarize([1, 1, 2, 7, 9, 12, 1500])
    hist = {(b.size_min, b.size_max): (b.classes, b.records) for b in r.class_size_histogram}
    assert hist[(1, 1)] == (2, 2) and hist[(2, 2)] == (1, 2) and hist[(3, 3)] == (0, 0)
    assert hist[(5, 9)] == (2, 16) and hist[(10, 19)] == (1, 12) and hist[(1000, 9999)] == (1, 1500)
    assert sum(b.records for b in r.class_size_histogram) == r.analysed_records


def test_everything_suppressed_reports_zero() -> None:
    r = risk_from_frequencies(freq_table([("*", "*")] * 3, ["a", "b"]), ["a", "b"])
    assert r.records == 3 and r.suppressed_records == 3 and r.equivalence_classes == 0
    assert r.prosecutor.max_risk == 0.0 and r.sample_uniqueness == 0.0
    assert any("no record left" in n for n in r.notes)


def test_suppressed_flag_column_and_partial_star() -> None:
    rows = [("x", "*", "false"), ("x", "*", "false"), ("x", "1", "true"), ("*", "*", "false")]
    r = risk_from_frequencies(
        freq_table(rows, ["a", "b", "gone"]), ["a", "b"], suppressed_column="gone"
    )
    # ('x','*') is a class (only some QIs generalized); the flagged row and ('*','*') are out
    assert r.suppressed_records == 2 and r.equivalence_classes == 1 and r.min_class_size == 2


def test_missing_values_form_their_own_class() -> None:
    freq = pa.table({"a": ["x", None, None], "count": [2, 1, 1]})
    r = risk_from_frequencies(freq, ["a"])
    assert r.equivalence_classes == 2 and r.min_class_size == 2


def test_parameters_are_checked_together() -> None:
    with pytest.raises(ValidationError) as err:
        risk_from_frequencies(
            freq_table([("x",)], ["a"]), ["a", "a"], subject_id="a", threshold=1.5
        )
    assert len(err.value.problems) == 3


def test_report_is_json_with_schema(tmp_path: Path) -> None:
    engine = DuckDBEngine()
    table = pa.table(
        {"a": [r[0] for r in ROWS], "b": [r[1] for r in ROWS], "sid": [r[2] for r in ROWS]}
    )
    engine.write_table(table, tmp_path / "t.parquet")
    r = measure_risk(
        tmp_path / "t.parquet", ["a", "b"], subject_id="sid", threshold=0.4, engine=engine
    )
    d = json.loads(json.dumps(r.to_dict()))
    assert d["schema"] == SCHEMA and d["quasi_identifiers"] == ["a", "b"]
    assert d["prosecutor"]["records_at_risk"] == 3 and d["subjects"]["subjects"] == 5
    assert sum(b["subjects"] for b in d["risk_distribution"]) == 4


def test_unknown_column_names_the_column(tmp_path: Path) -> None:
    engine = DuckDBEngine()
    engine.write_table(pa.table({"a": ["x"]}), tmp_path / "t.parquet")
    with pytest.raises(ValidationError) as err:
        measure_risk(tmp_path / "t.parquet", ["a", "zz"], subject_id="who", engine=engine)
    assert {p.where.column for p in err.value.problems} == {"zz", "who"}


def test_group_ids_same_with_huge_key_space() -> None:
    import numpy as np

    from bulle.anonymization.risk import _group_ids

    rng = np.random.default_rng(7)
    small = rng.integers(0, 4, size=(200, 3))
    big = small * (2**40)  # same grouping, key space too large to fold into one int64
    a, b = _group_ids(small), _group_ids(big)
    # same partition of the rows (group numbers may differ)
    assert (
        len(set(zip(a.tolist(), b.tolist(), strict=True)))
        == len(set(a.tolist()))
        == len(set(b.tolist()))
        == len({tuple(r) for r in small.tolist()})
    )


def test_population_with_other_column_types_is_compared_as_text() -> None:
    sample = pa.table({"age": pa.array([30, 40], pa.int64()), "count": [2, 1]})
    pop = pa.table({"age": ["30", "40", "50"], "count": [4, 2, 9]})
    r = risk_from_frequencies(sample, ["age"], population=pop)
    assert r.journalist.max_risk == pytest.approx(1 / 2)
    assert r.marketer_average_risk == pytest.approx((2 / 4 + 1 / 2) / 3)
