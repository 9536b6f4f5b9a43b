"""Random small tables through the Spark engine: every release satisfies its declared models and is
the release DuckDB makes (same transformation, loss, suppression and rows, cell for cell).

The problems and the independent checker are the optimum property test's (written from ARX's
definitions, sharing no code with the implementation); here they run through the whole engine
pipeline: the base frequency table Spark computes from a Parquet file, the search, and the
release Spark writes. Few examples (each is a handful of Spark jobs); `make test-spark` runs it.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, assume, given, settings
from tests.property.anonymization.test_anonymization_optimum import check, problems, to_inputs

from bulle.anonymization.service import anonymize_table
from bulle.anonymization.spec import AnonymizationSpec
from bulle.storage.duckdb_engine import DuckDBEngine

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def spark():
    from bulle.storage.spark_engine import SparkEngine

    return SparkEngine(master=os.environ.get("BULLE_SPARK_MASTER", "local[1]"))


def _released(engine, data: Path, spec: AnonymizationSpec, out: Path):
    result = anonymize_table(engine, data, spec)
    rows = None
    if result.anonymous:
        result.write(engine, data, out)
        table = pcsv.read_csv(out, parse_options=pcsv.ParseOptions(delimiter=";"))
        rows = table.cast(pa.schema([(n, pa.string()) for n in table.column_names])).to_pylist()
    return result, rows


@settings(
    max_examples=int(os.environ.get("BULLE_SPARK_EXAMPLES", "8")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(problems())
def test_spark_releases_satisfy_their_models_and_equal_duckdbs(spark, p):
    assume(p["subset"] is None)  # a research subset is a second file: the ARX cases cover it
    qis = list(p["hierarchies"])
    _, spec = to_inputs(p)  # the spec the optimum test searches with (no research subset here)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "t.parquet"
        columns = list(zip(*p["rows"], strict=True))
        pq.write_table(
            pa.table({name: list(col) for name, col in zip([*qis, "s"], columns, strict=True)}),
            data,
        )
        duck, duck_rows = _released(DuckDBEngine(), data, spec, Path(tmp) / "duck.csv")
        mine, rows = _released(spark, data, spec, Path(tmp) / "spark.csv")
    assert mine.anonymous == duck.anonymous
    if not mine.anonymous:
        return
    node = tuple(mine.transformation[q] for q in qis)
    anonymous, suppressed, _, _ = check(p, node)
    assert anonymous, "Spark released a transformation that violates a declared model"
    assert mine.suppressed_records == suppressed
    assert mine.transformation == duck.transformation
    assert float(mine.information_loss) == pytest.approx(float(duck.information_loss), rel=1e-12)
    assert rows == duck_rows
