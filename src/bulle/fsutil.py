"""Small file-system helpers that make writes atomic and secrets private.

Everything a workspace writes is for its owner only: directories 0700, files 0600. Two layers
give that: the process umask is 0o077 while a workspace is open (``private_umask``: it covers
files that libraries such as DuckDB and SQLite create), and modes are set explicitly where Bulle
creates or commits a file (a umask can be changed by any other code in the process).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
PRIVATE_UMASK = 0o077

_umask_lock = threading.Lock()
_umask_holders = 0
_umask_saved = 0


def sha256_file(path: Path, chunk: int = 1 << 22) -> str:
    """The digest of a file, or of a directory of parts (a version an engine such as Spark writes
    as parallel parts): then over each part's name and digest, in name order."""
    if os.path.isdir(path):
        return parts_digest((p, sha256_file(Path(path) / p)) for p in sorted(os.listdir(path)))
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return "sha256:" + h.hexdigest()


def parts_digest(parts: Iterable[tuple[str, str]]) -> str:
    """The digest of a directory of parts from its ``(name, "sha256:…")`` pairs in name order: the
    one definition both the store (hashing on disk) and a backup's check (from its manifest) use."""
    h = hashlib.sha256(b"bulle-parts-v1\0")
    for name, digest in parts:
        h.update(name.encode() + b"\0" + digest.encode() + b"\0")
    return "sha256:" + h.hexdigest()


def remove_path(path: Path) -> None:
    """Remove a file or a directory of parts, if it is there (a symbolic link itself only)."""
    p = Path(path)
    if p.is_dir() and not p.is_symlink():
        import shutil

        shutil.rmtree(p, ignore_errors=True)
    else:
        p.unlink(missing_ok=True)


def make_private_tree(path: Path) -> None:
    """Owner-only modes for a file, or a directory of parts and its files (0700 / 0600)."""
    p = Path(path)
    if p.is_dir() and not p.is_symlink():
        os.chmod(p, PRIVATE_DIR)
        for part in p.iterdir():
            make_private_tree(part)
    else:
        os.chmod(p, PRIVATE_FILE, follow_symlinks=False)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_file(path: Path) -> None:
    if os.path.isdir(path):  # a directory of parts: each part, then the directory's entries
        for part in sorted(os.listdir(path)):
            fsync_file(Path(path) / part)
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_bytes(path: Path, data: bytes, mode: int = PRIVATE_FILE) -> None:
    """Write to a temporary file beside ``path``, fsync, then rename over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        fsync_dir(path.parent)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str, mode: int = PRIVATE_FILE) -> None:
    atomic_write_bytes(path, text.encode("utf-8"), mode)


def write_secret(path: Path, data: bytes) -> None:
    """Create a secret file readable by its owner only (0600), never overwriting one."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    try:
        os.fchmod(fd, PRIVATE_FILE)
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def private_file(path: Path) -> None:
    """Create ``path`` empty with mode 0600 if it is missing, so a library opening it keeps that mode.

    An existing file is never opened here: closing any descriptor of a file drops every POSIX
    lock this process holds on it, and SQLite's locks on an open catalog (a server's other
    connections) would go with it, letting another process delete the WAL index in use.
    """
    if path.exists():
        return
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except FileExistsError:
        return
    os.close(fd)


def acquire_private_umask() -> None:
    """Set the process umask to 0o077 until the matching ``release_private_umask``.

    Counted, so that nested workspaces (a custodian's and an analyst's in one process) share it;
    the umask in force before the first acquisition comes back after the last release.
    """
    global _umask_holders, _umask_saved
    with _umask_lock:
        if _umask_holders == 0:
            _umask_saved = os.umask(PRIVATE_UMASK)
        else:
            os.umask(PRIVATE_UMASK)  # re-assert: other code may have changed it meanwhile
        _umask_holders += 1


def release_private_umask() -> None:
    global _umask_holders
    with _umask_lock:
        if _umask_holders == 0:
            return
        _umask_holders -= 1
        if _umask_holders == 0:
            os.umask(_umask_saved)


@contextmanager
def private_umask() -> Iterator[None]:
    acquire_private_umask()
    try:
        yield
    finally:
        release_private_umask()


def make_private(path: Path) -> None:
    """Give an existing file or directory owner-only permissions (0600 / 0700)."""
    os.chmod(path, PRIVATE_DIR if path.is_dir() else PRIVATE_FILE, follow_symlinks=False)


def private_dirs(path: Path, top: Path) -> None:
    """Create ``path`` and its missing parents below ``top`` with mode 0700.

    ``Path.mkdir(parents=True, mode=...)`` gives the parents the default mode; this does not.
    """
    missing = []
    p = path
    while p != top and not p.exists():
        missing.append(p)
        p = p.parent
    for d in reversed(missing):
        with suppress(FileExistsError):  # made meanwhile by another writer
            d.mkdir(mode=PRIVATE_DIR)
        os.chmod(d, PRIVATE_DIR)
