"""The engine interface: what services may ask of the code that touches rows.

DuckDB is the default engine; a Spark engine will implement the same interface, and a small
pure-Python reference engine is what the others are tested against. Engines declare what they can
do in ``capabilities`` instead of raising ``NotImplementedError`` in odd places.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa


@dataclass(frozen=True)
class CsvOptions:
    """How to read a CSV file. ``None`` means: sniff it."""

    delimiter: str | None = None
    header: bool | None = None
    encoding: str = "utf-8"
    quote: str | None = None
    all_varchar: bool = False  # read every column as text (anonymization reads ARX files this way)


@dataclass(frozen=True)
class WriteStats:
    rows: int
    schema: list[dict[str, str]]  # [{"name": ..., "type": ...}] in column order
    bytes: int
    extra: dict[str, Any] = field(default_factory=dict)


class Engine(ABC):
    name: str = "abstract"
    capabilities: frozenset[str] = frozenset()

    # --- ingest: stream a source into one Parquet file -------------------------------------
    @abstractmethod
    def csv_to_parquet(self, src: Path, dest: Path, options: CsvOptions) -> WriteStats:
        """Stream a CSV file into Parquet at ``dest`` (the caller makes it atomic)."""

    @abstractmethod
    def parquet_to_parquet(self, src: Path, dest: Path) -> WriteStats: ...

    @abstractmethod
    def jsonl_to_parquet(self, src: Path, dest: Path) -> WriteStats: ...

    # --- read ----------------------------------------------------------------------------------
    @abstractmethod
    def read_table(self, path: Path, columns: list[str] | None = None, limit: int | None = None) -> pa.Table:
        ...

    @abstractmethod
    def read_csv_table(self, src: Path, options: CsvOptions) -> pa.Table:
        """Read a whole CSV into Arrow (stand-alone commands on small/medium files)."""

    # --- compute -------------------------------------------------------------------------------
    @abstractmethod
    def frequency_table(self, path: Path, columns: list[str]) -> pa.Table:
        """One pass: the distinct combinations of ``columns`` with a ``count`` column (int64)."""

    @abstractmethod
    def profile(self, path: Path, top: int = 5, sample_rows: int | None = None) -> list[dict[str, Any]]:
        """Per-column statistics: type, distinct, nulls, min, max, top values, and a sample of
        ``sample_rows`` values per column (None: the default of setting ``profile.sample_rows``)."""

    @abstractmethod
    def export(self, path: Path, dest: Path, fmt: str, *, keep_formulas: bool = False) -> None:
        """Write a stored version to ``dest`` as csv, parquet or jsonl (the caller makes it atomic);
        CSV text cells a spreadsheet would run are neutralised unless ``keep_formulas``
        (``bulle.formulas``)."""

    @abstractmethod
    def write_table(self, table: pa.Table, dest: Path) -> WriteStats:
        """Write an Arrow table (small results, transformed versions) as Parquet."""


def default_engine() -> Engine:
    from bulle.storage.duckdb_engine import DuckDBEngine

    return DuckDBEngine()
