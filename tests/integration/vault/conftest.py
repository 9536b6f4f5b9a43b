from __future__ import annotations

import pytest

from bulle.domain.actor import Actor, Role
from bulle.workspace import Workspace


@pytest.fixture
def custodian() -> Actor:
    return Actor("alice", Role.CUSTODIAN)


@pytest.fixture
def ws(tmp_path, custodian):
    w = Workspace.init(tmp_path / "ws", custodian)
    yield w
    w.close()


@pytest.fixture
def snapshot():
    return _snapshot


def _snapshot(ws: Workspace) -> tuple:
    """What a failed operation must leave unchanged: catalog rows and files under data/."""
    versions = [v.to_dict() for v in ws.catalog.versions()]
    files = sorted(
        str(p.relative_to(ws.root))
        for p in (ws.root / "data").rglob("*")
        if p.is_file() and ".tmp" not in p.parts
    )
    return versions, files


# -- reading as another local user ------------------------------------------------------------------
# Tests run as root, and root reads any file whatever its mode: privacy is checked by a child
# process that has dropped to an unprivileged uid, in a folder that uid may traverse.

NOBODY = 65534
_PROBE = (
    'for p in "$@"; do if [ -d "$p" ]; then ls "$p" >/dev/null 2>&1 && echo "$p"; '
    'else cat "$p" >/dev/null 2>&1 && echo "$p"; fi; done; exit 0'
)


def readable_by_nobody(paths) -> set[str]:
    """The paths (files read whole, directories listed) that uid/gid 65534 can read."""
    import subprocess

    paths = [str(p) for p in paths]
    done = subprocess.run(
        ["/bin/sh", "-c", _PROBE, "probe", *paths],
        user=NOBODY,
        group=NOBODY,
        extra_groups=[],
        cwd="/",
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return set(done.stdout.splitlines())


@pytest.fixture
def open_dir():
    """A folder other users may traverse (pytest's tmp_path is 0700), holding a world-readable
    control file that the unprivileged child must be able to read."""
    import os
    import shutil
    import tempfile
    from pathlib import Path

    if os.geteuid() != 0:
        pytest.skip("needs root to start a child as another uid")
    d = Path(tempfile.mkdtemp(prefix="bulle-modes-", dir="/tmp"))
    os.chmod(d, 0o755)
    control = d / "control.txt"
    control.write_text("public\n")
    os.chmod(control, 0o644)
    assert readable_by_nobody([control, d]) == {str(control), str(d)}, (
        "the probe cannot read at all"
    )
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def nobody_reads():
    return readable_by_nobody
