"""The anonymization use case through the DuckDB engine: CSV and Parquet in, a release out."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from bulle.anonymization.hierarchy import Hierarchy
from bulle.anonymization.service import anonymize_table
from bulle.anonymization.spec import AnonymizationSpec, ModelSpec
from bulle.errors import InputError, ValidationError
from bulle.storage.duckdb_engine import DuckDBEngine

AGE = Hierarchy.from_rows(
    [[str(a), f"{a // 10 * 10}-{a // 10 * 10 + 9}", "*"] for a in range(20, 60)], name="age"
)
ZIP = Hierarchy.from_rows(
    [[z, z[:3] + "**", "*"] for z in ("75001", "75002", "75011", "75012")], name="zip"
)

ROWS = [
    ("id1", "23", "75001", "flu"),
    ("id2", "27", "75002", "cold"),
    ("id3", "25", "75001", "flu"),
    ("id4", "41", "75011", "asthma"),
    ("id5", "45", "75012", "flu"),
    ("id6", "47", "75011", "cold"),
    ("id7", "58", "75012", "asthma"),
]


@pytest.fixture
def data(tmp_path) -> Path:
    p = tmp_path / "people.csv"
    with p.open("w", newline="") as f:
        w = csv.writer(f, delimiter=";")
        w.writerow(["pid", "age", "zip", "disease"])
        w.writerows(ROWS)
    return p


def spec(**kw) -> AnonymizationSpec:
    base = dict(
        quasi_identifiers=("age", "zip"),
        hierarchies={"age": AGE, "zip": ZIP},
        models=(ModelSpec("k-anonymity", None, {"k": 2}),),
        sensitive=("disease",),
        suppression_limit=0.2,
        metric="loss",
    )
    base.update(kw)
    return AnonymizationSpec(**base)


def read(path: Path) -> list[list[str]]:
    with path.open(newline="") as f:
        return list(csv.reader(f, delimiter=";"))


def check_release(rows, result, removed: bool) -> None:
    levels = result.transformation
    originals = {r[0]: r for r in ROWS}
    kept, starred = [], []
    for r in rows[1:]:
        o = originals[r[0]]
        assert r[3] == o[3]  # other columns untouched
        expected = [AGE.generalize(o[1], levels["age"]), ZIP.generalize(o[2], levels["zip"])]
        if r[1:3] == expected:
            kept.append(r)
        else:
            assert r[1:3] == ["*", "*"]  # suppressed: starred
            starred.append(r)
    assert len(starred) == (0 if removed else result.suppressed_records)
    assert len(kept) == len(ROWS) - result.suppressed_records
    sizes: dict[tuple, int] = {}
    for r in kept:
        sizes[(r[1], r[2])] = sizes.get((r[1], r[2]), 0) + 1
    assert all(n >= 2 for n in sizes.values())  # k = 2 holds in the release


def test_csv_in_release_out_with_stars(data, tmp_path):
    engine = DuckDBEngine()
    result = anonymize_table(engine, data, spec())
    assert result.anonymous and 0 < result.suppressed_records <= 1
    out = tmp_path / "release.csv"
    assert result.write(engine, data, out) == 7
    rows = read(out)
    assert rows[0] == ["pid", "age", "zip", "disease"]
    assert [r[0] for r in rows[1:]] == [r[0] for r in ROWS]  # original order kept
    check_release(rows, result, removed=False)


def test_release_without_suppressed_records_to_parquet(data, tmp_path):
    engine = DuckDBEngine()
    result = anonymize_table(engine, data, spec(suppressed_output="remove"))
    out = tmp_path / "release.parquet"
    assert result.write(engine, data, out) == 7 - result.suppressed_records
    table = engine.read_table(out)
    rows = [table.column_names] + [list(r.values()) for r in table.to_pylist()]
    check_release(rows, result, removed=True)


def test_parquet_input_gives_the_same_optimum(data, tmp_path):
    engine = DuckDBEngine()
    from bulle.storage.engine import CsvOptions

    pq = tmp_path / "people.parquet"
    engine.csv_to_parquet(data, pq, CsvOptions(all_varchar=True))
    a = anonymize_table(engine, data, spec())
    b = anonymize_table(engine, pq, spec())
    assert (a.transformation, a.information_loss) == (b.transformation, b.information_loss)


def test_uncovered_values_are_all_listed(data):
    small_age = Hierarchy.from_rows([["23", "*"], ["25", "*"]], name="age")
    with pytest.raises(ValidationError) as err:
        anonymize_table(DuckDBEngine(), data, spec(hierarchies={"age": small_age, "zip": ZIP}))
    values = sorted(p.message.split("'")[1] for p in err.value.problems)
    assert values == ["27", "41", "45", "47", "58"]
    assert all(p.where.column == "age" for p in err.value.problems)


def test_unknown_column(data):
    with pytest.raises(InputError, match="unknown column"):
        anonymize_table(
            DuckDBEngine(),
            data,
            spec(quasi_identifiers=("age", "postcode"), hierarchies={"age": AGE, "postcode": ZIP}),
        )


def test_research_subset_must_match_the_data(data, tmp_path):
    sub = tmp_path / "subset.csv"
    with sub.open("w", newline="") as f:
        w = csv.writer(f, delimiter=";")
        w.writerow(["pid", "age", "zip", "disease"])
        w.writerow(ROWS[0])
        w.writerow(("id9", "23", "75001", "flu"))  # in no record of the data
    dp = (ModelSpec("delta-presence", None, {"dmin": 0.0, "dmax": 0.9}),)
    with pytest.raises(InputError, match="match no record"):
        anonymize_table(DuckDBEngine(), data, spec(models=dp, research_subset=sub))


def test_delta_presence_releases_the_research_subset(data, tmp_path):
    sub = tmp_path / "subset.csv"
    with sub.open("w", newline="") as f:
        w = csv.writer(f, delimiter=";")
        w.writerow(["pid", "age", "zip", "disease"])
        w.writerows([ROWS[0], ROWS[3]])
    dp = (ModelSpec("delta-presence", None, {"dmin": 0.0, "dmax": 0.5}),)
    engine = DuckDBEngine()
    result = anonymize_table(
        engine, data, spec(models=dp, research_subset=sub, suppression_limit=0.0)
    )
    assert result.anonymous and result.records == 2
    out = tmp_path / "r.csv"
    assert result.write(engine, data, out) == 2
    assert [r[0] for r in read(out)[1:]] == ["id1", "id4"]


def test_grassberger_release_on_adult_is_arxs(arx_data, tmp_path):
    """ARX's search is replayed (Grassberger entropy l-diversity with suppression): the loss is
    ARX's (TestAnonymizationEntropyLDiversity#0) and the written release stars exactly the
    records the result reports suppressed, each class it keeps passing the model."""
    from bulle.anonymization.hierarchy import read_hierarchy_csv
    from bulle.anonymization.models.entropy_l_diversity import grassberger_g

    qis = (
        "sex",
        "age",
        "race",
        "marital-status",
        "education",
        "native-country",
        "workclass",
        "salary-class",
    )
    hierarchies = {
        c: read_hierarchy_csv(arx_data / f"adult_hierarchy_{c}.csv", c)
        for c in (*qis, "occupation")
    }
    spec = AnonymizationSpec(
        quasi_identifiers=qis,
        hierarchies=hierarchies,
        sensitive=("occupation",),
        models=(
            ModelSpec("entropy-l-diversity", "occupation", {"l": 5, "estimator": "grassberger"}),
        ),
        suppression_limit=0.04,
        metric="entropy-nonmonotonic",
    )
    result = anonymize_table(DuckDBEngine(), arx_data / "adult.csv", spec)
    assert list(result.transformation.values()) == [1, 0, 1, 0, 3, 2, 2, 0]
    assert result.information_loss == pytest.approx(216092.124036387, rel=1e-9)
    out = tmp_path / "release.csv"
    result.write(DuckDBEngine(), arx_data / "adult.csv", out)
    with out.open(newline="") as f:
        header = f.readline()
        f.seek(0)
        rows = list(csv.DictReader(f, delimiter=";" if ";" in header else ","))
    starred = [all(r[q] == "*" for q in qis) for r in rows]
    assert 0 < sum(starred) == result.suppressed_records <= int(0.04 * 30162)
    classes: dict[tuple, dict[str, int]] = {}
    for r, hidden in zip(rows, starred, strict=True):
        if not hidden:
            hist = classes.setdefault(tuple(r[q] for q in qis), {})
            hist[r["occupation"]] = hist.get(r["occupation"], 0) + 1
    for hist in classes.values():
        counts = np.array(list(hist.values()))
        n = counts.sum()
        assert len(counts) >= 5
        bound = n * (float(grassberger_g(np.array([n]))[0]) - np.log(5))
        assert float((counts * grassberger_g(counts)).sum()) <= bound + 1e-9
