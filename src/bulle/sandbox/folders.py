"""A job's folders on the host: what it reads (data, code) and the one place it writes.

As root, the job user must read ``data`` and ``code`` and write ``outputs``, and nobody else on
the machine may read any of it (other local accounts are not trusted): folders are owned by root
with the job user's group (0750, files 0640), outputs by the job user (0700). Run as another
user, everything is that user's only (0700/0600). Folder names are random, under a parent that
others may cross but not list (0711).
"""

from __future__ import annotations

import os
import secrets
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path

from bulle.sandbox.host import SandboxHost


@dataclass(frozen=True)
class JobFolders:
    """Host paths of one job's sandbox folders (``/data``, ``/job``, ``/outputs`` inside)."""

    root: Path
    data: Path
    code: Path
    outputs: Path


def make_folders(host: SandboxHost, label: str = "job") -> JobFolders:
    name = f"{''.join(c for c in label if c.isalnum())[:24]}-{secrets.token_hex(16)}"
    root = host.root / name
    root.mkdir(mode=0o700)
    folders = JobFolders(root, root / "data", root / "code", root / "outputs")
    for path in (folders.data, folders.code, folders.outputs):
        path.mkdir(mode=0o700)
    hand_over(host, folders)
    return folders


def hand_over(host: SandboxHost, folders: JobFolders) -> None:
    """Give the job exactly the access it needs; call again after writing data or code."""
    if not host.as_root:
        for path in (folders.root, folders.data, folders.code, folders.outputs):
            os.chmod(path, 0o700)
        return
    for top in (folders.data, folders.code):
        for path in [top, *top.rglob("*")]:
            info = os.lstat(path)
            if stat.S_ISLNK(info.st_mode):
                raise ValueError(f"a link in a job's input folder: {path}")
            os.chown(path, 0, host.job_gid)
            os.chmod(path, 0o750 if stat.S_ISDIR(info.st_mode) else 0o640)
    os.chown(folders.root, 0, host.job_gid)
    os.chmod(folders.root, 0o750)
    os.chown(folders.outputs, host.job_uid, host.job_gid)
    os.chmod(folders.outputs, 0o700)


def remove(folders: JobFolders) -> None:
    """Delete a job's folders (links are removed, never followed)."""
    shutil.rmtree(folders.root, ignore_errors=True)
