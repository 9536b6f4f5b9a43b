"""Dummy rows of a project's view: the view's exact schema, no rare value, each making recorded."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter

import pytest

from bulle.domain.actor import Actor, Role
from bulle.errors import AccessDenied
from bulle.services import governance as gov
from bulle.services.dummy_data import dummy_csv, dummy_table
from bulle.services.vault import import_table
from bulle.workspace import Workspace

NOW = dt.datetime.now(dt.UTC)
COLUMNS = ["id", "age", "score", "born", "seen", "smoker", "town"]


def _csv() -> str:
    rows = [",".join(COLUMNS)]
    for i in range(120):
        # Hameau*: rare; "=Lyon()": a formula
        town = "Brest" if i % 2 else ("=Lyon()" if i % 3 else f"Hameau{i}")
        smoker = "" if i % 11 == 0 else ("true" if i % 3 else "false")
        age = "" if i % 13 == 0 else str(18 + i % 60)
        rows.append(
            f"S{i:03d},{age},{i * 0.75:.2f},{1950 + i % 50}-0{1 + i % 9}-1{i % 10},"
            f"2024-01-0{1 + i % 9} 1{i % 10}:30:00,{smoker},{town}"
        )
    return "\n".join(rows) + "\n"


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    d = tmp_path_factory.mktemp("dummy")
    (d / "people.csv").write_text(_csv())
    root = d / "ws"
    ws = Workspace.init(root, Actor("alice", Role.CUSTODIAN))
    try:
        import_table(ws, d / "people.csv", "people")
        gov.declare_purpose(ws, "research", "Recherche", "public_task")
        gov.set_dataset_purpose(ws, "people", "research")
        gov.create_project(
            ws, "p", "research", {"people@1": COLUMNS}, [("bob", "analyst")],
            NOW - dt.timedelta(days=1), NOW + dt.timedelta(days=1),
        )  # fmt: skip
        gov.approve_project(ws, "p", allow_raw=True)
    finally:
        ws.close()
    return root


def test_the_dummy_table_has_the_views_exact_schema(root):
    ws = Workspace.open(root, Actor("bob", Role.ANALYST))
    try:
        view, _ = gov.read_served(ws, "p", "people")
        table, served = dummy_table(ws, "p", "people")
    finally:
        ws.close()
    kinds = {f.name: str(f.type) for f in view.schema}
    assert kinds == {  # the CSV gave every kind the dummy data must keep
        "id": "string", "age": "int64", "score": "double", "born": "date32[day]",
        "seen": "timestamp[us]", "smoker": "bool", "town": "string",
    }  # fmt: skip
    assert table.schema.equals(view.schema.remove_metadata())
    assert table.num_rows == 1000 and served.ref == "people@1"
    assert table.column("age").null_count > 0  # the null rates are kept too
    assert table.column("born").drop_null().to_pylist()[0] <= dt.date(1999, 12, 31)


def test_the_csv_holds_no_value_rarer_than_the_threshold_and_the_making_is_audited(root):
    ws = Workspace.open(root, Actor("bob", Role.ANALYST))
    try:
        data, _ = dummy_csv(ws, "p", "people")
        text = data.decode()
        assert "=Lyon()" not in text.replace("'=Lyon()", "")  # never a bare formula
        threshold = int(ws.settings["synthesis.dummy_min_count"])
        real, _ = gov.read_served(ws, "p", "people")
    finally:
        ws.close()
    rows = list(csv.DictReader(io.StringIO(data.decode())))
    assert list(rows[0]) == COLUMNS and len(rows) == 1000
    for column in ("id", "town"):
        counts = Counter(str(v) for v in real.column(column).to_pylist())
        rare = {v for v, n in counts.items() if n < threshold}
        assert rare and not rare & {r[column] for r in rows}, column
    ws = Workspace.open(root, Actor("alice", Role.CUSTODIAN))
    try:
        from bulle.services.audit import read_workspace_log

        entries = read_workspace_log(ws, kind="dataset.dummy", limit=10).entries
    finally:
        ws.close()
    events = [e.get("event", e) for e in entries]
    assert events and events[-1]["details"]["use"] == "download"
    assert events[-1]["actor"]["name"] == "bob" and events[-1]["target"] == "people@1"


def test_an_analyst_outside_the_project_gets_no_dummy_rows(root):
    ws = Workspace.open(root, Actor("carol", Role.ANALYST))
    try:
        with pytest.raises(AccessDenied):
            dummy_csv(ws, "p", "people")
    finally:
        ws.close()
