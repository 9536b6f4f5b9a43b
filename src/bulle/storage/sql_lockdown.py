"""Running an analyst's SQL with no path to anything but the tables Bulle hands over.

An analyst writes SQL against a project's filtered views. DuckDB can read any file the process can
read, attach databases, load extensions and change its own settings, so the SQL runs on a private
in-memory connection built in this order (the order matters, see
``docs/governance.md``):

1. extension auto-install/auto-load and community extensions off, Python replacement scans off,
   no spill directory, a memory limit and a thread count, all given at connect time;
2. only the given Arrow tables registered (in memory: no file behind them, so nothing an
   analyst could re-point or overwrite, unlike a view over a Parquet file or an attached database);
3. ``enable_external_access=false`` then ``lock_configuration=true``: from here no file, network,
   extension or setting change is possible, whatever the SQL.

Two layers stand in front of the analyst's text: a statement gate refuses statement kinds an
analysis never needs (COPY, ATTACH, LOAD/INSTALL, SET/RESET, PRAGMA, CALL, EXPORT...) with a clear
message, and the locked connection refuses everything else that would reach outside. The tests
attack both layers separately, so neither is load-bearing alone.

DuckDB has no statement timeout: a watchdog thread calls ``interrupt()`` when the wall-clock limit
passes, also while the result streams. Results come back as Arrow record batches counted as they
arrive (rows and bytes, :mod:`bulle.governance.limits`): a result past its budget stops with
:class:`~bulle.errors.ResourceLimit` before it fills the memory. The connection never leaves this
module.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bulle.errors import AccessDenied, InputError, ResourceLimit
from bulle.governance.limits import (
    DEFAULT_MAX_ROWS,
    DEFAULT_MEMORY_LIMIT,
    DEFAULT_RESULT_BYTES,
    DEFAULT_TIMEOUT_S,
    MAX_TIMEOUT_S,
    check_budget,
    check_timeout,
)

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

TABLE_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")

# Statement kinds an analysis may use. Everything else is refused before DuckDB sees it.
ALLOWED_STATEMENTS = frozenset(
    {
        "SELECT",
        "EXPLAIN",
        "CREATE",
        "INSERT",
        "UPDATE",
        "DELETE",
        "DROP",
        "ALTER",
        "PREPARE",
        "EXECUTE",
        "TRANSACTION",
        "MULTI",
        "MERGE_INTO",
    }
)
REFUSED_HINTS = {
    "COPY": "COPY reads or writes files",
    "EXPORT": "EXPORT DATABASE writes files",
    "ATTACH": "ATTACH opens other databases",
    "DETACH": "DETACH changes the attached databases",
    "LOAD": "INSTALL and LOAD bring in extensions",
    "EXTENSION": "extensions are not available",
    "SET": "settings are fixed by Bulle (SET, RESET and USE are not available)",
    "PRAGMA": "PRAGMA statements change settings or read files; query pragma_* table functions instead",
    "CALL": "CALL runs procedures that change settings; use SELECT * FROM function(...) instead",
    "VACUUM": "maintenance statements are not available",
    "COPY_DATABASE": "COPY FROM DATABASE copies databases",
    "LOGICAL_PLAN": "plans cannot be submitted directly",
    "RELATION": "relations cannot be submitted directly",
}
# Secrets hold credentials for external storage; with external access off they are useless, and a
# persistent one would be written to disk. Refused by name as CREATE cannot tell them apart.
SECRET_RE = re.compile(
    r"^\s*CREATE\s+(OR\s+REPLACE\s+)?((PERSISTENT|TEMP|TEMPORARY)\s+)?SECRET\b", re.I
)


BATCH_ROWS = 8192  # rows per streamed batch: small enough that one batch never dominates the budget


@dataclass(frozen=True)
class Limits:
    """Resources one analyst session may use (defaults and ceiling: :mod:`bulle.governance.limits`)."""

    timeout_s: float = DEFAULT_TIMEOUT_S
    memory_limit: str = DEFAULT_MEMORY_LIMIT
    threads: int = 1
    max_rows: int | None = DEFAULT_MAX_ROWS  # rows returned to the caller; None: no cap
    max_result_bytes: int = DEFAULT_RESULT_BYTES  # Arrow bytes returned to the caller
    timeout_max_s: float = MAX_TIMEOUT_S  # the ceiling ``timeout_s`` is checked against

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "timeout_s", check_timeout(self.timeout_s, ceiling=self.timeout_max_s)
        )
        if not isinstance(self.threads, int) or self.threads < 1:
            raise InputError(f"threads must be a positive integer, got {self.threads!r}")
        if not re.fullmatch(r"\s*\d+(\.\d+)?\s*[KMGT]i?B\s*", self.memory_limit, re.I):
            raise InputError(
                f"memory limit {self.memory_limit!r} is not a size such as '512MB' or '2GB'"
            )
        if self.max_rows is not None and self.max_rows < 0:
            raise InputError(f"max_rows must be positive, got {self.max_rows}")
        check_budget(self.max_result_bytes)

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any], timeout_s: float | None = None) -> Limits:
        """A workspace's limits (``query.*`` of :mod:`bulle.settings`); ``timeout_s`` None: its default."""
        return cls(
            timeout_s=settings["query.timeout_default_s"] if timeout_s is None else timeout_s,
            timeout_max_s=settings["query.timeout_max_s"],
            memory_limit=settings["query.memory_limit"],
            max_rows=settings["query.result_max_rows"],
            max_result_bytes=settings["query.result_max_bytes"],
        )


