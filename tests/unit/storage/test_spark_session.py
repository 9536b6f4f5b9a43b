"""The Spark session's settings, read from bulle.toml, and the one warning it silences (no JVM is
started here)."""

from __future__ import annotations

import tomllib
import warnings

import pytest

from bulle.storage.spark_session import (
    DEFAULT_MASTER,
    filter_pandas3_warning,
    settings_of,
)

PANDAS3 = (
    "PySpark does not yet fully support pandas >= 3.0.0. Some features may not work correctly. "
    "It is recommended to use pandas < 3.0.0 for now."
)


def test_only_pysparks_pandas3_warning_is_silenced():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        filter_pandas3_warning()
        warnings.warn(PANDAS3, FutureWarning, stacklevel=1)  # silenced
        with pytest.raises(FutureWarning):
            warnings.warn("pandas: some other future change", FutureWarning, stacklevel=1)
        with pytest.raises(UserWarning):  # the same words in another category still count
            warnings.warn(PANDAS3, UserWarning, stacklevel=1)


def test_master_and_spark_settings_from_bulle_toml():
    config = tomllib.loads(
        '[workspace]\nengine = "spark"\n[spark]\nmaster = "spark://h:7077"\n'
        '"spark.executor.memory" = "8g"\nspark.sql.shuffle.partitions = 400\nother = "x"\n'
    )
    master, conf = settings_of(config)
    assert master == "spark://h:7077"
    assert conf == {"spark.executor.memory": "8g", "spark.sql.shuffle.partitions": "400"}
    assert settings_of({"workspace": {}}) == (DEFAULT_MASTER, {})
