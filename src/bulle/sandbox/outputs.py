"""Taking a job's outputs out of its folder without trusting anything the job wrote.

The job owns its outputs folder and can put anything there: links to files outside, FIFOs that
block a reader, device nodes, millions of files, deep trees. Everything is examined with
``lstat`` and opened with ``O_NOFOLLOW`` (property 6 in :mod:`bulle.sandbox`); only regular files
are copied, into a folder the job never sees, where they are hashed.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from bulle.sandbox.limits import SandboxLimits

NAME_MAX = 200
DEPTH_MAX = 8


class OutputProblem(Exception):
    """Something in the outputs folder is not a plain file Bulle may take."""


@dataclass(frozen=True)
class CollectedFile:
    name: str  # relative path inside /outputs, with '/' separators
    size: int
    sha256: str

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "size": self.size, "sha256": self.sha256}


def measure(folder: Path, max_files: int) -> tuple[int, int]:
    """Total size and number of entries, stopping once past ``max_files`` (cheap while running)."""
    size = count = 0
    stack = [str(folder)]
    while stack and count <= max_files:
        try:
            with os.scandir(stack.pop()) as entries:
                for entry in entries:
                    count += 1
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
                    elif entry.is_file(follow_symlinks=False):
                        with contextlib.suppress(FileNotFoundError):
                            size += entry.stat(follow_symlinks=False).st_size
        except (FileNotFoundError, NotADirectoryError, PermissionError):
            continue
    return size, count


def collect(folder: Path, dest: Path, limits: SandboxLimits) -> tuple[CollectedFile, ...]:
    """Copy every regular file of ``folder`` into ``dest``; refuse anything else, all or nothing."""
    found: list[tuple[str, Path]] = []
    total = 0
    _walk(folder, "", 0, found, limits)
    dest.mkdir(parents=True, exist_ok=True, mode=0o700)
    collected = []
    for name, path in found:
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        digest = hashlib.sha256()
        size = 0
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError as exc:
            raise OutputProblem(f"{name}: cannot be read ({exc.strerror})") from None
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise OutputProblem(f"{name}: not a regular file")
            out = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            try:
                while chunk := os.read(fd, 1 << 20):
                    size += len(chunk)
                    total += len(chunk)
                    if total > limits.output_bytes:
                        raise OutputProblem(f"more than {limits.output_bytes:,} bytes of outputs")
                    digest.update(chunk)
                    os.write(out, chunk)
            finally:
                os.close(out)
        finally:
            os.close(fd)
        collected.append(CollectedFile(name, size, digest.hexdigest()))
    return tuple(collected)


def _walk(folder: Path, prefix: str, depth: int, found: list, limits: SandboxLimits) -> None:
    if depth > DEPTH_MAX:
        raise OutputProblem(f"{prefix or '.'}: folders nested deeper than {DEPTH_MAX}")
    with os.scandir(folder) as entries:
        for entry in sorted(entries, key=lambda e: e.name):
            name = f"{prefix}{entry.name}"
            if len(entry.name) > NAME_MAX or "\x00" in entry.name:
                raise OutputProblem(f"{name[:80]}: file name too long")
            info = entry.stat(follow_symlinks=False)
            if stat.S_ISLNK(info.st_mode):
                raise OutputProblem(f"{name}: a symbolic link (outputs must be plain files)")
            if stat.S_ISDIR(info.st_mode):
                _walk(Path(entry.path), name + "/", depth + 1, found, limits)
            elif stat.S_ISREG(info.st_mode):
                if info.st_nlink > 1:
                    raise OutputProblem(f"{name}: a hard link (outputs must be plain files)")
                found.append((name, Path(entry.path)))
                if len(found) > limits.output_files:
                    raise OutputProblem(f"more than {limits.output_files:,} output files")
            else:
                raise OutputProblem(f"{name}: not a regular file (a FIFO, socket or device)")
