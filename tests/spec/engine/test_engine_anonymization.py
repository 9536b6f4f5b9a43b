"""The whole anonymization use case through each engine: same optimum, same release."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from tests.spec.engine.conftest import ENGINES, make_engine

from bulle.anonymization.hierarchy import Hierarchy
from bulle.anonymization.service import anonymize_table
from bulle.anonymization.spec import AnonymizationSpec, ModelSpec

AGE = Hierarchy.from_rows(
    [[str(a), f"{a // 10 * 10}-{a // 10 * 10 + 9}", "*"] for a in range(20, 60)], name="âge"
)
ZIP = Hierarchy.from_rows(
    [[z, z[:3] + "**", "*"] for z in ("75001", "75002", "75011", "75012")], name='z"ip'
)
ROWS = [
    ("id1", "23", "75001", "flu"),
    ("id2", "27", "75002", "cold"),
    ("id3", "25", "75001", "=flu"),
    ("id4", "41", "75011", "asthma"),
    ("id5", "45", "75012", "flu"),
    ("id6", "47", "75011", "cold"),
    ("id7", "58", "75012", "asthma"),
]


@pytest.mark.parametrize(("suppressed", "dest_name"), [("star", "r.csv"), ("remove", "r.parquet")])
def test_every_engine_finds_the_same_optimum_and_writes_the_same_release(
    tmp_path: Path, suppressed: str, dest_name: str
) -> None:
    data = tmp_path / "people.csv"
    with data.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, delimiter=";")
        w.writerow(["pid", "âge", 'z"ip', "disease"])
        w.writerows(ROWS)
    spec = AnonymizationSpec(
        quasi_identifiers=("âge", 'z"ip'),
        hierarchies={"âge": AGE, 'z"ip': ZIP},
        models=(ModelSpec("k-anonymity", None, {"k": 2}),),
        sensitive=("disease",),
        suppression_limit=0.3,
        metric="loss",
        suppressed_output=suppressed,
    )
    outcomes = []
    for name in ENGINES:
        engine = make_engine(name)
        result = anonymize_table(engine, data, spec)
        dest = tmp_path / name / dest_name
        dest.parent.mkdir()
        rows = result.write(engine, data, dest)
        if dest.suffix == ".csv":
            with dest.open(newline="", encoding="utf-8") as f:
                released = list(csv.reader(f, delimiter=";"))
        else:
            released = engine.read_table(dest).to_pylist()
        outcomes.append((result.transformation, result.suppressed_records, rows, released))
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][1] > 0  # the suppression path is exercised
