"""``bulle.outputs.atomic_output``: checked again just before the rename, nothing left on failure."""

from __future__ import annotations

import os
import stat

import pytest

from bulle.errors import InputError
from bulle.outputs import atomic_output


def test_a_path_turned_into_a_fifo_while_writing_is_left_alone(tmp_path):
    out = tmp_path / "o.csv"
    with pytest.raises(InputError, match="is a FIFO"), atomic_output(out, (".csv",)) as tmp:
        tmp.write_text("a,b\n")
        os.mkfifo(out)  # someone put it there while the output was computed
    assert stat.S_ISFIFO(os.lstat(out).st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["o.csv"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    out = tmp_path / "o.csv"
    out.write_text("old")
    with pytest.raises(RuntimeError), atomic_output(out) as tmp:
        tmp.write_text("new")
        raise RuntimeError("boom")
    assert out.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["o.csv"]


def test_the_temporary_is_private_while_written(tmp_path):
    old = os.umask(0)
    try:
        with atomic_output(tmp_path / "o.csv") as tmp:
            assert stat.S_IMODE(os.stat(tmp.parent).st_mode) == 0o700
            tmp.write_text("x")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "o.csv").st_mode) == 0o600
