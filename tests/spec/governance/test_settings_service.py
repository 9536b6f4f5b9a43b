"""The settings service in-process: refusals leave bulle.toml and the log as they were."""

from __future__ import annotations

import pytest

from bulle.domain.actor import Actor, Role
from bulle.errors import AccessDenied, NotFoundError, ValidationError
from bulle.services.settings import list_settings, set_setting
from bulle.workspace import Workspace

BAD = [
    ("query.timeout_max_s", "inf"),
    ("query.timeout_max_s", "ten"),
    ("query.timeout_max_s", "-1"),
    ("query.result_max_rows", "0"),
    ("query.result_max_rows", "1.5"),
    ("query.memory_limit", "lots"),
    ("anonymize.risk_threshold", "0"),
    ("text.score_threshold", "2"),
    ("profile.value_share", "nan"),
    ("query.timeout_default_s", "4000"),
]


@pytest.fixture
def root(tmp_path):
    Workspace.init(tmp_path / "ws", Actor("alice", Role.CUSTODIAN)).close()
    return tmp_path / "ws"


@pytest.mark.parametrize(("name", "value"), BAD)
def test_a_value_outside_its_declaration_is_refused_and_nothing_is_written(root, name, value):
    before = (root / "bulle.toml").read_bytes()
    with Workspace.open(root, Actor("alice", Role.CUSTODIAN)) as ws:
        with pytest.raises(ValidationError) as err:
            set_setting(ws, name, value)
        assert err.value.exit_code == 2 and name in str(err.value) + str(err.value.problems)
        assert ws.settings[name] == ws.settings.resolved(name).setting.default
    assert (root / "bulle.toml").read_bytes() == before


@pytest.mark.parametrize("role", [Role.ANALYST, Role.DPO, Role.SUBJECT, Role.SYSTEM])
def test_only_the_custodian_changes_a_setting(root, role):
    before = (root / "bulle.toml").read_bytes()
    with (
        Workspace.open(root, Actor("bob", role)) as ws,
        pytest.raises(AccessDenied, match="only a custodian"),
    ):
        set_setting(ws, "query.timeout_max_s", "90000")
    assert (root / "bulle.toml").read_bytes() == before


def test_an_unknown_setting_is_not_found(root):
    with Workspace.open(root, Actor("alice", Role.CUSTODIAN)) as ws, pytest.raises(NotFoundError):
        set_setting(ws, "query.timout", "5")


def test_a_change_is_in_force_at_once_and_at_the_next_opening(root):
    with Workspace.open(root, Actor("alice", Role.CUSTODIAN)) as ws:
        change = set_setting(ws, "anonymize.risk_threshold", "0.1")
        assert (change.old, change.new, change.effective) == (0.2, 0.1, True)
        assert ws.settings["anonymize.risk_threshold"] == 0.1
    with Workspace.open(root, Actor("bob", Role.ANALYST)) as ws:
        rows = {r.setting.name: r for r in list_settings(ws)}
        assert rows["anonymize.risk_threshold"].value == 0.1
        assert rows["anonymize.risk_threshold"].source == "bulle.toml"


def test_a_change_an_environment_variable_overrides_says_so(root, monkeypatch):
    monkeypatch.setenv("BULLE_SETTING_TEXT_SCORE_THRESHOLD", "0.6")
    with Workspace.open(root, Actor("alice", Role.CUSTODIAN)) as ws:
        change = set_setting(ws, "text.score_threshold", "0.5")
        assert not change.effective and change.source == "BULLE_SETTING_TEXT_SCORE_THRESHOLD"
        assert ws.settings["text.score_threshold"] == 0.6


def test_a_bad_environment_variable_is_refused_before_a_workspace_is_made(tmp_path, monkeypatch):
    monkeypatch.setenv("BULLE_SETTING_QUERY_TIMEOUT_MAX_S", "inf")
    with pytest.raises(ValidationError, match="invalid settings"):
        Workspace.init(tmp_path / "ws", Actor("alice", Role.CUSTODIAN))
    assert not (tmp_path / "ws").exists()


def test_the_python_api_lists_and_sets_settings_like_the_command_line(root):
    from bulle.api import open_workspace

    ws = open_workspace(root, user="alice", role="custodian")
    try:
        assert ws.set_setting("query.result_max_rows", "500") == {
            "name": "query.result_max_rows",
            "old": 1_000_000,
            "new": 500,
            "effective": True,
            "source": "bulle.toml",
        }
        row = {r["name"]: r for r in ws.settings()}["query.result_max_rows"]
        assert (row["value"], row["source"], row["default"]) == (500, "bulle.toml", 1_000_000)
    finally:
        ws.close()
    analyst = open_workspace(root, user="bob", role="analyst")
    try:
        with pytest.raises(AccessDenied):
            analyst.set_setting("query.result_max_rows", "5000000")
    finally:
        analyst.close()
