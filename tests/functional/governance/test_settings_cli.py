"""`bulle settings` and the settings in force: a changed setting changes what Bulle does.

The query limits are read from the open workspace's settings: a lower ceiling in ``bulle.toml``
refuses a timeout the default ceiling allows, a lower row cap stops a result, and an environment
variable wins over the file. Changing a setting is the custodian's, rewrites ``bulle.toml``
keeping its other lines and records a ``settings.change`` event.
"""

from __future__ import annotations

import json
import stat

import pytest

ANALYST = ("--user", "bob", "--role", "analyst")
QUERY = ("query", "--project", "p", "SELECT range AS n FROM range(20)", "--json")


@pytest.fixture
def ws(project_ws):
    """The module's project workspace; its bulle.toml is put back after each test."""
    config = project_ws / "bulle.toml"
    before = config.read_text()
    yield project_ws
    config.write_text(before)


def _append(ws, text: str) -> None:
    config = ws / "bulle.toml"
    config.write_text(config.read_text() + text)


def test_a_lower_ceiling_in_bulle_toml_refuses_a_timeout_the_default_ceiling_allows(bulle, ws):
    assert bulle("-w", ws, *ANALYST, *QUERY[:4], "--timeout", "100", "--json").code == 0
    _append(ws, '\n[settings]\n"query.timeout_max_s" = 50\n')
    run = bulle("-w", ws, *ANALYST, *QUERY[:4], "--timeout", "100", "--json")
    assert run.code == 2, run.err
    error = run.error()
    assert error["code"] == "bad_input" and error["where"] == {"field": "--timeout"}
    assert "at most 50 (the ceiling, setting query.timeout_max_s)" in error["message"]
    assert bulle("-w", ws, *ANALYST, *QUERY[:4], "--timeout", "40", "--json").code == 0


def test_an_environment_variable_wins_over_bulle_toml(bulle, ws):
    _append(ws, '\n[settings]\n"query.timeout_max_s" = 50\n')
    run = bulle(
        "-w",
        ws,
        *ANALYST,
        *QUERY[:4],
        "--timeout",
        "100",
        "--json",
        env={"BULLE_SETTING_QUERY_TIMEOUT_MAX_S": "200"},
    )
    assert run.code == 0, run.err
    listed = bulle(
        "-w", ws, "settings", "list", "--json", env={"BULLE_SETTING_QUERY_TIMEOUT_MAX_S": "200"}
    )
    row = {r["name"]: r for r in listed.json()["settings"]}["query.timeout_max_s"]
    assert row["value"] == 200.0 and row["source"] == "BULLE_SETTING_QUERY_TIMEOUT_MAX_S"
    assert row["default"] == 3600.0


def test_the_row_cap_of_the_workspace_stops_a_longer_result(bulle, ws):
    assert bulle("-w", ws, *ANALYST, *QUERY).json()["rows"] == 20
    _append(ws, '\n[settings]\n"query.result_max_rows" = 10\n')
    run = bulle("-w", ws, *ANALYST, *QUERY)
    assert run.code == 8, run.err
    assert run.error()["code"] == "resource_limit" and "10 rows" in run.error()["message"]


def test_a_bad_value_in_bulle_toml_is_refused_naming_the_file_the_key_and_the_range(bulle, ws):
    _append(ws, '\n[settings]\n"query.timeout_max_s" = 1e9\n"query.result_max_row" = 5\n')
    run = bulle("-w", ws, *ANALYST, *QUERY)
    assert run.code == 2, run.err
    problems = run.error()["problems"]
    assert len(problems) == 2
    assert problems[0]["where"] == {
        "file": str(ws / "bulle.toml"),
        "field": "settings.query.timeout_max_s",
    }
    assert "must be a number > 0 and <= 86_400" in problems[0]["message"]
    assert "unknown setting 'query.result_max_row'" in problems[1]["message"]


def test_a_custodian_sets_a_value_keeping_the_file_and_the_change_is_audited(bulle, ws):
    config = ws / "bulle.toml"
    _append(ws, "# kept: a note of the custodian\n")
    before = config.read_text()
    run = bulle("-w", ws, "settings", "set", "query.timeout_max_s", "90", "--json")
    assert run.code == 0, run.err
    assert run.json() == {
        "name": "query.timeout_max_s",
        "old": 3600.0,
        "new": 90.0,
        "effective": True,
        "source": "bulle.toml",
    }
    after = config.read_text()
    assert after.startswith(before) and after.endswith('[settings]\n"query.timeout_max_s" = 90.0\n')
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert bulle("-w", ws, *ANALYST, *QUERY[:4], "--timeout", "100", "--json").code == 2
    assert bulle("-w", ws, "settings", "set", "query.timeout_max_s", "120").code == 0
    assert after.count("timeout_max_s") == config.read_text().count(
        "timeout_max_s"
    )  # replaced, not added
    log = bulle("-w", ws, "audit", "log", "--kind", "settings.change", "--json").json()["entries"][
        -2:
    ]
    assert [e["event"]["details"] for e in log] == [
        {"name": "query.timeout_max_s", "old": 3600.0, "new": 90.0, "source": "bulle.toml"},
        {"name": "query.timeout_max_s", "old": 90.0, "new": 120.0, "source": "bulle.toml"},
    ]
    assert all(e["event"]["actor"]["role"] == "custodian" for e in log)


@pytest.mark.parametrize(
    ("args", "code", "error_code"),
    [
        (("--user", "bob", "--role", "analyst"), 5, "access_denied"),
        (("--role", "dpo"), 5, "access_denied"),
    ],
)
def test_only_the_custodian_changes_a_setting(bulle, ws, args, code, error_code):
    before = (ws / "bulle.toml").read_text()
    run = bulle("-w", ws, *args, "settings", "set", "query.timeout_max_s", "90000", "--json")
    assert run.code == code and run.error()["code"] == error_code
    assert "only a custodian" in run.error()["message"]
    assert (ws / "bulle.toml").read_text() == before


BAD = [
    ("query.timeout_max_s", "inf", 2),
    ("query.timeout_default_s", "4000", 2),  # above the ceiling
    ("query.timout", "5", 3),
]


def test_a_bad_value_or_name_is_refused_and_leaves_the_file_and_the_log_as_they_were(bulle, ws):
    before = (ws / "bulle.toml").read_text()
    events = len(
        bulle("-w", ws, "audit", "log", "--kind", "settings.change", "--json").json()["entries"]
    )
    for name, value, code in BAD:
        run = bulle("-w", ws, "settings", "set", name, value, "--json")
        assert run.code == code, (name, value, run.err)
        assert name in json.dumps(run.error())
        assert (ws / "bulle.toml").read_text() == before
    after = bulle("-w", ws, "audit", "log", "--kind", "settings.change", "--json").json()["entries"]
    assert len(after) == events
