"""A workspace on Spark answers as a workspace on DuckDB: the same calls on the same file give the
same results, apart from file paths and content hashes (a Spark version is a directory of parts,
hashed over its parts, so its bytes are not DuckDB's), and what differs between any two
workspaces (times, receipt ids, what each workspace's own keys make). One Spark session serves the whole test.

Covered: import (types, row counts, profile and suggested roles), roles, anonymization as a new
version (transformation, loss, released rows), pseudonymization (DuckDB's very tokens), a
project's consent-filtered read (people who withdrew are not served), and a subject's erasure
(rewritten versions without the person, the same receipt)."""

from __future__ import annotations

import datetime as dt
import os
import sys
from typing import Any

import pytest

import bulle as bulle_api
from bulle.domain.consents import Consent

pytestmark = pytest.mark.spark

# Files and bytes; then what differs between any two workspaces: times, receipt ids, and what
# each workspace's own keys make (key ids, the keyed subject reference, tokens: the engine spec
# test `test_pseudonymize_gives_the_same_tokens_on_every_engine` compares tokens under one key).
DIFFERS = {"path", "content_hash", "seconds", "at", "created_at", "started_at", "receipt_id"}
DIFFERS |= {"key_id", "subject"}
NOW = dt.datetime.now(dt.UTC)


def _same(value: Any) -> Any:
    """``value`` without the fields that name files or their bytes (or a time)."""
    if isinstance(value, dict):
        return {
            k: _same(v)
            for k, v in value.items()
            if k not in DIFFERS and "hash" not in k and not _random_id(k, v)
        }
    if isinstance(value, list):
        return [_same(v) for v in value]
    if isinstance(value, float):  # a loss is a sum in the engine's class order: equal to rounding
        return float(f"{value:.12g}")
    return value


def _random_id(key: str, value: Any) -> bool:
    """An artefact's id: 32 random hex digits."""
    return key == "id" and isinstance(value, str) and len(value) == 32 and value.isalnum()


def _csv(path, adult, n: int = 600):
    lines = adult.read_text().splitlines()
    rows = [f"P{i};{line}" for i, line in enumerate(lines[1 : n + 1], start=1)]
    path.write_text("\n".join([f"id;{lines[0]}", *rows]) + "\n")
    return path


def _flow(root, csv, arx, engine: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    master = os.environ.get("BULLE_SPARK_MASTER", "local[1]") if engine == "spark" else None
    ws = bulle_api.init_workspace(root, user="carol", engine=engine, spark_master=master)
    with ws:
        out["import"] = ws.import_table(csv, dataset="adult")
        out["roles"] = ws.set_roles(
            "adult",
            {
                "id": "subject_id",
                "sex": "quasi_identifier",
                "age": "quasi_identifier",
                "race": "quasi_identifier",
                "education": "other",
                "marital-status": "other",
                "native-country": "other",
                "workclass": "other",
                "occupation": "other",
                "salary-class": "other",
            },
            confirm_all=True,
        )
        out["anonymize"] = ws.anonymize(
            "adult@1",
            hierarchies={q: arx / f"adult_hierarchy_{q}.csv" for q in ("sex", "age", "race")},
            k=5,
            suppression=0.05,
            keep=["education", "marital-status", "native-country", "workclass", "occupation"],
            drop=["salary-class"],
        )
        released = out["anonymize"].get("ref", "adult@2")
        out["released"] = ws.read(released).to_pylist()
        p = ws.pseudonymize("adult@1", columns=["id"])
        out["pseudonymize"] = p
        tokens = ws.read(p["ref"], columns=["id"]).column("id").to_pylist()
        out["tokens"] = (len(set(tokens)), {t.split("_")[0] for t in tokens})
        ws.declare_purpose("etude", "Étude de cohorte", "consent")
        ws.set_dataset_purpose("adult", "etude")
        ws.record_choices(
            [Consent(f"P{i}", "etude", "given", NOW, "formulaire") for i in range(1, 40)]
            + [Consent("P7", "etude", "withdrawn", NOW, "formulaire")]
        )
        ws.create_project(
            "cohorte",
            "etude",
            {"adult@1": ["id", "age", "sex"]},
            [("bob", "analyst")],
            NOW - dt.timedelta(days=1),
            NOW + dt.timedelta(days=1),
        )
        ws.approve_project("cohorte", allow_raw=True)
    with bulle_api.open_workspace(root, user="bob", role="analyst") as bob:
        out["project_read"] = sorted(
            bob.read_for_project("cohorte", "adult@1").to_pylist(), key=lambda r: r["id"]
        )
        # analysts' SQL runs on the engine's filtered read, whichever the engine
        out["query"] = bob.query(
            "cohorte", "SELECT sex, count(*) AS n FROM adult GROUP BY sex ORDER BY sex"
        ).to_pylist()
    with bulle_api.open_workspace(root, user="carol") as ws:
        out["erase"] = ws.erase_subject("P3")
        out["after_erasure"] = ws.read("adult@1").to_pylist()
    return out


def test_spark_workspace_answers_as_duckdb(tmp_path, arx_data):
    csv = _csv(tmp_path / "adult.csv", arx_data / "adult.csv")
    duck = _flow(tmp_path / "duck", csv, arx_data, "duckdb")
    spark = _flow(tmp_path / "spark", csv, arx_data, "spark")
    stored = list((tmp_path / "spark" / "data" / "adult").iterdir())
    assert len(stored) == 3 and all(p.is_dir() for p in stored)  # Spark's parts, no leftovers
    assert os.environ["PYSPARK_PYTHON"] == sys.executable  # workers run Bulle's interpreter
    visible = {r["id"] for r in spark["project_read"]}
    assert "P7" not in visible and "P1" in visible and "P100" not in visible
    assert all(r["id"] != "P3" for r in spark["after_erasure"])
    assert len(spark["after_erasure"]) == 599
    assert sum(r["n"] for r in spark["query"]) == len(visible)
    for step in duck:
        assert _same(spark[step]) == _same(duck[step]), step
