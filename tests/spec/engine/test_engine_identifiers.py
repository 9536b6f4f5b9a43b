"""Finding a person's rows: identifiers matched after the normalization of their kind, counted,
read back and removed alike on every engine."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from tests.spec.engine.tables import HOSTILE, write

from bulle.storage.engine import ValueIn


def contacts() -> pa.Table:
    return pa.table(
        {
            "nir": pa.array(
                ["1 84 12 75 123 456", "184127512345 6", None, "2 99 01 2A 000 111"], pa.string()
            ),
            HOSTILE: pa.array(["Ana@Ex.fr ", "ana@ex.fr", "bob@ex.fr", None], pa.string()),
            "tel": pa.array(
                ["+33 6 12 34 56 78", "06.12.34.56.78", "0033612345679", ""], pa.string()
            ),
            "tok": pa.array(["bp1_k1_aaa", "bp1_k2_bbb", "bp1x_k3_c", None], pa.string()),
        }
    )


def test_identifiers_are_normalized_by_kind(engine, tmp_path: Path) -> None:
    path = write(contacts(), tmp_path / "c.parquet")
    assert engine.normalized_text(path, "nir", "nir") == [
        "184127512345" + "6",
        "1841275123456",
        None,
        "2990" + "12A000111",
    ]
    assert engine.normalized_text(path, HOSTILE, "email") == [
        "ana@ex.fr",
        "ana@ex.fr",
        "bob@ex.fr",
        None,
    ]
    assert engine.normalized_text(path, "tel", "phone") == [
        "0612345678",
        "0612345678",
        "0612345679",
        "",
    ]
    assert engine.normalized_text(path, "tel", None) == contacts().column("tel").to_pylist()


def test_count_and_read_the_matching_rows(engine, tmp_path: Path) -> None:
    path = write(contacts(), tmp_path / "c.parquet")
    match = [
        ValueIn(HOSTILE, frozenset({"ana@ex.fr"}), "email"),
        ValueIn("tel", frozenset({"0612345679"}), "phone"),
        ValueIn("nir", frozenset()),
    ]
    assert engine.count_matches(path, match) == (3, [2, 1, 0])
    assert engine.distinct_matches(path, match, [("tel", "phone")]) == {
        ("+33 6 12 34 56 78", "0612345678"),
        ("06.12.34.56.78", "0612345678"),
        ("0033612345679", "0612345679"),
    }
    kept = engine.write_without(path, tmp_path / "w.parquet", match)
    assert kept.rows == 1
    assert engine.read_table(tmp_path / "w.parquet").column("nir").to_pylist() == [
        "2 99 01 2A 000 111"
    ]


def test_token_key_ids(engine, tmp_path: Path) -> None:
    assert engine.token_key_ids(write(contacts(), tmp_path / "c.parquet"), "tok", "bp1") == {
        "k1",
        "k2",
    }


def test_an_unknown_normalization_is_refused() -> None:
    with pytest.raises(ValueError, match="normalization"):
        ValueIn("c", frozenset({"x"}), "iban")
