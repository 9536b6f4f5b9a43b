"""An analyst attacks the SQL executor: nothing outside the project's filtered view may be reached.

The raw data sits in files beside the test (Parquet, CSV, JSON, a DuckDB and a SQLite database);
the executor is handed only a filtered, minimised view. Every route DuckDB offers to the raw data,
to other files, to extensions or to its own settings is tried twice: through the public executor
(statement gate + locked connection) and against the locked connection alone, so that each layer
is shown to hold by itself. Control tests run the same SQL on a plain connection to prove each
attack would work there: an attack that fails for a trivial reason proves nothing.

After every attack the raw files are byte-identical and no file has appeared.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from bulle.errors import AccessDenied, InputError, ResourceLimit
from bulle.storage.sql_lockdown import Limits, LockedSession, _open_locked, run_analyst_sql

RAW = pa.table(
    {
        "sid": ["s1", "s2", "s3", "s4"],
        "name": ["Alice Martin", "Bruno Petit", "Chloé Durand", "David Moreau"],
        "age": [34, 51, 67, 29],
        "diagnosis": ["I10", "E11", "C50", "J45"],
    }
)
WITHDRAWN = "s2"
VIEW = {"patients": RAW.filter(pa.compute.not_equal(RAW["sid"], WITHDRAWN)).select(["sid", "age"])}
STAYS = pa.table({"sid": ["s1", "s1", "s3", "s4"], "ward": ["cardio", "cardio", "onco", "pneumo"]})


@dataclass
class RawFiles:
    dir: Path
    parquet: Path
    csv: Path
    json: Path
    db: Path
    sqlite: Path

    def fmt(self, sql: str) -> str:
        return sql.format(
            dir=self.dir,
            parquet=self.parquet,
            csv=self.csv,
            json=self.json,
            db=self.db,
            sqlite=self.sqlite,
            passwd="/etc/passwd",
        )

    def snapshot(self) -> dict[str, str]:
        return {
            str(p.relative_to(self.dir)): hashlib.sha256(p.read_bytes()).hexdigest()
            if p.is_file()
            else "dir"
            for p in sorted(self.dir.rglob("*"))
        }


def write_raw(directory: Path) -> RawFiles:
    files = RawFiles(
        directory,
        directory / "raw.parquet",
        directory / "raw.csv",
        directory / "raw.json",
        directory / "raw.duckdb",
        directory / "raw.sqlite",
    )
    directory.mkdir(parents=True, exist_ok=True)
    pq.write_table(RAW, files.parquet)
    pacsv.write_csv(RAW, files.csv)
    files.json.write_text(
        "\n".join(
            pd.DataFrame(RAW.to_pydict())
            .to_json(orient="records", lines=True, force_ascii=False)
            .splitlines()
        )
        + "\n",
        encoding="utf-8",
    )
    con = duckdb.connect(str(files.db))
    con.register("src", RAW)
    con.execute("CREATE TABLE raw AS SELECT * FROM src")
    con.close()
    with sqlite3.connect(files.sqlite) as db:
        db.execute("CREATE TABLE raw (sid TEXT, name TEXT, age INTEGER, diagnosis TEXT)")
        db.executemany(
            "INSERT INTO raw VALUES (?, ?, ?, ?)", [tuple(r.values()) for r in RAW.to_pylist()]
        )
    db.close()
    return files


@pytest.fixture(scope="module")
def raw_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[RawFiles, dict[str, str]]:
    files = write_raw(tmp_path_factory.mktemp("vault"))
    return files, files.snapshot()


@pytest.fixture
def raw(raw_files: tuple[RawFiles, dict[str, str]]) -> Iterator[RawFiles]:
    """The raw files; after each test they must be byte-identical and nothing new may exist."""
    files, baseline = raw_files
    assert files.snapshot() == baseline
    yield files
    assert files.snapshot() == baseline


@pytest.fixture(scope="module")
def control(tmp_path_factory: pytest.TempPathFactory) -> RawFiles:
    return write_raw(tmp_path_factory.mktemp("control"))


# --- the attacks -------------------------------------------------------------------------------
READERS = [
    "read_csv('{f}')",
    "read_csv_auto('{f}')",
    "read_csv('{f}', all_varchar = true, header = false)",
    "read_parquet('{f}')",
    "parquet_scan('{f}')",
    "read_parquet(['{f}'])",
    "read_json('{f}')",
    "read_json_auto('{f}')",
    "read_ndjson('{f}')",
    "read_json_objects('{f}')",
    "read_text('{f}')",
    "read_blob('{f}')",
    "glob('{f}')",
    "sniff_csv('{f}')",
    "parquet_metadata('{f}')",
    "parquet_schema('{f}')",
    "parquet_kv_metadata('{f}')",
    "parquet_file_metadata('{f}')",
    "read_duckdb('{f}')",
    "'{f}'",
]
# which file each reader can actually read (for the control runs)
READER_TARGETS = {
    "read_parquet": "parquet",
    "parquet_scan": "parquet",
    "parquet_metadata": "parquet",
    "parquet_schema": "parquet",
    "parquet_kv_metadata": "parquet",
    "parquet_file_metadata": "parquet",
    "read_json": "json",
    "read_json_auto": "json",
    "read_ndjson": "json",
    "read_json_objects": "json",
    "read_duckdb": "db",
}
WRAPPERS = [
    "SELECT * FROM {r}",
    "WITH x AS (SELECT * FROM {r}) SELECT * FROM x",
    "SELECT * FROM patients WHERE EXISTS (SELECT * FROM {r})",
    "SELECT (SELECT count(*) FROM {r}) AS n",
    "CREATE MACRO leak() AS TABLE SELECT * FROM {r}; SELECT * FROM leak()",
    "SELECT * FROM query('SELECT * FROM {rq}')",
    "CREATE VIEW v AS SELECT * FROM {r}; SELECT * FROM v",
    "CREATE TEMP TABLE t AS SELECT * FROM {r}; SELECT * FROM t",
    "SELECT * FROM json_execute_serialized_sql(json_serialize_sql('SELECT * FROM {rq}'))",
    "PREPARE p AS SELECT * FROM patients, {r}; EXECUTE p",
]


def reader_target(reader: str) -> str:
    return READER_TARGETS.get(reader.split("(")[0], "parquet" if reader == "'{f}'" else "csv")


def reader_attacks() -> list[str]:
    """Each reader on the raw file and on /etc/passwd; globs; then each wrapper around two readers."""
    attacks = []
    for reader in READERS:
        for target in ("{" + reader_target(reader) + "}", "{passwd}"):
            attacks.append("SELECT * FROM " + reader.replace("{f}", target))
    for reader in ("glob('{f}')", "read_csv('{f}')", "read_parquet('{f}')", "read_text('{f}')"):
        attacks.append("SELECT * FROM " + reader.replace("{f}", "{dir}/*"))
    for reader in ("read_csv_auto('{f}')", "'{f}'"):
        r = reader.replace("{f}", "{" + reader_target(reader) + "}")
        for wrapper in WRAPPERS[1:]:
            attacks.append(wrapper.replace("{rq}", r.replace("'", "''")).replace("{r}", r))
    return attacks


OTHER_ATTACKS = [
    # writing files, or reading them through COPY and database import/export
    "COPY patients TO '{dir}/out.csv'",
    "COPY (SELECT 1 AS sid) TO '{parquet}' (FORMAT parquet)",
    "COPY (SELECT 1 AS sid) TO '{parquet}' (FORMAT parquet, USE_TMP_FILE false)",
    "CREATE TABLE c (sid VARCHAR, name VARCHAR, age INTEGER, diagnosis VARCHAR); COPY c FROM '{csv}'",
    "EXPORT DATABASE '{dir}/export'",
    "IMPORT DATABASE '{dir}'",
    "COPY FROM DATABASE memory TO r",
    # other databases
    "ATTACH '{db}' AS r; SELECT * FROM r.raw",
    "ATTACH '{db}' AS r (READ_ONLY)",
    "ATTACH '{sqlite}' AS s (TYPE sqlite); SELECT * FROM s.raw",
    "ATTACH '{dir}/new.duckdb' AS n",
    "SELECT * FROM sqlite_scan('{sqlite}', 'raw')",
    # extensions and the network
    "INSTALL httpfs",
    "LOAD httpfs",
    "INSTALL sqlite_scanner",
    "LOAD '{dir}/evil.duckdb_extension'",
    "FORCE INSTALL httpfs",
    "UPDATE EXTENSIONS",
    "SELECT * FROM read_csv('https://example.com/data.csv')",
    "SELECT * FROM 'http://127.0.0.1:9/raw.parquet'",
    "CREATE SECRET s (TYPE s3, KEY_ID 'a', SECRET 'b')",
    "CREATE PERSISTENT SECRET s (TYPE s3, KEY_ID 'a', SECRET 'b')",
    "SELECT * FROM which_secret('{parquet}', 's3')",
    # settings: the lock itself, the paths it could open, the limits
    "SET enable_external_access = true",
    "RESET enable_external_access",
    "SET GLOBAL enable_external_access = true",
    "SET SESSION enable_external_access = true",
    "SET lock_configuration = false",
    "RESET lock_configuration",
    "SET allowed_directories = ['{dir}']",
    "SET allowed_paths = ['{parquet}']",
    "SET memory_limit = '64GB'",
    "RESET memory_limit",
    "SET threads = 64",
    "RESET threads",
    "PRAGMA memory_limit = '64GB'",
    "PRAGMA threads = 64",
    "SET autoload_known_extensions = true",
    "SET autoinstall_known_extensions = true",
    "SET allow_community_extensions = true",
    "SET temp_directory = '{dir}'",
    "SET python_enable_replacements = true",
    "PRAGMA enable_profiling = 'json'",
    "SET profiling_output = '{dir}/profile.json'",
    "CALL enable_logging(storage = 'file', storage_path = '{dir}/log')",
    "SELECT * FROM enable_logging(storage = 'file', storage_path = '{dir}/log')",
    "SET log_query_path = '{dir}/queries.log'",
    # scanning process memory through the Python binding's internal table functions
    "SELECT * FROM arrow_scan(1::UBIGINT, 1::UBIGINT, 1::UBIGINT)",
    "SELECT * FROM python_arrow_scan(1::UBIGINT)",
    "SELECT * FROM pandas_scan(1::UBIGINT)",
    # describing or summarising a file is reading it
    "DESCRIBE SELECT * FROM '{csv}'",
    "SUMMARIZE SELECT * FROM read_parquet('{parquet}')",
    "SELECT * FROM query_table('{parquet}')",
]
ATTACKS = reader_attacks() + OTHER_ATTACKS
SETTINGS_QUERY = (
    "SELECT name, value FROM duckdb_settings() WHERE name IN ('enable_external_access', "
    "'lock_configuration', 'memory_limit', 'threads', 'allowed_directories', 'allowed_paths', "
    "'autoload_known_extensions', 'autoinstall_known_extensions', 'allow_community_extensions', "
    "'temp_directory', 'python_enable_replacements') ORDER BY name"
)


@pytest.mark.parametrize("attack", ATTACKS)
def test_the_executor_refuses(raw: RawFiles, attack: str) -> None:
    with pytest.raises((AccessDenied, InputError)):
        run_analyst_sql(raw.fmt(attack), VIEW, timeout_s=20)


@pytest.mark.parametrize("attack", ATTACKS)
def test_the_locked_connection_refuses_without_the_statement_gate(
    raw: RawFiles, attack: str
) -> None:
    """Defence in depth: the same attacks sent straight to the locked connection, bypassing the gate."""
    con = _open_locked(VIEW, Limits())
    try:
        settings = con.execute(SETTINGS_QUERY).fetchall()
        with pytest.raises((duckdb.Error, OSError)):
            for statement in con.extract_statements(raw.fmt(attack)):
                relation = con.sql(statement)
                if relation is not None:
                    relation.to_arrow_table()
        assert con.execute(SETTINGS_QUERY).fetchall() == settings
        assert con.execute(
            "SELECT count(*) FROM duckdb_databases() WHERE NOT internal"
        ).fetchone() == (1,)
    except (
        ValueError
    ) as exc:  # the Python binding cannot name UPDATE EXTENSIONS: parse-time refusal
        assert "StatementType" in str(exc)
    finally:
        con.close()


CONTROL_ATTACKS = [a for a in reader_attacks() if "{passwd}" not in a and "{dir}/*" not in a] + [
    "COPY patients TO '{dir}/out.csv'",
    "EXPORT DATABASE '{dir}/export'",
    "ATTACH '{db}' AS r; SELECT * FROM r.raw",
    "COPY (SELECT 1 AS sid) TO '{dir}/copy.parquet' (FORMAT parquet)",
    "SET allowed_directories = ['{dir}']",
    "SET memory_limit = '64GB'",
    "RESET threads",
    "CALL enable_logging(storage = 'file', storage_path = '{dir}/log')",
    "CREATE TABLE c (sid VARCHAR, name VARCHAR, age INTEGER, diagnosis VARCHAR); "
    "COPY c FROM '{csv}'",
]


@pytest.mark.parametrize("attack", CONTROL_ATTACKS)
def test_control_the_attack_works_on_a_plain_connection(control: RawFiles, attack: str) -> None:
    con = duckdb.connect(
        ":memory:",
        config={"autoload_known_extensions": False, "autoinstall_known_extensions": False},
    )
    try:
        con.register("patients", VIEW["patients"])
        for statement in con.extract_statements(control.fmt(attack)):
            relation = con.sql(statement)
            if relation is not None:
                relation.to_arrow_table()
    finally:
        con.close()


# --- host variables ----------------------------------------------------------------------------
def test_dataframes_in_the_callers_scope_are_not_reachable(raw: RawFiles) -> None:
    raw_df = pd.read_parquet(raw.parquet)  # noqa: F841 - the attack names this local
    raw_arrow = pq.read_table(raw.parquet)  # noqa: F841
    # control: a plain connection finds them by name through a replacement scan
    plain = duckdb.connect()
    assert plain.sql("SELECT count(*) FROM raw_df").fetchall() == [(4,)]
    assert plain.sql("SELECT count(*) FROM raw_arrow").fetchall() == [(4,)]
    plain.close()
    for sql in (
        "SELECT * FROM raw_df",
        "SELECT * FROM raw_arrow",
        "SELECT * FROM query_table('raw_df')",
        "SELECT * FROM patients UNION ALL SELECT sid, age FROM raw_df",
    ):
        with pytest.raises(InputError, match="does not exist"):
            run_analyst_sql(sql, VIEW)
    con = _open_locked(VIEW, Limits())
    try:
        with pytest.raises(duckdb.CatalogException):
            con.sql("SELECT * FROM raw_df")
    finally:
        con.close()


def test_only_arrow_tables_are_accepted_as_views(raw: RawFiles) -> None:
    """A file path, a DataFrame or a DuckDB relation could carry a way back to storage."""
    for bad in (raw.parquet, str(raw.parquet), pd.read_parquet(raw.parquet)):
        with pytest.raises(InputError, match="must be an Arrow table"):
            run_analyst_sql("SELECT 1", {"patients": bad})  # type: ignore[dict-item]
    for name in ("1x", "a b", "x;DROP", "", 'patients"--'):
        with pytest.raises(InputError, match="not a usable table name"):
            run_analyst_sql("SELECT 1", {name: VIEW["patients"]})
    with pytest.raises(InputError, match="given twice"):
        run_analyst_sql("SELECT 1", {"t": STAYS, "T": STAYS})


# --- resource limits ---------------------------------------------------------------------------
def test_a_runaway_query_is_stopped_by_the_timeout(raw: RawFiles) -> None:
    with LockedSession(VIEW, Limits(timeout_s=1.0)) as session:
        with pytest.raises(ResourceLimit, match="longer than the 1 s limit"):
            session.query("SELECT count(*) FROM range(1000000) a, range(1000000) b")
        # the session survives the interruption and the next query is not interrupted
        assert session.query("SELECT count(*) AS n FROM patients").to_pylist() == [{"n": 3}]


def test_a_runaway_result_stream_is_stopped_too(raw: RawFiles) -> None:
    with pytest.raises(ResourceLimit, match="limit"):
        run_analyst_sql(
            "SELECT * FROM range(100000000000)",
            VIEW,
            timeout_s=1.0,
            max_rows=None,
            max_result_bytes=1 << 40,
        )


def test_memory_blow_ups_become_an_error(raw: RawFiles) -> None:
    with pytest.raises(ResourceLimit, match="memory limit"):
        run_analyst_sql(
            "SELECT list(range) FROM range(300000000)", VIEW, memory_limit="100MB", timeout_s=30
        )


def test_results_are_capped(raw: RawFiles) -> None:
    with pytest.raises(ResourceLimit, match="more than 10 rows"):
        run_analyst_sql("SELECT * FROM range(11)", VIEW, max_rows=10)
    assert run_analyst_sql("SELECT * FROM range(10)", VIEW, max_rows=10).num_rows == 10


def test_limits_are_checked() -> None:
    for bad in (dict(timeout_s=0), dict(threads=0), dict(memory_limit="lots"), dict(max_rows=-1)):
        with pytest.raises(InputError):
            Limits(**bad)  # type: ignore[arg-type]


# --- the legitimate path -----------------------------------------------------------------------
def test_select_aggregate_and_join_across_the_given_tables(raw: RawFiles) -> None:
    tables = {**VIEW, "stays": STAYS}
    result = run_analyst_sql(
        "SELECT s.ward, count(*) AS n, avg(p.age) AS mean_age FROM patients p JOIN stays s USING (sid) "
        "GROUP BY s.ward ORDER BY s.ward",
        tables,
    )
    assert result.to_pylist() == [
        {"ward": "cardio", "n": 2, "mean_age": 34.0},
        {"ward": "onco", "n": 1, "mean_age": 67.0},
        {"ward": "pneumo", "n": 1, "mean_age": 29.0},
    ]


def test_the_view_is_all_there_is(raw: RawFiles) -> None:
    tables = (
        run_analyst_sql(
            "SELECT table_name FROM duckdb_tables() UNION ALL SELECT view_name FROM "
            "duckdb_views() WHERE NOT internal ORDER BY 1",
            VIEW,
        )
        .column(0)
        .to_pylist()
    )
    assert tables == ["patients"]
    rows = run_analyst_sql("SELECT * FROM patients ORDER BY sid", VIEW)
    assert rows.column_names == ["sid", "age"] and WITHDRAWN not in rows["sid"].to_pylist()


def test_a_session_keeps_its_temporary_tables_between_queries(raw: RawFiles) -> None:
    with LockedSession(VIEW) as session:
        session.query("CREATE TEMP TABLE older AS SELECT * FROM patients WHERE age > 30")
        session.query("INSERT INTO older VALUES ('s9', 99); DELETE FROM older WHERE sid = 's1'")
        assert session.query("SELECT sid FROM older ORDER BY sid").column(0).to_pylist() == [
            "s3",
            "s9",
        ]
        session.query("CREATE MACRO decade(a) AS a // 10 * 10")
        assert session.query("SELECT decade(age) AS d FROM patients ORDER BY sid").column(
            0
        ).to_pylist() == [30, 60, 20]
    with pytest.raises(InputError, match="closed"):
        session.query("SELECT 1")


def test_errors_are_clear(raw: RawFiles) -> None:
    with pytest.raises(InputError, match="syntax error"):
        run_analyst_sql("SELEC * FROM patients", VIEW)
    with pytest.raises(InputError, match="no SQL"):
        run_analyst_sql("  ", VIEW)
    with pytest.raises(InputError, match="project's views"):
        run_analyst_sql("SELECT * FROM raw", VIEW)
    with pytest.raises(AccessDenied, match="COPY is not allowed"):
        run_analyst_sql("COPY patients TO 'x.csv'", VIEW)
    with pytest.raises(AccessDenied, match="file system operations are disabled"):
        run_analyst_sql(raw.fmt("SELECT * FROM read_text('{passwd}')"), VIEW)


def test_settings_read_back_as_locked(raw: RawFiles) -> None:
    rows = run_analyst_sql(SETTINGS_QUERY, VIEW, memory_limit="256MB", threads=1).to_pylist()
    settings = {row["name"]: row["value"] for row in rows}
    assert settings["enable_external_access"] == "false"
    assert settings["lock_configuration"] == "true"
    assert settings["autoload_known_extensions"] == "false"
    assert settings["python_enable_replacements"] == "false"
    assert settings["temp_directory"] == ""
