"""What this machine offers to build a sandbox, checked before any job runs.

:func:`probe` finds bubblewrap, ``setpriv`` and ``prlimit``, the job user and the job Python, and
runs ``true`` in a sandbox once per process to prove that user namespaces work here. Every missing
piece is reported at once in one :class:`SandboxUnavailable`: jobs are refused rather than run
bare (property 7 in :mod:`bulle.sandbox`).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import stat
import subprocess
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bulle.errors import Problem, SandboxUnavailable
from bulle.sandbox.library import ensure_library

ROOT_DIR_MODE = 0o711  # the job folders' parent: others may pass through, never list


@dataclass(frozen=True)
class SandboxHost:
    """The tools and identities one sandbox is built from."""

    bwrap: str
    prlimit: str
    setpriv: str | None  # set when Bulle runs as root: drop to the job user first
    job_uid: int
    job_gid: int
    python: str  # the job interpreter, visible at the same path inside the sandbox
    python_binds: tuple[str, ...]  # what the interpreter needs, bound read-only
    root: Path  # where job folders are made
    lib: Path  # the read-only copy of Bulle's own package the job imports `bulle.job` from
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def as_root(self) -> bool:
        return self.setpriv is not None


_PROBED: dict[tuple, SandboxHost] = {}
_LOCK = threading.Lock()


def probe(settings: Mapping[str, Any]) -> SandboxHost:
    """The sandbox host for these settings, or :class:`SandboxUnavailable` naming every gap."""
    key = tuple(settings[n] for n in ("sandbox.user", "sandbox.python", "sandbox.root"))
    with _LOCK:
        if key in _PROBED:
            return _PROBED[key]
        host = _probe(*key)
        _PROBED[key] = host
        return host


def _probe(user: str, python: str, root_setting: str) -> SandboxHost:
    problems: list[Problem] = []
    bwrap = shutil.which("bwrap", path="/usr/bin:/bin:/usr/local/bin")
    prlimit = shutil.which("prlimit", path="/usr/bin:/bin")
    setpriv_path = shutil.which("setpriv", path="/usr/bin:/bin")
    if bwrap is None:
        problems.append(
            Problem(
                "bubblewrap (bwrap) is not installed: install Debian's bubblewrap (make sandbox)"
            )
        )
    if prlimit is None:
        problems.append(Problem("prlimit is not installed (util-linux)"))
    as_root = os.geteuid() == 0
    job_uid, job_gid = os.getuid(), os.getgid()
    if as_root:
        if setpriv_path is None:
            problems.append(Problem("setpriv is not installed (util-linux)"))
        try:
            entry = pwd.getpwnam(user)
            job_uid, job_gid = entry.pw_uid, entry.pw_gid
            if job_uid == 0 or job_gid == 0:
                problems.append(Problem(f"the job user {user!r} must not be root"))
        except KeyError:
            problems.append(
                Problem(
                    f"Bulle runs as root and the job user {user!r} does not exist: create the "
                    "system user (make sandbox), jobs are never run as root"
                )
            )
    python_binds: tuple[str, ...] = ()
    if not os.path.isfile(python) or not os.access(python, os.X_OK):
        problems.append(
            Problem(
                f"the job Python {python!r} (setting sandbox.python) does not exist: build the "
                "job environment (make sandbox)"
            )
        )
    else:
        python_binds = _python_binds(Path(python))
    root = (
        Path(root_setting)
        if root_setting
        else Path(tempfile.gettempdir()) / f"bulle-sandbox-{os.geteuid()}"
    )
    if not problems:
        try:
            _own_dir(root)
        except OSError as exc:
            problems.append(Problem(f"the sandbox folder {root} cannot be used: {exc}"))
    if problems:
        raise SandboxUnavailable(
            "jobs cannot run on this machine: the sandbox cannot be built", problems=problems
        )
    host = SandboxHost(
        bwrap=bwrap,  # type: ignore[arg-type]
        prlimit=prlimit,  # type: ignore[arg-type]
        setpriv=setpriv_path if as_root else None,
        job_uid=job_uid,
        job_gid=job_gid,
        python=python,
        python_binds=python_binds,
        root=root,
        lib=ensure_library(root, job_gid if as_root else None),
    )
    _check_runs(host)
    return host


def _python_binds(python: Path) -> tuple[str, ...]:
    """The virtual environment the interpreter belongs to, and its base if outside ``/usr``."""
    env = python.parent.parent
    binds = [str(env)]
    cfg = env / "pyvenv.cfg"
    if cfg.is_file():
        for line in cfg.read_text().splitlines():
            key, _, value = line.partition("=")
            if key.strip() == "home":
                base = Path(value.strip()).parent  # .../bin -> the installation prefix
                if not str(base).startswith("/usr"):
                    binds.append(str(base))
    return tuple(binds)


def _own_dir(root: Path) -> None:
    """Make ``root`` ours, 0711; refuse one somebody else made (a shared temp folder)."""
    with contextlib.suppress(FileExistsError):
        root.mkdir(mode=ROOT_DIR_MODE)
    info = os.lstat(root)
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
        raise OSError(f"{root} is not a directory of its own (a link or a file is in the way)")
    if info.st_uid != os.geteuid():
        raise OSError(f"{root} belongs to another user (uid {info.st_uid})")
    os.chmod(root, ROOT_DIR_MODE)


def _check_runs(host: SandboxHost) -> None:
    """Run ``true`` inside a sandbox: user namespaces may be disabled on this kernel."""
    from bulle.sandbox.command import probe_command

    try:
        done = subprocess.run(
            probe_command(host), capture_output=True, timeout=30, env={"PATH": "/usr/bin:/bin"}
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SandboxUnavailable(f"the sandbox cannot start: {exc}") from None
    if done.returncode != 0:
        detail = done.stderr.decode(errors="replace").strip()[-400:]
        raise SandboxUnavailable(
            "the sandbox cannot start on this machine (user namespaces may be disabled): " + detail
        )
