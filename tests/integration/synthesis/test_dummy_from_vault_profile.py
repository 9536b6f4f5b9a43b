"""Dummy data from a stored vault profile: the version's exact schema, no rare real value.

The analysis bubble will hand analysts these rows instead of the real ones, so the profile the
vault stores (top values with counts, DuckDB types, min and max) is the only input, and the
identifiers of 1 000 patients (names, NIR, e-mails, each rarer than the threshold) must not leak.
"""

from __future__ import annotations

from importlib import resources

import pyarrow.parquet as pq

from bulle.domain.actor import Actor, Role
from bulle.services import vault
from bulle.synthesis.dummy import dummy_from_profile
from bulle.workspace import Workspace


def test_dummy_rows_from_the_stored_profile(tmp_path):
    ws = Workspace.init(tmp_path / "ws", Actor("alice", Role.CUSTODIAN))
    try:
        vault.import_table(
            ws, str(resources.files("bulle") / "data" / "patients_fr.csv"), "patients"
        )
        vault.profile_dataset(ws, "patients")
        v = ws.catalog.resolve("patients")
        profile = ws.catalog.profile(v.dataset, v.number)
        real = pq.read_table(ws.path_of(v)).to_pandas()
    finally:
        ws.close()
    out = dummy_from_profile(profile, 500, 1, min_count=10)
    assert list(out.columns) == [c["name"] for c in v.schema]
    types = {c["name"]: c["type"] for c in v.schema}
    for name in out.columns:
        series = out[name].dropna()
        if types[name] in ("BIGINT", "INTEGER"):
            assert str(out[name].dtype) == "Int64"
        elif types[name] == "DATE":
            assert str(out[name].dtype).startswith("datetime64")
        counts = real[name].astype(str).value_counts()
        rare = set(counts[counts < 10].index)
        if types[name] == "VARCHAR":
            assert not rare & set(series.astype(str)), name
    # unique identifiers: none survives (a surname shared by ten patients may, by the rule)
    for name in ("NIR", "courriel", "téléphone", "id_patient"):
        assert not set(out[name].dropna().astype(str)) & set(real[name].astype(str)), name