class ResultStream:
    """The last statement's result, batch by batch, counted against the session's limits.

    Iterating raises :class:`~bulle.errors.ResourceLimit` as soon as the next batch would take
    the result past ``max_rows`` or ``max_result_bytes``, or when the watchdog stopped the query;
    what was handed out before stays within the budget.
    """

    def __init__(
        self, reader: pa.RecordBatchReader | None, limits: Limits, watchdog: _Watchdog
    ) -> None:
        import pyarrow as pa

        self._reader = reader
        self._limits = limits
        self._watchdog = watchdog
        self.schema: pa.Schema = reader.schema if reader is not None else pa.schema([])
        self.rows = 0
        self.nbytes = 0

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        import duckdb

        if self._reader is None:
            return
        limits = self._limits
        while True:
            try:
                batch = self._reader.read_next_batch()
            except StopIteration:
                return
            except (duckdb.Error, OSError) as exc:  # OSError: an interrupt surfacing through Arrow
                raise _translate(exc, self._watchdog, limits) from None
            if limits.max_rows is not None and self.rows + batch.num_rows > limits.max_rows:
                raise ResourceLimit(
                    f"the result has more than {limits.max_rows:,} rows (the row cap): "
                    "aggregate, or add a LIMIT"
                )
            if self.nbytes + batch.nbytes > limits.max_result_bytes:
                raise ResourceLimit(
                    f"the result is larger than the {_size(limits.max_result_bytes)} "
                    "result budget: aggregate, select fewer columns, or add a LIMIT"
                )
            self.rows += batch.num_rows
            self.nbytes += batch.nbytes
            yield batch

    def read_all(self) -> pa.Table:
        """The whole result as one table (bounded by the budget, as the batches are)."""
        import pyarrow as pa

        batches = list(self)
        return (
            pa.Table.from_batches(batches, schema=self.schema)
            if self._reader is not None
            else pa.table({})
        )


def _size(n: int) -> str:
    for unit, factor in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= factor:
            return f"{n / factor:g} {unit}"
    return f"{n} bytes"


