"""One Spark session per process, started on first use and reused by every Spark engine.

Starting a JVM and a Spark context takes seconds and hundreds of megabytes, so the session is a
process-wide resource: the first :class:`~bulle.storage.spark_engine.SparkEngine` that needs rows
starts it with its master and settings, later engines reuse it (a second master in one process is
refused rather than silently ignored, since Spark itself would keep the first).

What the session is told, and why:

* ``PYSPARK_PYTHON`` is Bulle's own interpreter, so Python workers (if a plan needs one) import the
  same Bulle and the same libraries as the driver;
* the session time zone is UTC, so timestamps read and written agree with DuckDB's;
* the web UI is off (it would open a port on the Bulle server) and the log level is ERROR (the CLI
  prints JSON on stdout and its own errors on stderr);
* Spark's output committer writes no ``_SUCCESS`` marker and the local file system no ``.crc``
  files: a version directory holds only its Parquet parts.

PySpark 4.3 warns on every pandas call that it does not fully support pandas 3. Bulle's tests turn
warnings into errors, so exactly that warning (its message and category, nothing broader) is
filtered; the pandas paths Bulle uses (``toArrow``, ``createDataFrame`` from Arrow) are covered by
the engine spec tests.
"""

from __future__ import annotations

import os
import sys
import threading
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

from bulle.domain.engine_choice import DEFAULT_MASTER

PANDAS3_WARNING = r"PySpark does not yet fully support pandas >= 3\.0\.0\."

_lock = threading.Lock()
_session: SparkSession | None = None
_master: str | None = None

# Settings every session gets; a workspace's [spark] section may add others, never these.
FIXED = {
    "spark.ui.enabled": "false",
    "spark.log.level": "ERROR",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.parquet.compression.codec": "zstd",
    "spark.hadoop.mapreduce.fileoutputcommitter.marksuccessfuljobs": "false",
    "spark.hadoop.fs.file.impl": "org.apache.hadoop.fs.RawLocalFileSystem",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
}
DEFAULTS = {
    "spark.sql.shuffle.partitions": "8",  # AQE coalesces; a cluster sets its own
    "spark.driver.memory": "1g",
}


def filter_pandas3_warning() -> None:
    """Ignore exactly PySpark's pandas-3 FutureWarning (see the module docstring)."""
    warnings.filterwarnings("ignore", message=PANDAS3_WARNING, category=FutureWarning)


def session(master: str | None = None, conf: dict[str, str] | None = None) -> SparkSession:
    """The process's Spark session, started with ``master`` and ``conf`` on first use."""
    global _session, _master
    master = master or DEFAULT_MASTER
    with _lock:
        if _session is not None:
            if master != _master:
                raise RuntimeError(
                    f"this process already runs Spark on {_master!r}; cannot also use {master!r}"
                )
            return _session
        os.environ["PYSPARK_PYTHON"] = sys.executable
        os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
        if master.startswith("local"):
            os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # no lookup of the host name
        filter_pandas3_warning()
        from pyspark.sql import SparkSession

        log = Path(__file__).with_name("spark_log4j2.properties")
        builder = SparkSession.builder.master(master).appName("bulle")
        builder = builder.config(
            "spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile=file:{log}"
        )
        for key, value in {**DEFAULTS, **(conf or {}), **FIXED}.items():
            builder = builder.config(key, value)
        _session = builder.getOrCreate()
        _session.sparkContext.setLogLevel("ERROR")
        _master = master
        return _session


def running() -> bool:
    return _session is not None


def stop() -> None:
    """Stop the process's session (tests and benchmarks that change master use it)."""
    global _session, _master
    with _lock:
        if _session is not None:
            _session.stop()
        _session, _master = None, None


def settings_of(config: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """The master and extra settings a workspace's ``bulle.toml`` ``[spark]`` section names."""
    section = _flat(dict(config.get("spark", {})))
    master = str(section.pop("master", DEFAULT_MASTER))
    return master, {k: str(v) for k, v in section.items() if k.startswith("spark.")}


def _flat(section: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``spark.driver.memory = "2g"`` written unquoted is a nested table in TOML: flatten it."""
    out: dict[str, Any] = {}
    for k, v in section.items():
        if isinstance(v, dict):
            out.update(_flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out
