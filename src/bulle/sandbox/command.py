"""The command line that starts a job: ``prlimit`` → ``setpriv`` (as root) → ``bwrap`` → job.

Pure: it builds argument lists and touches nothing, so the exact confinement is visible in one
place and testable without running anything. The order is the security property: limits are set
while still privileged (so the job cannot raise them), privileges are dropped *before* bubblewrap
starts (bubblewrap started by root keeps root's capabilities), and bubblewrap then builds the
namespaces as an unprivileged user.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from bulle.sandbox.limits import SandboxLimits

if TYPE_CHECKING:
    from bulle.sandbox.host import SandboxHost

DATA, CODE, OUTPUTS, LIB = "/data", "/job", "/outputs", "/opt/bulle-lib"
_ENV_NAME = re.compile(r"[A-Z][A-Z0-9_]{0,63}")

# The whole environment a job gets (plus the caller's validated extras).
BASE_ENV: dict[str, str] = {
    "PATH": "/usr/bin:/bin",
    "HOME": "/tmp",
    "TMPDIR": "/tmp",
    "LANG": "C.UTF-8",
    "PYTHONPATH": LIB,
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONHASHSEED": "0",
    "MPLCONFIGDIR": "/tmp",
    "MPLBACKEND": "Agg",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "POLARS_MAX_THREADS": "1",
    "BULLE_JOB_DATA": DATA,
    "BULLE_JOB_OUTPUTS": OUTPUTS,
}


def limit_args(host: SandboxHost, limits: SandboxLimits) -> list[str]:
    """``prlimit`` with every limit set hard (and soft), so the job can lower but never raise it."""

    def pair(value: int) -> str:
        return f"{value}:{value}"

    return [
        host.prlimit,
        # SIGXCPU at the limit (a job sees why), SIGKILL one second later if it ignores it
        f"--cpu={limits.cpu_seconds}:{limits.cpu_seconds + 1}",
        f"--as={pair(limits.memory_bytes)}",
        f"--nproc={pair(limits.processes)}",
        f"--fsize={pair(limits.file_size_bytes)}",
        f"--nofile={pair(limits.open_files)}",
        "--core=0:0",
        "--",
    ]


def drop_args(host: SandboxHost) -> list[str]:
    """As root: become the job user, with no groups, no capabilities and no way to regain any."""
    if host.setpriv is None:
        return []
    return [
        host.setpriv,
        f"--reuid={host.job_uid}",
        f"--regid={host.job_gid}",
        "--clear-groups",
        "--inh-caps=-all",
        "--bounding-set=-all",
        "--no-new-privs",
        "--",
    ]


def bwrap_args(
    host: SandboxHost,
    *,
    data: str | None,
    code: str | None,
    outputs: str | None,
    tmp_bytes: int,
    env: Mapping[str, str],
    chdir: str = "/",
) -> list[str]:
    """The namespaces and the file system view: only what is listed here exists for the job."""
    args = [
        host.bwrap,
        "--unshare-all",  # user, pid, net, ipc, uts, cgroup namespaces
        "--unshare-user",
        "--disable-userns",  # no nested user namespaces: less kernel surface
        "--die-with-parent",
        "--as-pid-1",  # the job is waited for by bubblewrap itself: its CPU time is counted
        "--new-session",  # no TIOCSTI into a terminal
        "--clearenv",
        "--cap-drop",
        "ALL",
        "--ro-bind",
        "/usr",
        "/usr",
        "--symlink",
        "usr/bin",
        "/bin",
        "--symlink",
        "usr/lib",
        "/lib",
        "--symlink",
        "usr/sbin",
        "/sbin",
    ]
    if os.path.isdir("/usr/lib64"):
        args += ["--symlink", "usr/lib64", "/lib64"]
    args += ["--proc", "/proc", "--dev", "/dev", "--size", str(tmp_bytes), "--tmpfs", "/tmp"]
    for path in host.python_binds:
        args += ["--ro-bind", path, path]
    if host.lib.is_dir():
        args += ["--ro-bind", str(host.lib), LIB]
    if data is not None:
        args += ["--ro-bind", data, DATA]
    if code is not None:
        args += ["--ro-bind", code, CODE]
    if outputs is not None:
        args += ["--bind", outputs, OUTPUTS]
    args += ["--remount-ro", "/", "--chdir", chdir]  # the root itself: read-only
    for name, value in {**BASE_ENV, **env}.items():
        args += ["--setenv", name, value]
    args.append("--")
    return args


def job_command(
    host: SandboxHost,
    limits: SandboxLimits,
    argv: Sequence[str],
    *,
    data: str,
    code: str,
    outputs: str,
    env: Mapping[str, str] | None = None,
) -> list[str]:
    """The full command for one job; ``argv`` runs inside, with ``/job`` as working folder."""
    extra = dict(env or {})
    for name in extra:
        if not _ENV_NAME.fullmatch(name) or name in {"PATH", "PYTHONPATH", "LD_PRELOAD"}:
            raise ValueError(f"a job may not set the variable {name!r}")
    inside = [host.python if a == "python" else a for a in argv]
    return (
        limit_args(host, limits)
        + drop_args(host)
        + bwrap_args(
            host,
            data=data,
            code=code,
            outputs=outputs,
            tmp_bytes=limits.tmp_bytes,
            env=extra,
            chdir=CODE,
        )
        + inside
    )


def probe_command(host: SandboxHost) -> list[str]:
    """``true`` in an empty sandbox: proves that this machine can build one."""
    return (
        drop_args(host)
        + bwrap_args(host, data=None, code=None, outputs=None, tmp_bytes=1 << 20, env={})
        + ["/usr/bin/true"]
    )
