"""The Python API mirrors the CLI: pandas in and out, governance, audit."""

from __future__ import annotations

import datetime as dt

import pandas as pd

import bulle
from bulle.domain.consents import Consent


def test_python_api_end_to_end(tmp_path):
    ws = bulle.init_workspace(tmp_path / "ws", user="alice")
    df = pd.DataFrame(
        {
            "id_patient": ["P1", "P2", "P3"],
            "nom": ["Dupont", "Martin", "Petit"],
            "age": [30, 40, 50],
        }
    )
    v = ws.import_table(df, dataset="patients")
    assert v["ref"] == "patients@1"
    roles = {c["name"]: c["role"] for c in ws.profile("patients")["columns"]}
    assert roles == {
        "id_patient": "subject_id",
        "nom": "direct_identifier",
        "age": "quasi_identifier",
    }
    ws.set_roles("patients", confirm_all=True)
    p = ws.pseudonymize("patients")
    assert ws.read(p["ref"], as_pandas=True)["nom"].str.startswith("bp1_").all()
    ws.declare_purpose("care", "Soins", "public_task", compatible_with=["study"])
    ws.declare_purpose("study", "Étude", "consent")
    ws.set_dataset_purpose("patients", "care")
    now = dt.datetime.now(dt.UTC)
    ws.record_choices([Consent("P1", "study", "given", now, "form")])
    ws.create_project(
        "s",
        "study",
        {"patients@1": ["id_patient", "age"]},
        [("bob", "analyst")],
        now - dt.timedelta(days=1),
        now + dt.timedelta(days=1),
    )
    ws.approve_project("s", allow_raw=True)
    ws.close()
    with bulle.open_workspace(tmp_path / "ws", user="bob", role="analyst") as bob:
        out = bob.read_for_project("s", "patients@1", as_pandas=True)
        assert out.to_dict("records") == [{"id_patient": "P1", "age": 30}]
        assert bob.query("s", "SELECT sum(age) AS s FROM patients").to_pylist() == [{"s": 30}]
    with bulle.open_workspace(tmp_path / "ws", user="alice") as alice:
        assert alice.verify_audit_log()["ok"]
