"""An analyst trying each way around the project view, through Bulle's interfaces."""

from __future__ import annotations

import pytest

from bulle.errors import AccessDenied, BulleError
from bulle.fsutil import sha256_file
from bulle.services import governance as gov
from bulle.services import vault
from bulle.services.pseudonymization import pseudonymize, reidentify


def test_no_direct_read_export_or_profile(world, tmp_path):
    a = world["analyst"]
    with pytest.raises(AccessDenied):
        vault.read_table(a, "patients")
    with pytest.raises(AccessDenied):
        vault.export_table(a, "patients", tmp_path / "out.csv")
    with pytest.raises(AccessDenied):
        vault.profile_dataset(a, "patients")
    with pytest.raises(AccessDenied):
        pseudonymize(a, "patients")
    with pytest.raises(AccessDenied):
        reidentify(a, "patients", ["x"])
    assert not (tmp_path / "out.csv").exists()


def test_sql_sees_only_the_project_view(world):
    t = gov.query_for_project(
        world["analyst"], "diabete", "SELECT count(*) AS n, max(age) AS m FROM patients"
    )
    assert t.to_pylist() == [{"n": 4, "m": 34}]
    with pytest.raises(BulleError):
        gov.query_for_project(world["analyst"], "diabete", "SELECT nom FROM patients")


@pytest.mark.parametrize(
    "attack",
    [
        "SELECT * FROM read_parquet('{raw}')",
        "SELECT * FROM '{raw}'",
        "SELECT * FROM read_csv_auto('/etc/passwd')",
        "COPY patients TO '{raw}' (FORMAT parquet)",
        "ATTACH '{catalog}' AS c",
        "SET enable_external_access=true",
        "INSTALL httpfs",
        "WITH x AS (SELECT * FROM read_parquet('{raw}')) SELECT * FROM x",
        "SELECT * FROM query('SELECT * FROM read_parquet(''{raw}'')')",
        "CREATE VIEW v AS SELECT * FROM read_parquet('{raw}')",
    ],
)
def test_sql_escape_routes_refused_and_raw_file_untouched(world, attack):
    c = world["custodian"]
    v = c.catalog.resolve("patients")
    raw = c.path_of(v)
    before = sha256_file(raw)
    sql = attack.format(raw=raw, catalog=world["root"] / "catalog.sqlite")
    with pytest.raises(BulleError):
        gov.query_for_project(world["analyst"], "diabete", sql)
    assert sha256_file(raw) == before