class LockedSession:
    """A locked connection over a fixed set of tables, for several queries of one analyst.

    Tables created by the analyst (``CREATE TEMP TABLE``) live as long as the session. Use it as a
    context manager, or call ``close()``.
    """

    def __init__(self, tables: Mapping[str, pa.Table], limits: Limits | None = None) -> None:
        self._limits = limits or Limits()
        self._con: duckdb.DuckDBPyConnection | None = _open_locked(tables, self._limits)
        self._lock = threading.Lock()  # one query at a time: interrupt() targets the connection

    @property
    def limits(self) -> Limits:
        return self._limits

    def query(self, sql: str) -> pa.Table:
        """Run the analyst's SQL (one or more statements) and return the last result as Arrow."""
        with self.stream(sql) as result:
            return result.read_all()

    @contextmanager
    def stream(self, sql: str) -> Iterator[ResultStream]:
        """Run the analyst's SQL and hand the last result over batch by batch.

        The time limit runs until the ``with`` block ends, so a slow consumer is stopped too.
        """
        if self._con is None:
            raise InputError("this SQL session is closed")
        with self._lock:
            statements = _gate(self._con, sql)
            watchdog = _Watchdog(self._con, self._limits.timeout_s)
            reader = None
            try:
                reader = _execute(self._con, statements, self._limits, watchdog)
                yield ResultStream(reader, self._limits, watchdog)
            finally:
                watchdog.stop()
                if reader is not None:
                    reader.close()  # an undrained result would block the session's next query

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None

    def __enter__(self) -> LockedSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def run_analyst_sql(
    sql: str,
    tables: Mapping[str, pa.Table],
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    memory_limit: str = DEFAULT_MEMORY_LIMIT,
    threads: int = 1,
    max_rows: int | None = DEFAULT_MAX_ROWS,
    max_result_bytes: int = DEFAULT_RESULT_BYTES,
) -> pa.Table:
    """Run ``sql`` on a fresh locked connection holding only ``tables``; return the result."""
    limits = Limits(
        timeout_s=timeout_s,
        memory_limit=memory_limit,
        threads=threads,
        max_rows=max_rows,
        max_result_bytes=max_result_bytes,
    )
    with LockedSession(tables, limits) as session:
        return session.query(sql)


# --- set-up ----------------------------------------------------------------------------------
def _open_locked(tables: Mapping[str, pa.Table], limits: Limits) -> duckdb.DuckDBPyConnection:
    """Build the locked connection. Private: the lock holds only if nobody else gets the handle."""
    import duckdb
    import pyarrow as pa

    seen: set[str] = set()
    for name, table in tables.items():
        if not isinstance(name, str) or not TABLE_NAME_RE.match(name):
            raise InputError(
                f"{name!r} is not a usable table name (letters, digits, '_', not starting with a digit)"
            )
        if name.lower() in seen:
            raise InputError(f"table name {name!r} is given twice (SQL names ignore case)")
        seen.add(name.lower())
        if not isinstance(table, pa.Table):
            raise InputError(f"table {name!r} must be an Arrow table, got {type(table).__name__}")
    con = duckdb.connect(
        ":memory:",
        config={
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
            "allow_community_extensions": False,
            "python_enable_replacements": False,
            "memory_limit": limits.memory_limit,
            "threads": limits.threads,
            "temp_directory": "",  # no spilling to disk: a memory blow-up is an error, not a file
        },
    )
    try:
        con.execute("SET enable_progress_bar = false")  # it would draw on the caller's terminal
        for name, table in tables.items():
            con.register(name, table)
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
        _check_locked(con)
    except Exception:
        con.close()
        raise
    return con


def _check_locked(con: duckdb.DuckDBPyConnection) -> None:
    """Refuse to hand out a connection whose lock did not take (a changed DuckDB default, say)."""
    settings = dict(
        con.execute(
            "SELECT name, value FROM duckdb_settings() WHERE name IN ('enable_external_access', "
            "'lock_configuration', 'autoload_known_extensions', 'autoinstall_known_extensions', "
            "'allow_community_extensions', 'python_enable_replacements')"
        ).fetchall()
    )
    expected = {
        "enable_external_access": "false",
        "lock_configuration": "true",
        "autoload_known_extensions": "false",
        "autoinstall_known_extensions": "false",
        "allow_community_extensions": "false",
        "python_enable_replacements": "false",
    }
    wrong = {k: settings.get(k) for k, v in expected.items() if str(settings.get(k)).lower() != v}
    if wrong:
        raise RuntimeError(f"the analyst connection did not lock down: {wrong}")


