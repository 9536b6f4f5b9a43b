"""Where a command may write a user's output file, and how: one rule for every output option.

Commands run with the custodian's (or root's) rights, and an output path comes from a user. Every
file output (``--output``, ``--html``, ``export-table OUT``...) follows this module:

* **Only a regular file is ever replaced.** A path that exists and is anything else (a device
  such as ``/dev/full`` or ``/dev/null``, a FIFO, a socket, a directory, or a symbolic link,
  wherever it points) is refused and left as it is. Writing goes to a temporary file which is then
  renamed over the destination: without this rule, that rename would replace a device node by a
  regular file.
* **Known extensions only**, per command (``.csv``/``.parquet`` for a table...), so an output
  written in one format never carries the name of another.
* **Private and atomic.** The temporary file is created, mode 0600 whatever the umask, inside a
  private (0700) temporary folder beside the destination, fsynced, renamed into place, and the
  folder fsynced; on any failure nothing is left and the destination is unchanged. An output holds
  users' data: it is readable by its owner only.

CLI options declare their outputs with ``OutputFile`` (checked while the command line is parsed,
before any long computation); the writers use ``atomic_output`` (checked again just before the
rename). ``tests/unit/cli/test_output_options.py`` finds every output option of every command and
fails if one does not use ``OutputFile``.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from bulle.errors import InputError, Where

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700

TABLE = (".csv", ".parquet")
ROWS = (".csv", ".parquet", ".jsonl")  # a read's or a query's rows
HTML = (".html", ".htm")


def check_output(
    path: str | Path, extensions: tuple[str, ...] | None = None, field: str | None = None
) -> Path:
    """``path`` as a Path if a command may write its output there; else a clear error."""
    p = Path(path)
    where = Where(file=str(p), field=field)
    if not str(path) or p.name in ("", ".", ".."):
        raise InputError("an output needs a file name", where)
    try:
        st = os.lstat(p)
    except FileNotFoundError:
        st = None
    except OSError as exc:  # a name too long, a parent that is a file...
        raise InputError(f"cannot use this output path: {exc.strerror}", where) from None
    if st is not None and not stat.S_ISREG(st.st_mode):
        kind = (
            "a symbolic link"
            if stat.S_ISLNK(st.st_mode)
            else "a directory"
            if stat.S_ISDIR(st.st_mode)
            else "a device"
            if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode)
            else "a FIFO"
            if stat.S_ISFIFO(st.st_mode)
            else "not a regular file"
        )
        raise InputError(
            f"the output exists and is {kind}: Bulle only replaces a regular file "
            "(it was left as it is)",
            where,
        )
    if extensions is not None and p.suffix.lower() not in extensions:
        raise InputError(
            f"unknown output extension {p.suffix or '(none)'!r}: use {', '.join(extensions)}", where
        )
    parent = p.parent
    if not parent.is_dir():
        raise InputError("the output's directory does not exist", where)
    return p


@contextmanager
def atomic_output(path: str | Path, extensions: tuple[str, ...] | None = None) -> Iterator[Path]:
    """Yield a private temporary path to write; on success it replaces ``path`` (a regular file
    or nothing), mode 0600. On failure nothing is left and ``path`` is unchanged."""
    dest = check_output(path, extensions)
    tmp_dir = Path(
        tempfile.mkdtemp(prefix=".bulle-out-", dir=dest.parent)
    )  # 0700 whatever the umask
    tmp = tmp_dir / ("out" + dest.suffix.lower())  # writers choose their format from the suffix
    try:
        yield tmp
        if not tmp.is_file():
            raise InputError("nothing was written", Where(file=str(dest)))
        os.chmod(tmp, PRIVATE_FILE)  # whoever created it (DuckDB, pyarrow) and whatever the umask
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        check_output(dest, extensions)  # again: the path may have changed while we computed
        os.replace(tmp, dest)
        fd = os.open(dest.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)


@contextmanager
def open_output(
    path: str | Path, extensions: tuple[str, ...] | None = None, *, newline: str | None = "\n"
) -> Iterator[Any]:
    """``atomic_output`` for a text file written as it goes (UTF-8)."""
    with atomic_output(path, extensions) as tmp:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
        with os.fdopen(fd, "w", encoding="utf-8", newline=newline) as f:
            yield f
            f.flush()


def write_text(path: str | Path, text: str, extensions: tuple[str, ...] | None = None) -> None:
    with open_output(path, extensions, newline="") as f:
        f.write(text)


class OutputFile(click.ParamType):
    """A click type for an output file: the rules above, checked while parsing the command line.

    ``extensions=None`` when the command checks the format itself (``export-table --format``).
    """

    name = "output file"

    def __init__(self, extensions: tuple[str, ...] | None):
        self.extensions = extensions

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Path:
        field = param.opts[0] if param is not None and param.opts else None
        return check_output(value, self.extensions, field)


def keep_formulas_option(f: Any) -> Any:
    """``--keep-formulas``: every command with a CSV output of users' values takes it."""
    return click.option(
        "--keep-formulas",
        "keep_formulas",
        is_flag=True,
        help="Write CSV cells starting with =, +, -, @, tab or carriage return as they are "
        "(by default they are prefixed with ' so a spreadsheet does not run them).",
    )(f)
