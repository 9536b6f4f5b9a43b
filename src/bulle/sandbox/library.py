"""The copy of Bulle's own package that jobs import ``bulle.job`` from.

Bulle may be installed where the job user cannot read (a virtual environment under ``/root``), so
each process copies its package's Python files once into ``<sandbox root>/lib-<digest>/bulle``,
readable by the job user's group only, and binds that folder read-only at ``/opt/bulle-lib``.
The folder is named by the digest of what it holds: a new Bulle version gets a new folder, and a
job never sees a half-written copy (it is renamed into place whole).
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

SKIP_DIRS = {"__pycache__", "data", "cli"}


def package_files() -> list[tuple[str, Path]]:
    top = Path(__file__).resolve().parent.parent  # the bulle package
    files = []
    for path in sorted(top.rglob("*.py")):
        rel = path.relative_to(top)
        if any(part in SKIP_DIRS for part in rel.parts[:-1]):
            continue
        files.append((str(rel), path))
    return files


def ensure_library(root: Path, owner_gid: int | None) -> Path:
    """The folder to bind at ``/opt/bulle-lib`` (made on first use)."""
    files = package_files()
    digest = hashlib.sha256()
    for rel, path in files:
        digest.update(rel.encode() + b"\0" + path.read_bytes() + b"\0")
    final = root / f"lib-{digest.hexdigest()[:20]}"
    if final.is_dir():
        return final
    tmp = root / f".lib-{os.getpid()}-{digest.hexdigest()[:8]}"
    shutil.rmtree(tmp, ignore_errors=True)
    for rel, path in files:
        target = tmp / "bulle" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    for path in [tmp, *tmp.rglob("*")]:
        if owner_gid is not None:
            os.chown(path, 0, owner_gid)
            os.chmod(path, 0o750 if path.is_dir() else 0o640)
        else:
            os.chmod(path, 0o700 if path.is_dir() else 0o600)
    try:
        os.rename(tmp, final)
    except OSError:  # another process made it first
        shutil.rmtree(tmp, ignore_errors=True)
    return final
