"""`bulle init DIR --engine spark [--spark-master M]`: the choice is recorded in bulle.toml (and
printed), a bad master or a master without Spark is refused before anything is created. Spark is
not started by `init`: only a command that touches rows starts it."""

from __future__ import annotations

import tomllib


def test_spark_engine_and_master_recorded(tmp_path, bulle):
    ws = tmp_path / "ws"
    r = bulle("init", ws, "--engine", "spark", "--spark-master", "local[2]", "--json")
    assert r.code == 0, r.err
    assert r.json()["engine"] == "spark" and r.json()["spark_master"] == "local[2]"
    config = tomllib.loads((ws / "bulle.toml").read_text())
    assert config["workspace"]["engine"] == "spark"
    assert config["spark"] == {"master": "local[2]"}
    listed = bulle("-w", ws, "datasets", "--json")  # opening never needs Java
    assert listed.code == 0, listed.err


def test_duckdb_stays_the_default(tmp_path, bulle):
    r = bulle("init", tmp_path / "ws", "--json")
    assert r.code == 0 and r.json()["engine"] == "duckdb"
    config = tomllib.loads((tmp_path / "ws" / "bulle.toml").read_text())
    assert config["workspace"]["engine"] == "duckdb" and "spark" not in config


def test_bad_masters_refused_before_anything_exists(tmp_path, bulle):
    for args, words in (
        (["--spark-master", "local[2]"], "--spark-master needs --engine spark"),
        (["--engine", "spark", "--spark-master", 'local[2]"\n[evil]'], "not a Spark master"),
        (["--engine", "spark", "--spark-master", "local[0]"], "not a Spark master"),
    ):
        r = bulle("init", tmp_path / "ws", *args, "--json")
        assert r.code == 2, r.err
        assert words in r.error()["message"]
        assert r.error()["where"]["field"] == "--spark-master"
        assert not (tmp_path / "ws").exists()