# --- running ---------------------------------------------------------------------------------
def _execute(
    con: duckdb.DuckDBPyConnection, statements: list[Any], limits: Limits, watchdog: _Watchdog
) -> pa.RecordBatchReader | None:
    """Run every statement; the last one's result is returned as a stream, not fetched."""
    import duckdb

    try:
        for i, statement in enumerate(statements):
            relation = con.sql(statement)
            if i == len(statements) - 1 and relation is not None:
                return relation.to_arrow_reader(BATCH_ROWS)
        return None
    except (duckdb.Error, OSError) as exc:
        raise _translate(exc, watchdog, limits) from None


def _gate(con: duckdb.DuckDBPyConnection, sql: str) -> list[Any]:
    """Parse, and refuse statement kinds an analysis never needs."""
    import duckdb

    if not isinstance(sql, str) or not sql.strip():
        raise InputError("no SQL given")
    try:
        statements = con.extract_statements(sql)
    except duckdb.ParserException as exc:
        raise InputError(f"SQL syntax error: {_first_line(exc)}") from None
    except duckdb.Error as exc:
        raise InputError(f"SQL error: {_first_line(exc)}") from None
    if not statements:
        raise InputError("no SQL statement given")
    for statement in statements:
        try:
            kind = statement.type.name
        except (
            ValueError
        ):  # a statement kind the Python binding cannot even name (UPDATE EXTENSIONS)
            raise AccessDenied("this kind of statement is not allowed in analyst SQL") from None
        if kind not in ALLOWED_STATEMENTS:
            hint = REFUSED_HINTS.get(kind, "this kind of statement is not available")
            raise AccessDenied(f"{kind} is not allowed in analyst SQL: {hint}")
        if kind == "CREATE" and SECRET_RE.match(statement.query):
            raise AccessDenied(
                "CREATE SECRET is not allowed in analyst SQL: no external storage is reachable"
            )
    return statements


def _translate(exc: BaseException, watchdog: _Watchdog, limits: Limits) -> Exception:
    import duckdb

    message = _first_line(exc)
    if watchdog.fired or isinstance(exc, duckdb.InterruptException) or "INTERRUPT" in message:
        return ResourceLimit(
            f"the query ran longer than the {limits.timeout_s:g} s limit and was stopped"
        )
    if (
        isinstance(exc, duckdb.PermissionException)
        or "file system operations are disabled" in message
    ):
        return AccessDenied(f"not allowed in analyst SQL: {message}")
    if "configuration has been locked" in message or "configuration option" in message:
        return AccessDenied(f"settings are fixed by Bulle: {message}")
    if isinstance(exc, duckdb.OutOfMemoryException) or "Out of Memory" in message:
        return ResourceLimit(
            f"the query needs more than the {limits.memory_limit} memory limit: {message}"
        )
    if isinstance(exc, duckdb.ParserException):
        return InputError(f"SQL syntax error: {message}")
    if isinstance(exc, duckdb.CatalogException):
        return InputError(f"SQL error: {message} (available tables are the project's views)")
    return InputError(f"SQL error: {message}")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class _Watchdog:
    """Interrupts the connection once the time limit passes, and never after the query ended."""

    def __init__(self, con: duckdb.DuckDBPyConnection, timeout_s: float) -> None:
        self._con = con
        self._guard = threading.Lock()
        self._done = False
        self.fired = False
        self._timer = threading.Timer(timeout_s, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        with self._guard:
            if not self._done:
                self.fired = True
                self._con.interrupt()

    def stop(self) -> None:
        with self._guard:
            self._done = True
        self._timer.cancel()
