"""The engine interface: what services may ask of the code that touches rows.

Every read, write, group-by, filter and release of rows goes through these methods, with typed
arguments: no module outside ``storage/`` writes SQL for a row engine (a source scan,
``tests/unit/storage/test_one_door.py``, holds that). DuckDB is the default engine
(``duckdb_engine.py``); ``reference_engine.py`` implements the same methods in pyarrow/numpy,
obviously correct and not fast, and the spec tests (``tests/spec/engine/``) run over both. The
Spark engine (``spark_engine.py``) implements the same interface for data beyond one machine. Engines declare what they can do in
``capabilities`` (names below); callers and the spec tests read it instead of meeting a
``NotImplementedError`` in odd places.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    import pyarrow as pa

# Capabilities: what an engine declares it can do (``Engine.capabilities``).
INGEST_CSV = "ingest.csv"
INGEST_PARQUET = "ingest.parquet"
INGEST_JSONL = "ingest.jsonl"
PROFILE = "profile"
EXPORT = "export"
FREQUENCY_TABLE = "frequency_table"
DIRECT_CSV = "direct_csv"  # group and release a CSV file without importing it first
RELEASE = "release"
PSEUDONYMIZE = "pseudonymize"
ANALYST_SQL = "sql"  # analysts' SQL, run under the lock-down (DuckDB only)
VISIBLE_READ = "visible_read"  # a project's read: declared columns, consent/purpose-filtered people
CORE = frozenset({FREQUENCY_TABLE, RELEASE, PSEUDONYMIZE})


class CapabilityError(Exception):
    """An engine was asked for something it declared it cannot do (a bug in the caller)."""


NORMALS = ("nir", "email", "phone")  # identifier kinds compared after normalization


@dataclass(frozen=True)
class ValueIn:
    """Rows whose ``column``, read as text (then normalized as an identifier of kind ``normal``:
    NIR digits, lower-cased e-mail, national telephone digits), is one of ``values``; a NULL is
    in no set."""

    column: str
    values: frozenset[str]
    normal: str | None = None

    def __post_init__(self) -> None:
        if self.normal is not None and self.normal not in NORMALS:
            raise ValueError(f"unknown identifier normalization {self.normal!r}")


@dataclass(frozen=True)
class Release:
    """How to write a release: each quasi-identifier through its generalization map (keyed by
    the text of the value, ``""`` for NULL), then the records of a suppressed class (a tuple of
    generalized values, in the order of ``maps``) starred (``SUPPRESSED``) or removed."""

    maps: Mapping[str, Mapping[str, str]]
    suppressed_classes: frozenset[tuple[str, ...]] = frozenset()
    remove_suppressed: bool = False
    keep_formulas: bool = False  # CSV only: else text cells a spreadsheet would run are neutralised
    delimiter: str = ";"  # CSV only


SUPPRESSED = "*"


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
    def read_table(
        self, path: Path, columns: list[str] | None = None, limit: int | None = None
    ) -> pa.Table: ...

    @abstractmethod
    def read_csv_table(self, src: Path, options: CsvOptions) -> pa.Table:
        """Read a whole CSV into Arrow (stand-alone commands on small/medium files)."""

    # --- compute -------------------------------------------------------------------------------
    @abstractmethod
    def frequency_table(self, path: Path, columns: list[str]) -> pa.Table:
        """One pass: the distinct combinations of ``columns`` with a ``count`` column (int64)."""

    @abstractmethod
    def profile(
        self, path: Path, top: int = 5, sample_rows: int | None = None
    ) -> list[dict[str, Any]]:
        """Per-column statistics: type, distinct, nulls, min, max, top values, and a sample of
        ``sample_rows`` values per column (None: the default of setting ``profile.sample_rows``)."""

    @abstractmethod
    def export(
        self,
        path: Path,
        dest: Path,
        fmt: str,
        *,
        keep_formulas: bool = False,
        delimiter: str = ",",
    ) -> None:
        """Write a stored version to ``dest`` as csv, parquet or jsonl (the caller makes it atomic);
        CSV text cells a spreadsheet would run are neutralised unless ``keep_formulas``
        (``bulle.formulas``); CSV fields are separated by ``delimiter``."""

    @abstractmethod
    def write_table(self, table: pa.Table, dest: Path) -> WriteStats:
        """Write an Arrow table (small results, transformed versions) as Parquet."""

    # --- typed row operations (every caller outside storage/ uses these) ----------------------
    @abstractmethod
    def schema(self, path: Path) -> list[dict[str, str]]:
        """``[{"name", "type"}]`` of a stored Parquet file, in column order."""

    @abstractmethod
    def read_text(
        self, path: Path, columns: Sequence[str], *, where_not: Sequence[ValueIn] = ()
    ) -> pa.Table:
        """``columns`` of ``path`` as text (NULL stays NULL), in row order, without the rows that
        match any of ``where_not``."""

    @abstractmethod
    def value_counts(self, path: Path, column: str) -> list[tuple[str, int]]:
        """The distinct non-NULL values of ``column`` as text with their row counts (any order)."""

    @abstractmethod
    def write_projection(
        self,
        path: Path,
        dest: Path,
        *,
        text: Sequence[str] = (),
        keep: Sequence[str] = (),
        drop: Sequence[str] = (),
    ) -> WriteStats:
        """Write ``text`` columns cast to text then ``keep`` columns as they are; or, when both are
        empty, every column but ``drop`` (row order kept; the caller makes it atomic)."""

    @abstractmethod
    def write_without(self, path: Path, dest: Path, match: Sequence[ValueIn]) -> WriteStats:
        """Rewrite ``path`` to ``dest`` without the rows matching any of ``match`` (erasure)."""

    @abstractmethod
    def normalized_text(self, path: Path, column: str, normal: str | None) -> list[str | None]:
        """``column`` as text normalized as an identifier of kind ``normal``, in row order."""

    @abstractmethod
    def count_matches(self, path: Path, match: Sequence[ValueIn]) -> tuple[int, list[int]]:
        """The rows matching any of ``match``, and for each predicate the rows matching it."""

    @abstractmethod
    def distinct_matches(
        self, path: Path, match: Sequence[ValueIn], columns: Sequence[tuple[str, str | None]]
    ) -> set[tuple[str | None, ...]]:
        """For the rows matching any of ``match``: the distinct tuples of, for each ``(column,
        normal)``, the column as text then normalized (so two entries per column)."""

    @abstractmethod
    def token_key_ids(self, path: Path, column: str, prefix: str) -> set[str]:
        """The key ids of the pseudonyms ``PREFIX_KEYID_...`` found in ``column``."""

    @abstractmethod
    def source_columns(self, source: Path) -> list[str]:
        """Column names of a Parquet file, or of a CSV file read as text."""

    @abstractmethod
    def group_counts(
        self, source: Path, columns: Sequence[str], *, count: str, first_row: str | None = None
    ) -> pa.Table | None:
        """The base frequency table of a Parquet file or a CSV file read as text: the distinct
        combinations of ``columns`` (NULLs kept as a value) with their row count in ``count``
        (int64) and, with ``first_row``, the 0-based position of each combination's first row.
        ``None`` when this engine cannot read that CSV file directly: the caller imports it."""

    @abstractmethod
    def first_appearance(self, source: Path, column: str) -> list[str]:
        """Distinct values of ``column`` (NULL as ``""``) in order of first appearance."""

    @abstractmethod
    def write_release(self, source: Path, dest: Path, release: Release) -> None:
        """Write the release of ``source`` to ``dest`` (.csv or .parquet, by its suffix): every
        column, row order kept, atomically (temporary file, fsync, rename)."""

    @abstractmethod
    def pseudonymize(
        self, path: Path, dest: Path, tokenizers: Mapping[str, Callable[[pa.Array], pa.Array]]
    ) -> WriteStats:
        """Rewrite ``path`` with each column of ``tokenizers`` replaced by its tokens (the column
        is read as text and given to its tokenizer in row order, one call at a time)."""

    def row_count(self, path: Path) -> int:
        """The rows of a stored version, from its Parquet footers: one file, or a directory of
        parts (what the Spark engine writes). The same for every engine: no row is read."""
        import pyarrow.parquet as pq

        p = Path(path)
        if p.is_dir():
            parts = [x for x in sorted(p.iterdir()) if x.is_file() and x.name[0] not in "._"]
            return sum(pq.read_metadata(x).num_rows for x in parts)
        return pq.read_metadata(p).num_rows

    def require(self, capability: str) -> None:
        if capability not in self.capabilities:
            raise CapabilityError(f"the {self.name} engine cannot do {capability!r}")


def default_engine() -> Engine:
    """DuckDB, the engine every workspace uses."""
    from bulle.storage.duckdb_engine import DuckDBEngine

    return DuckDBEngine()
