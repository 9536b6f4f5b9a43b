"""Every builder's rows are accepted by the anonymization core's Hierarchy, as written and read."""

from __future__ import annotations

from pathlib import Path

import pytest

from bulle.anonymization import builders, hierarchy

CASES = {
    "interval": lambda: builders.interval_rows([str(a) for a in range(17, 91)], 5, [2, 5]),
    "date": lambda: builders.date_rows(
        ["2021-03-15", "1999-12-31", "2003-07-04"], ["month", "quarter", "year", "decade"]
    ),
    "mask": lambda: builders.mask_rows(["75011", "75012", "13001", "2A004"]),
    "nir": lambda: builders.nir_rows(["1850575111222", "2850575111222"]),
    "ordered": lambda: builders.ordered_rows(["a", "b", "c", "d", "e"], [2, 2]),
    "flat": lambda: builders.flat_rows(["x", "y"]),
}


@pytest.mark.parametrize("kind", sorted(CASES))
def test_core_accepts_builder_rows(kind: str, tmp_path: Path) -> None:
    rows = CASES[kind]()
    h = hierarchy.Hierarchy.from_rows(rows, name=kind)
    assert h.height == len(rows[0]) - 1 and not h.warnings
    path = tmp_path / f"{kind}.csv"
    hierarchy.write_hierarchy_csv(h, path)
    again = hierarchy.read_hierarchy_csv(path, name=kind)
    assert [list(r) for r in again.rows] == rows
