"""Temporary folders of exports and imports: marked as Bulle's, and removed once their run died.

``export`` and ``import-workspace`` build their result in ``<dest>.tmp-<pid>`` and rename it
into place. A run killed meanwhile (SIGKILL, out-of-memory killer, power loss) leaves that folder
behind, holding a full copy of the workspace's data. The next export or import into the same
parent removes such leftovers, and only those: a folder is removed when

* its name is ``<something>.tmp-<pid>`` and it is a real directory (not a symbolic link) owned by
  the user running Bulle;
* it holds Bulle's marker file, written first when the folder was made, naming the host and the
  process that made it;
* that host is this one and that process is no longer alive.

Anything else (a folder of the same shape without the marker, a marker naming another host that
shares the file system, a live process) is left alone. The marker is removed just before the
folder is renamed into place, so a finished export or workspace never carries it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import stat
from pathlib import Path

MARKER = ".bulle-partial"
_NAME = re.compile(r".+\.tmp-([0-9]{1,10})\Z")


def make_temporary(tmp: Path) -> None:
    """Create the private folder ``tmp`` with Bulle's marker in it."""
    tmp.mkdir(mode=0o700)
    os.chmod(tmp, 0o700)
    info = {
        "bulle": "partial export or import; removed by the next run once this process is gone",
        "host": socket.gethostname(),
        "pid": os.getpid(),
    }
    fd = os.open(tmp / MARKER, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(info, f)
        f.flush()
        os.fsync(f.fileno())


def unmark(tmp: Path) -> None:
    (tmp / MARKER).unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def is_stale(path: Path) -> bool:
    m = _NAME.match(path.name)
    if m is None:
        return False
    try:
        st = os.lstat(path)
        if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid():
            return False
        with open(path / MARKER, "rb") as f:
            info = json.loads(f.read(4096))
    except (OSError, ValueError):
        return False
    return (
        isinstance(info, dict)
        and info.get("host") == socket.gethostname()
        and info.get("pid") == int(m.group(1))
        and not _alive(int(m.group(1)))
    )


def remove_stale(parent: Path) -> list[str]:
    """Remove the stale temporary folders in ``parent``; returns their names."""
    removed = []
    try:
        entries = list(parent.iterdir())
    except OSError:
        return removed
    for p in entries:
        if is_stale(p):
            shutil.rmtree(p, ignore_errors=True)
            removed.append(p.name)
    return removed
