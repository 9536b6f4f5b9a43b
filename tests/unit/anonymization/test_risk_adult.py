"""Risk of ARX's adult table (8 quasi-identifiers) against an independent computation."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from bulle.anonymization.risk import measure_risk
from bulle.storage.duckdb_engine import DuckDBEngine
from bulle.storage.engine import CsvOptions

QIS = [
    "sex",
    "age",
    "race",
    "marital-status",
    "education",
    "native-country",
    "workclass",
    "occupation",
]


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter=";"))


def independent(rows: list[dict[str, str]], t: float, pop: list[dict[str, str]] | None = None):
    f = Counter(tuple(r[q] for q in QIS) for r in rows)
    big = Counter(tuple(r[q] for q in QIS) for r in pop) if pop is not None else f
    n = sum(f.values())
    return {
        "classes": len(f),
        "max": 1 / min(f.values()),
        "avg": len(f) / n,
        "at_risk": sum(c for c in f.values() if 1 / c > t),
        "unique": sum(1 for c in f.values() if c == 1),
        "j_max": 1 / min(big[k] for k in f),
        "j_at_risk": sum(c for k, c in f.items() if 1 / big[k] > t),
        "j_avg": max(len(f) / sum(big[k] for k in f), sum(c / big[k] for k, c in f.items()) / n),
        "marketer": sum(c / big[k] for k, c in f.items()) / n,
    }


@pytest.fixture(scope="module")
def parquet(arx_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    engine = DuckDBEngine()
    out = tmp_path_factory.mktemp("adult")
    paths = {}
    for name in ("adult", "adult_subset"):
        paths[name] = out / f"{name}.parquet"
        engine.csv_to_parquet(arx_data / f"{name}.csv", paths[name], CsvOptions(all_varchar=True))
    return paths


@pytest.mark.parametrize("t", [0.2, 0.1, 0.5])
def test_adult_matches_independent_computation(
    arx_data: Path, parquet: dict[str, Path], t: float
) -> None:
    expected = independent(read_rows(arx_data / "adult.csv"), t)
    r = measure_risk(parquet["adult"], QIS, threshold=t)
    assert r.records == r.analysed_records == 30162
    assert r.equivalence_classes == expected["classes"] == 18109
    assert r.prosecutor.max_risk == expected["max"] == 1.0
    assert r.prosecutor.average_risk == pytest.approx(expected["avg"], rel=1e-12)
    assert r.prosecutor.records_at_risk == expected["at_risk"]
    assert r.unique_records == expected["unique"] == 14021
    assert r.marketer_average_risk == pytest.approx(expected["avg"], rel=1e-12)
    assert r.journalist == r.prosecutor


def test_adult_subset_against_adult_population(arx_data: Path, parquet: dict[str, Path]) -> None:
    sample = read_rows(arx_data / "adult_subset.csv")
    expected = independent(sample, 0.2, read_rows(arx_data / "adult.csv"))
    r = measure_risk(parquet["adult_subset"], QIS, population=parquet["adult"])
    assert r.records == 3016 and r.population_records == 30162
    assert r.journalist.max_risk == pytest.approx(expected["j_max"])
    assert r.journalist.records_at_risk == expected["j_at_risk"]
    assert r.journalist.average_risk == pytest.approx(expected["j_avg"], rel=1e-12)
    assert r.marketer_average_risk == pytest.approx(expected["marketer"], rel=1e-12)
    # the population dilutes the sample's classes: on average less risk than the sample alone
    assert r.journalist.average_risk < r.prosecutor.average_risk
