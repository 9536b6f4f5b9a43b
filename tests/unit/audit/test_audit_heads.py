"""The chain head kept outside the log."""

from __future__ import annotations

import pytest

from bulle.audit.heads import FileHeadStore, MemoryHeadStore, parse_head
from bulle.errors import InputError, IntegrityError

H = "ab" * 32


def test_a_file_head_store_starts_empty_and_keeps_the_last_head(tmp_path):
    store = FileHeadStore(tmp_path / "sub" / "head.json")
    assert store.get() is None
    store.set(3, H)
    store.set(4, H)
    assert FileHeadStore(tmp_path / "sub" / "head.json").get() == (4, H)
    assert [p.name for p in (tmp_path / "sub").iterdir()] == ["head.json"]  # no temp file left


def test_an_unreadable_head_is_an_integrity_error(tmp_path):
    (tmp_path / "head.json").write_text('{"seq": -1, "hash": "x"}')
    with pytest.raises(IntegrityError):
        FileHeadStore(tmp_path / "head.json").get()


def test_a_memory_head_store():
    store = MemoryHeadStore()
    assert store.get() is None
    store.set(0, H)
    assert store.get() == (0, H)


def test_parse_head():
    assert parse_head(f"12:{H.upper()}") == (12, H)
    for bad in ("12", f"x:{H}", "12:abc", f"-1:{H}"):
        with pytest.raises(InputError):
            parse_head(bad)
