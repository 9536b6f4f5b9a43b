"""Owner-only permissions of a workspace: what opening a workspace checks, refuses and repairs.

A workspace holds raw personal data (names, NIR), subject ids in its catalog and caches, and the
keys that link pseudonyms back to people. Any local account other than the service's must read
none of it, so the root and every directory are 0700 and every file 0600 (``bulle.fsutil``
creates them so). Opening a workspace checks that this still holds:

* **keys are refused**: a ``*.key`` file in ``keys/`` that its group or others may read or
  write, or a ``keys/`` folder that is not 0700, stops the open with an ``IntegrityError`` naming
  every such file and the ``chmod`` that fixes it. A key that others could read must be treated as
  disclosed, and only its custodian can judge whether to keep it or rotate it; Bulle must not
  quietly carry on with it.
* **everything else is repaired and recorded**: a directory or file that is group- or
  other-accessible (a workspace made by an older Bulle, a copy made with ``cp -r`` under a lax
  umask) gets owner-only permissions, a warning is logged, and a ``workspace.permissions_repaired``
  audit event lists how many paths were changed (and their names), so the DPO sees that the data
  may have been readable before. Public keys (``*.pub``) are repaired too.

Owner and root are not limited by file modes: they are trusted (docs/workspace.md).
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

from bulle.errors import IntegrityError, Problem, Where
from bulle.fsutil import PRIVATE_DIR, PRIVATE_FILE

log = logging.getLogger("bulle.workspace")

OPEN_BITS = 0o077  # any permission for group or others
SHOWN = 20  # paths named in the audit event; the count is always exact


def _mode(st: os.stat_result) -> int:
    return stat.S_IMODE(st.st_mode)


def is_secret_key(path: Path) -> bool:
    return path.name.endswith(".key")


def check_keys(keys_dir: Path) -> None:
    """Refuse a key folder or key file that group or others may access (all problems at once)."""
    problems: list[Problem] = []
    try:
        st = os.stat(keys_dir)
    except FileNotFoundError:
        return  # a workspace whose keys were moved out: the key loaders say what is missing
    if _mode(st) & OPEN_BITS:
        problems.append(
            Problem(
                f"the key folder is accessible to group or others (mode {_mode(st):04o}): "
                f"run `chmod 700 {keys_dir}`",
                Where(file=str(keys_dir)),
            )
        )
    for dirpath, _dirs, files in os.walk(keys_dir):
        for name in sorted(files):
            p = Path(dirpath) / name
            if not is_secret_key(p):
                continue
            try:
                m = _mode(os.stat(p))
            except FileNotFoundError:
                continue
            if m & OPEN_BITS:
                problems.append(
                    Problem(
                        f"this secret key is readable or writable by group or others "
                        f"(mode {m:04o}): treat it as disclosed, then run `chmod 600 {p}`",
                        Where(file=str(p)),
                    )
                )
    if problems:
        raise IntegrityError(
            f"the workspace's keys are not private ({len(problems)} problem"
            f"{'s' if len(problems) != 1 else ''}); nothing was opened",
            Where(file=str(keys_dir)),
            problems,
        )


def repair(root: Path) -> list[str]:
    """Make every directory 0700 and every file 0600 below ``root``; return what was changed.

    Symbolic links are neither followed nor changed. Secret keys were checked before and are not
    touched here.
    """
    changed: list[str] = []
    root_mode = _mode(os.lstat(root))
    if root_mode & OPEN_BITS:
        _chmod(root, PRIVATE_DIR, root_mode)
        changed.append(".")
    for dirpath, dirs, files in os.walk(root):
        here = Path(dirpath)
        for name in dirs:
            p = here / name
            st = os.lstat(p)
            if stat.S_ISDIR(st.st_mode) and _mode(st) & OPEN_BITS:
                _chmod(p, PRIVATE_DIR, _mode(st))
                changed.append(str(p.relative_to(root)))
        for name in files:
            p = here / name
            try:
                st = os.lstat(p)
            except FileNotFoundError:  # a reader's temporary file, gone meanwhile
                continue
            if stat.S_ISREG(st.st_mode) and _mode(st) & OPEN_BITS and not is_secret_key(p):
                _chmod(p, _mode(st) & ~OPEN_BITS | PRIVATE_FILE, _mode(st))
                changed.append(str(p.relative_to(root)))
    if changed:
        log.warning(
            "%s: %d path(s) were accessible to group or others and were made owner-only (e.g. %s)",
            root,
            len(changed),
            ", ".join(changed[:3]),
        )
    return sorted(changed)


def _chmod(path: Path, mode: int, was: int) -> None:
    try:
        os.chmod(path, mode)
    except PermissionError:
        raise IntegrityError(
            f"accessible to group or others (mode {was:04o}) and this process may not "
            f"change it: its owner must run `chmod {mode:o} {path}` (or `chmod -R go-rwx` "
            "on the workspace)",
            Where(file=str(path)),
        ) from None


def shown(paths: list[str]) -> dict[str, object]:
    """The audit event's details: exact count, the first names (paths name datasets, no values)."""
    return {"paths": len(paths), "examples": paths[:SHOWN]}
