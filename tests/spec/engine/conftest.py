"""Every engine spec test runs over each engine; ``@requires(cap)`` skips an engine that declares
it cannot do ``cap`` (its ``capabilities``), so a missing capability is visible, never silent."""

from __future__ import annotations

import os

import pytest

ENGINES = ["reference", "duckdb"]
# Spark starts a JVM: its runs carry the `spark` marker, run by `make test-spark` (BULLE_SPARK=1).
ALL_ENGINES = [*ENGINES, pytest.param("spark", marks=pytest.mark.spark)]


def make_engine(name: str):
    from bulle.storage.duckdb_engine import DuckDBEngine
    from bulle.storage.reference_engine import ReferenceEngine

    if name == "spark":
        from bulle.storage.spark_engine import SparkEngine

        return SparkEngine(master=os.environ.get("BULLE_SPARK_MASTER", "local[1]"))
    return {"reference": ReferenceEngine, "duckdb": DuckDBEngine}[name]()


def requires(*capabilities: str):
    return pytest.mark.requires_capabilities(*capabilities)


@pytest.fixture(params=ALL_ENGINES)
def engine(request: pytest.FixtureRequest):
    eng = make_engine(request.param)
    marker = request.node.get_closest_marker("requires_capabilities")
    missing = [c for c in (marker.args if marker else ()) if c not in eng.capabilities]
    if missing:
        pytest.skip(f"the {eng.name} engine declares it cannot do {', '.join(missing)}")
    return eng


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "requires_capabilities(*names): engine capabilities a test needs"
    )
