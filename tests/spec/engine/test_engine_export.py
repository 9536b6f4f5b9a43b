"""Export of a stored version as CSV with a chosen field separator (the synthetic tables of
`bulle synthesize` keep their input's delimiter)."""

from __future__ import annotations

import csv

import pyarrow as pa
from tests.spec.engine.conftest import requires

from bulle.storage import engine as caps


@requires(caps.EXPORT)
def test_csv_export_uses_the_delimiter(engine, tmp_path):
    stored = tmp_path / "t.parquet"
    engine.write_table(pa.table({"a": [1, 2], "b": ["x;y", "z"]}), stored)
    for delimiter in (",", ";", "\t"):
        out = tmp_path / f"t{ord(delimiter)}.csv"
        engine.export(stored, out, "csv", delimiter=delimiter)
        with out.open(newline="") as f:
            rows = list(csv.reader(f, delimiter=delimiter))
        assert rows == [["a", "b"], ["1", "x;y"], ["2", "z"]]
