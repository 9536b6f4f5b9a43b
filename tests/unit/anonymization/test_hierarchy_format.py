"""ARX hierarchy files: reading, writing, and validation that reports every problem at once."""

from __future__ import annotations

import pytest

from bulle.anonymization.hierarchy import (
    Hierarchy,
    coverage_problems,
    read_hierarchy_csv,
    write_hierarchy_csv,
)
from bulle.errors import InputError, ValidationError


def test_reads_lf_and_crlf_alike(tmp_path):
    lf = tmp_path / "lf.csv"
    crlf = tmp_path / "crlf.csv"
    lf.write_bytes(b"a;x;*\nb;x;*\nc;y;*\n")
    crlf.write_bytes(b"a;x;*\r\nb;x;*\r\nc;y;*\r\n")
    h1, h2 = read_hierarchy_csv(lf, "col"), read_hierarchy_csv(crlf, "col")
    assert h1.rows == h2.rows
    assert h1.height == 2
    assert h1.domain_size == 3
    assert h1.generalize("c", 1) == "y"
    assert h1.share_counts[1]["x"] == 2


def test_rows_of_unequal_length_name_their_lines(tmp_path):
    p = tmp_path / "h.csv"
    p.write_text("a;x;*\nb;x\nc;y;*\nd\n")
    with pytest.raises(ValidationError) as err:
        read_hierarchy_csv(p, "col")
    lines = sorted(pr.where.line for pr in err.value.problems)
    assert lines == [2, 4]
    assert all(pr.where.file == str(p) and pr.where.column == "col" for pr in err.value.problems)


def test_a_value_with_two_parents_is_an_error():
    with pytest.raises(ValidationError) as err:
        Hierarchy.from_rows([["a", "x", "*"], ["b", "x", "*"], ["c", "x", "top2"]], name="c")
    assert len(err.value.problems) == 1
    msg = err.value.problems[0].message
    assert "'x'" in msg and "'*'" in msg and "'top2'" in msg
    assert err.value.problems[0].where.line == 3


def test_a_leaf_with_two_generalizations_is_an_error():
    with pytest.raises(ValidationError):
        Hierarchy.from_rows([["a", "x"], ["a", "y"]])


def test_duplicated_leaf_row_is_a_warning_and_counts_in_the_domain():
    h = Hierarchy.from_rows([["1", "low", "*"], ["2", "low", "*"], ["2", "low", "*"]], name="n")
    assert len(h.warnings) == 1 and "repeats leaf '2'" in h.warnings[0]
    assert h.domain_size == 3
    assert h.share_counts[1]["low"] == 3


def test_coverage_lists_every_missing_value_with_its_column():
    h1 = Hierarchy.from_rows([["a", "*"], ["b", "*"]], name="c1")
    h2 = Hierarchy.from_rows([["1", "*"]], name="c2")
    problems = coverage_problems(
        {"c1": h1, "c2": h2}, {"c1": ["a", "z", "y"], "c2": ["1", "2"]}, "d.csv"
    )
    found = sorted((p.where.column, p.message.split("'")[1]) for p in problems)
    assert found == [("c1", "y"), ("c1", "z"), ("c2", "2")]


def test_write_then_read_round_trip(tmp_path):
    h = Hierarchy.from_rows([["a", "x", "*"], ["b", "x", "*"]], name="c")
    p = tmp_path / "out.csv"
    write_hierarchy_csv(h, p)
    assert p.read_text() == "a;x;*\nb;x;*\n"
    assert read_hierarchy_csv(p, "c").rows == h.rows


def test_write_refuses_a_value_holding_the_separator(tmp_path):
    h = Hierarchy.from_rows([["a;b", "*"]])
    with pytest.raises(InputError):
        write_hierarchy_csv(h, tmp_path / "x.csv")


def test_missing_file_and_empty_file(tmp_path):
    with pytest.raises(InputError):
        read_hierarchy_csv(tmp_path / "nope.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(ValidationError):
        read_hierarchy_csv(empty)


def test_arx_fars_age_hierarchy_has_its_known_duplicate(arx_data):
    h = read_hierarchy_csv(arx_data / "fars_int_hierarchy_iage.csv", "iage")
    assert h.domain_size == 100
    assert len(h.leaves) == 99
    assert len(h.warnings) == 1
