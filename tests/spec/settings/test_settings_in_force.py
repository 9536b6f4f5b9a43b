"""A workspace's settings reach the code that uses them: change one, and what Bulle does changes.

Each test runs the same operation under the default and under a changed setting (in
``bulle.toml``, through the service, or in the environment) and checks the difference.
"""

from __future__ import annotations

import pytest

from bulle.domain.actor import Actor, Role
from bulle.services.risk import measure_version_risk
from bulle.services.settings import set_setting
from bulle.services.vault import import_table, profile_dataset
from bulle.workspace import Workspace

CUSTODIAN = Actor("alice", Role.CUSTODIAN)


@pytest.fixture
def root(tmp_path):
    data = tmp_path / "people.csv"
    # classes of 3 and 8 records on "age"; "contact" holds 7 e-mail addresses in 10 values
    rows = [
        f"{i},{'30' if i < 3 else '40'},{f'p{i}@example.org' if i < 7 else f'code-{i}'}"
        for i in range(11)
    ]
    data.write_text("id,age,contact\n" + "\n".join(rows[:10]) + "\n")
    with Workspace.init(tmp_path / "ws", CUSTODIAN) as ws:
        import_table(ws, data, "people")
    return tmp_path / "ws"


def _at_risk(root) -> tuple[float, float]:
    with Workspace.open(root, CUSTODIAN) as ws:
        report, _ = measure_version_risk(ws, "people", ["age"])
    return report.threshold, report.to_dict()["prosecutor"]["records_at_risk"]


def test_the_default_risk_threshold_is_the_workspace_setting(root):
    assert _at_risk(root) == (0.2, 3)  # the class of 3 is above 1/5
    with Workspace.open(root, CUSTODIAN) as ws:
        set_setting(ws, "anonymize.risk_threshold", "0.5")
    assert _at_risk(root) == (0.5, 0)  # 1/3 is not above 0.5


def test_an_environment_override_of_the_risk_threshold_wins(root, monkeypatch):
    with Workspace.open(root, CUSTODIAN) as ws:
        set_setting(ws, "anonymize.risk_threshold", "0.5")
    monkeypatch.setenv("BULLE_SETTING_ANONYMIZE_RISK_THRESHOLD", "0.1")
    assert _at_risk(root) == (0.1, 10)


def _role(root, column: str) -> str:
    with Workspace.open(root, CUSTODIAN) as ws:
        cols = profile_dataset(ws, "people", refresh=True).columns
    return {c["name"]: c["role"] for c in cols}[column]


def test_the_value_share_of_the_workspace_decides_a_suggested_role(root):
    assert _role(root, "contact") != "direct_identifier"  # 70 % e-mails: under the default 80 %
    with Workspace.open(root, CUSTODIAN) as ws:
        set_setting(ws, "profile.value_share", "0.6")
    assert _role(root, "contact") == "direct_identifier"


def _reason(root, column: str) -> str:
    with Workspace.open(root, CUSTODIAN) as ws:
        cols = profile_dataset(ws, "people", refresh=True).columns
    return {c["name"]: c["reason"] for c in cols}[column]


def test_the_sample_size_of_the_workspace_bounds_what_the_classifier_reads(root, monkeypatch):
    monkeypatch.setenv("BULLE_SETTING_PROFILE_VALUE_SHARE", "0.6")
    assert "(7/10 sampled values)" in _reason(root, "contact")
    monkeypatch.setenv("BULLE_SETTING_PROFILE_SAMPLE_ROWS", "1")
    reason = _reason(root, "contact")
    assert "/10 sampled" not in reason and (
        "(1/1 sampled values)" in reason or "e-mail" not in reason
    )
    with Workspace.open(root, CUSTODIAN) as ws:
        raw = ws.engine.profile(
            ws.path_of(ws.catalog.resolve("people")), sample_rows=ws.settings["profile.sample_rows"]
        )
        assert {len(c["sample"]) for c in raw} == {1}


def test_the_value_kind_sample_of_the_workspace_bounds_the_recognizers_reading(
    tmp_path, monkeypatch
):
    data = tmp_path / "towns.csv"
    towns = [
        "Lyon",
        "Paris",
        "Marseille",
        "Toulouse",
        "Nantes",
        "Lille",
        "Bordeaux",
        "Nice",
        "Rennes",
        "Brest",
    ]
    data.write_text("c1\n" + "\n".join(towns) + "\n")
    with Workspace.init(tmp_path / "ws", CUSTODIAN) as ws:
        import_table(ws, data, "towns")

    def reason() -> str:
        with Workspace.open(tmp_path / "ws", CUSTODIAN) as ws:
            return profile_dataset(ws, "towns", refresh=True).columns[0]["reason"]

    assert "/10 sampled distinct values" in reason()
    monkeypatch.setenv("BULLE_SETTING_PROFILE_KIND_VALUES", "3")
    assert "/3 sampled distinct values" in reason()
