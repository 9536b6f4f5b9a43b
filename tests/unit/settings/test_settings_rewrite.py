"""Rewriting bulle.toml for one setting keeps every other line of the file as it was."""

from __future__ import annotations

import tomllib

from bulle.services.settings import rewrite

BASE = """# the custodian's notes stay
[workspace]
format_version = 1
id = "abc"  # a comment after a value
engine = "duckdb"
"""


def test_a_file_without_settings_gets_the_table_at_its_end_and_nothing_else_changes():
    out = rewrite(BASE, "query.timeout_max_s", 600.0)
    assert out.startswith(BASE)
    assert tomllib.loads(out)["settings"] == {"query.timeout_max_s": 600.0}


def test_every_spelling_of_the_setting_is_replaced_by_one_line_and_other_settings_stay():
    text = (
        BASE
        + """
[settings]
"query.result_max_rows" = 10
anonymize.risk_threshold = 0.3  # dotted
'query.memory_limit' = "2GB"

[settings.query]
timeout_default_s = 5

[other]
x = 1
"""
    )
    out = rewrite(text, "query.timeout_default_s", 7.5)
    doc = tomllib.loads(out)
    assert doc["other"] == {"x": 1} and doc["workspace"]["id"] == "abc"
    assert doc["settings"]["anonymize"] == {"risk_threshold": 0.3}
    assert doc["settings"]["query"] == {}  # the sub-table is left empty
    assert doc["settings"]["query.timeout_default_s"] == 7.5
    assert "timeout_default_s = 5" not in out
    out2 = rewrite(out, "anonymize.risk_threshold", 0.25)
    assert "# dotted" not in out2 and '"anonymize.risk_threshold" = 0.25' in out2
    assert out2.count("\n") == out.count("\n")  # one line replaced by one line
    assert "# the custodian's notes stay" in out2 and "# a comment after a value" in out2


def test_a_text_value_is_written_as_a_toml_string():
    out = rewrite(BASE, "query.memory_limit", "512MB")
    assert tomllib.loads(out)["settings"]["query.memory_limit"] == "512MB"
