"""The settings table: resolution order, validation (all problems at once), the generated page."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bulle import settings as table
from bulle.errors import ValidationError
from bulle.governance import limits

DOC = Path(__file__).resolve().parents[3] / "docs" / "settings.md"


def test_with_nothing_set_every_setting_is_its_default():
    s = table.resolve(None, {})
    for setting in table.SETTINGS:
        assert s[setting.name] == setting.default
        assert s.resolved(setting.name).source == "default"


def test_the_environment_wins_over_bulle_toml_which_wins_over_the_default():
    s = table.resolve(
        {"query.timeout_max_s": 600, "query.result_max_rows": 10},
        {"BULLE_SETTING_QUERY_TIMEOUT_MAX_S": "120", "PATH": "/bin"},
    )
    assert s["query.timeout_max_s"] == 120.0
    assert s.resolved("query.timeout_max_s").source == "BULLE_SETTING_QUERY_TIMEOUT_MAX_S"
    assert (
        s["query.result_max_rows"] == 10
        and s.resolved("query.result_max_rows").source == "bulle.toml"
    )
    assert s["query.memory_limit"] == "1GB" and s.resolved("query.memory_limit").source == "default"


def test_dotted_keys_and_sub_tables_name_the_same_setting():
    assert table.resolve({"query": {"timeout_max_s": 100}}, {})["query.timeout_max_s"] == 100.0
    with pytest.raises(ValidationError, match="given twice"):
        table.resolve({"query": {"timeout_max_s": 100}, "query.timeout_max_s": 200}, {})


def test_every_problem_is_reported_at_once_naming_the_file_the_key_and_the_range():
    with pytest.raises(ValidationError) as err:
        table.resolve(
            {
                "query.timeout_max_s": "abc",
                "query.result_max_rows": 0,
                "query.timout_max_s": 5,
                "query.memory_limit": "lots",
                "anonymize.risk_threshold": True,
            },
            {"BULLE_SETTING_TEXT_SCORE_THRESHOLD": "1.5", "BULLE_SETTING_NOPE": "1"},
            file="/w/bulle.toml",
        )
    problems = err.value.problems
    assert len(problems) == 7, problems
    by_field = {p.where.field: p for p in problems}
    rows = by_field["settings.query.result_max_rows"]
    assert rows.where.file == "/w/bulle.toml" and ">= 1 and <= 1_000_000_000_000" in rows.message
    assert "unknown setting 'query.timout_max_s'" in by_field["settings.query.timout_max_s"].message
    assert "<= 1" in by_field["BULLE_SETTING_TEXT_SCORE_THRESHOLD"].message
    assert "unknown setting variable" in by_field["BULLE_SETTING_NOPE"].message
    assert "a size such as" in by_field["settings.query.memory_limit"].message
    assert err.value.exit_code == 2


def test_a_default_timeout_set_above_the_ceiling_is_refused_and_a_default_one_is_capped():
    with pytest.raises(ValidationError, match=r"above query\.timeout_max_s"):
        table.resolve({"query.timeout_max_s": 30, "query.timeout_default_s": 40}, {})
    s = table.resolve({"query.timeout_max_s": 30}, {})
    assert s["query.timeout_default_s"] == 30.0


@pytest.mark.parametrize("bad", ["inf", "nan", "-1", "0", "1e9", "ten"])
def test_a_timeout_ceiling_that_would_disable_the_watchdog_is_refused(bad):
    with pytest.raises(ValidationError, match=r"\(query\.timeout_max_s\) must be a number > 0"):
        table.resolve({}, {"BULLE_SETTING_QUERY_TIMEOUT_MAX_S": bad})


NUMERIC = [s for s in table.SETTINGS if s.type is not str]


@given(st.sampled_from(NUMERIC), st.floats(allow_nan=True, allow_infinity=True))
def test_a_number_is_accepted_exactly_when_it_is_within_the_declared_bounds(setting, x):
    value = int(x) if setting.type is int and math.isfinite(x) else x
    low_ok = setting.minimum is None or (
        value > setting.minimum if setting.exclusive_minimum else value >= setting.minimum
    )
    inside = math.isfinite(x) and low_ok and (setting.maximum is None or value <= setting.maximum)
    try:
        setting.check(value)
    except ValueError as exc:
        assert not inside, exc
        assert setting.allowed() in str(exc)
    else:
        assert inside


def test_limits_keeps_its_names_as_the_declared_defaults():
    names = {
        "DEFAULT_TIMEOUT_S": "query.timeout_default_s",
        "MAX_TIMEOUT_S": "query.timeout_max_s",
        "DEFAULT_RESULT_BYTES": "query.result_max_bytes",
        "DEFAULT_MAX_ROWS": "query.result_max_rows",
        "DEFAULT_MEMORY_LIMIT": "query.memory_limit",
    }
    for constant, name in names.items():
        assert getattr(limits, constant) == table.default(name), constant


def test_every_setting_is_changed_by_the_custodian_for_now():
    assert {s.changed_by.value for s in table.SETTINGS} == {"custodian"}


def test_the_committed_settings_page_is_the_generated_one():
    assert DOC.read_text(encoding="utf-8") == table.markdown(), (
        "docs/settings.md differs from the table: run `python -m bulle.settings --markdown > docs/settings.md`"
    )


def test_the_page_is_printed_by_the_module_and_names_every_setting():
    out = subprocess.run(
        [sys.executable, "-m", "bulle.settings", "--markdown"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out == table.markdown()
    for s in table.SETTINGS:
        assert f"`{s.name}`" in out and s.env_var in out and s.description in out
