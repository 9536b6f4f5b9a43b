"""The Python API: pandas in, pandas out; Arrow in, Arrow out; a workspace version with its rows."""

from __future__ import annotations

from importlib import resources

import numpy as np
import pandas as pd
import pyarrow as pa

import bulle


def frame(n=300):
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "age": rng.integers(18, 90, n),
            "sex": rng.choice(["F", "M"], n),
            "y": rng.choice(["a", "b"], n),
        }
    )


def test_pandas_and_arrow_in_and_out():
    df = frame()
    synthetic, report = bulle.synthesize(df, "cart", seed=1, target="y", sensitive=["y"])
    assert isinstance(synthetic, pd.DataFrame) and synthetic.dtypes.equals(df.dtypes)
    assert report["rows"] == len(synthetic) == 240 and "auc_synthetic" in report["utility"]
    table, again = bulle.synthesize(
        pa.Table.from_pandas(df), "cart", seed=1, target="y", sensitive=["y"]
    )
    assert isinstance(table, pa.Table) and table.column_names == list(df.columns)
    assert again["privacy"] == report["privacy"]


def test_workspace_method_returns_the_rows(tmp_path):
    ws = bulle.init_workspace(tmp_path / "ws", user="alice", custodian_key_out=tmp_path / "c.pem")
    try:
        ws.import_table(str(resources.files("bulle") / "data" / "patients_fr.csv"), "patients")
        ws.set_roles("patients", confirm_all=True)
        ws.set_setting("synthesis.privacy_attacks", "100")
        out = ws.synthesize("patients", "dummy", seed=2)
        assert isinstance(out["data"], pd.DataFrame) and len(out["data"]) == out["run"]["rows"]
        assert "NIR" not in out["data"].columns and out["personal_data"]
    finally:
        ws.close()
