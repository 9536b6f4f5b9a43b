"""Risk figures against brute force on random tables (rows, subjects, suppression, population)."""

from __future__ import annotations

from collections import Counter, defaultdict

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bulle.anonymization.risk import RISK_BAND_HIGHS, risk_from_frequencies, summarize

VALUES = st.sampled_from(["a", "b", "c", "*"])
ROW = st.tuples(VALUES, VALUES, st.sampled_from([f"s{i}" for i in range(6)]))
THRESHOLD = st.sampled_from([0.05, 0.1, 0.2, 1 / 3, 0.5, 1.0])


def freq(rows: list[tuple], names: list[str]) -> pa.Table:
    counts = Counter(rows)
    cols = {n: [k[i] for k in counts] for i, n in enumerate(names)}
    cols["count"] = list(counts.values())
    return pa.table(cols)


@given(st.lists(st.integers(1, 50), min_size=1, max_size=60), THRESHOLD)
def test_prosecutor_and_marketer_identities(sizes: list[int], t: float) -> None:
    r = summarize(sizes, t)
    n, k = sum(sizes), len(sizes)
    assert r.prosecutor.average_risk == pytest.approx(k / n)
    assert r.prosecutor.max_risk == pytest.approx(1 / min(sizes))
    assert r.marketer_average_risk <= r.prosecutor.max_risk + 1e-12
    assert r.prosecutor.records_at_risk == sum(s for s in sizes if 1 / s > t)
    assert r.unique_records == sizes.count(1)
    assert sum(b.records for b in r.risk_distribution) == n
    assert sum(b.records for b in r.class_size_histogram) == n
    assert sum(b.classes for b in r.class_size_histogram) == k
    for b in r.risk_distribution:  # each class lands in the band (low, high] of its risk
        assert b.records == sum(s for s in sizes if b.low < 1 / s <= b.high)
    assert r.risk_distribution[-1].high == RISK_BAND_HIGHS[-1]


@given(
    st.lists(st.tuples(st.integers(1, 20), st.integers(0, 20)), min_size=1, max_size=40), THRESHOLD
)
def test_journalist_with_population(pairs: list[tuple[int, int]], t: float) -> None:
    sizes = [f for f, _ in pairs]
    pop = [f + extra for f, extra in pairs]
    r = summarize(sizes, t, population_sizes=pop, population_records=sum(pop))
    n = sum(sizes)
    ratio = sum(f / big for f, big in zip(sizes, pop, strict=True)) / n
    assert r.journalist.max_risk == pytest.approx(1 / min(pop))
    assert r.journalist.average_risk == pytest.approx(max(len(sizes) / sum(pop), ratio))
    assert r.marketer_average_risk == pytest.approx(ratio)
    assert r.journalist.records_at_risk == sum(
        f for f, big in zip(sizes, pop, strict=True) if 1 / big > t
    )
    # a population never makes the worst case worse than the sample alone
    assert r.journalist.max_risk <= r.prosecutor.max_risk + 1e-12
    assert r.marketer_average_risk <= r.prosecutor.average_risk + 1e-12


@given(st.lists(ROW, min_size=1, max_size=40), THRESHOLD)
def test_subject_counts_match_brute_force(rows: list[tuple[str, str, str]], t: float) -> None:
    r = risk_from_frequencies(
        freq(rows, ["a", "b", "sid"]), ["a", "b"], subject_id="sid", threshold=t
    )
    kept = [row for row in rows if not (row[0] == "*" and row[1] == "*")]
    classes: dict[tuple, list[str]] = defaultdict(list)
    for a, b, s in kept:
        classes[(a, b)].append(s)
    assert r.suppressed_records == len(rows) - len(kept)
    assert r.equivalence_classes == len(classes)
    assert r.analysed_records == len(kept)
    if kept:
        assert r.prosecutor.max_risk == pytest.approx(1 / min(len(v) for v in classes.values()))
        assert r.prosecutor.average_risk == pytest.approx(len(classes) / len(kept))

    s = r.subjects
    rows_of = Counter(row[2] for row in rows)
    assert s.subjects == len(rows_of)
    assert s.subjects_with_several_rows == sum(1 for c in rows_of.values() if c > 1)
    assert s.max_rows_per_subject == max(rows_of.values())
    present = {row[2] for row in kept}
    suppressed_any = {row[2] for row in rows if row not in kept}
    assert s.suppressed_subjects == len(suppressed_any - present)
    assert s.partly_suppressed_subjects == len(suppressed_any & present)
    subj_per_class = {key: len(set(v)) for key, v in classes.items()}
    risk = {
        p: max(1 / subj_per_class[key] for key, v in classes.items() if p in v) for p in present
    }
    assert s.subjects_at_risk == sum(1 for v in risk.values() if v > t)
    assert s.unique_subjects == sum(1 for v in risk.values() if v == 1.0)
    row_risky = {p for key, v in classes.items() if 1 / len(v) > t for p in v}
    assert s.subjects_in_risky_classes == len(row_risky)
    if present:
        assert s.max_risk == pytest.approx(max(risk.values()))
        assert s.average_risk == pytest.approx(sum(risk.values()) / len(risk))
        # a subject is at least as exposed as any of its rows
        assert s.max_risk >= r.prosecutor.max_risk - 1e-12
    assert sum(b.subjects for b in r.risk_distribution) == len(present)


@given(st.lists(ROW, min_size=1, max_size=30), st.lists(ROW, max_size=30), THRESHOLD)
def test_population_matching_by_combination(
    rows: list[tuple], extra: list[tuple], t: float
) -> None:
    sample = [row[:2] for row in rows if row[:2] != ("*", "*")]
    pop_rows = sample + [row[:2] for row in extra]
    if not sample:
        return
    r = risk_from_frequencies(
        freq(sample, ["a", "b"]), ["a", "b"], population=freq(pop_rows, ["a", "b"]), threshold=t
    )
    f, big = Counter(sample), Counter(pop_rows)
    n = len(sample)
    assert r.journalist.max_risk == pytest.approx(max(1 / big[k] for k in f))
    assert r.marketer_average_risk == pytest.approx(sum(f[k] / big[k] for k in f) / n)
    assert r.journalist.records_at_risk == sum(f[k] for k in f if 1 / big[k] > t)
    assert r.population_unique_records == sum(f[k] for k in f if big[k] == 1)
