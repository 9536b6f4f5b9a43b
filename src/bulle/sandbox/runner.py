"""Run one job in the sandbox and say plainly how it ended.

The runner owns the wall clock (it kills the job's whole process tree when time is up) and
watches the outputs folder's size while the job runs; the kernel enforces the rest (rlimits,
namespaces). The result names the limit that stopped a job, and the job's printed output is
capped so that a chatty job cannot fill the server's memory.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bulle.sandbox.command import job_command
from bulle.sandbox.folders import JobFolders
from bulle.sandbox.host import SandboxHost
from bulle.sandbox.limits import SandboxLimits
from bulle.sandbox.outputs import CollectedFile, OutputProblem, collect, measure

LOG_CAP = 256 * 1024  # bytes of stdout and of stderr kept from a job
POLL_S = 0.1  # how often the wall clock and the outputs folder are looked at


@dataclass(frozen=True)
class SandboxSpec:
    argv: tuple[str, ...]  # inside the sandbox; "python" means the job interpreter
    folders: JobFolders
    limits: SandboxLimits
    env: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SandboxResult:
    state: str  # "succeeded" | "failed" | "cancelled"
    reason: str  # empty when it succeeded; otherwise which limit or error stopped it
    exit_code: int | None
    signal: str | None
    wall_seconds: float
    cpu_seconds: float
    max_rss_bytes: int
    stdout: str
    stderr: str
    outputs: tuple[CollectedFile, ...]

    def to_dict(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        out["outputs"] = [o.to_dict() for o in self.outputs]
        return out


class _Tail(threading.Thread):
    """Reads a pipe to the end, keeping the first ``LOG_CAP`` bytes (the rest is drained)."""

    def __init__(self, pipe) -> None:
        super().__init__(daemon=True)
        self.pipe = pipe
        self.kept = bytearray()
        self.dropped = 0

    def run(self) -> None:
        while chunk := self.pipe.read(65536):
            room = LOG_CAP - len(self.kept)
            self.kept += chunk[:room]
            self.dropped += max(0, len(chunk) - room)

    def text(self) -> str:
        body = self.kept.decode("utf-8", errors="replace")
        return body + (f"\n[... {self.dropped} more bytes not kept]" if self.dropped else "")


def run(
    host: SandboxHost,
    spec: SandboxSpec,
    collect_to: Path,
    cancel: threading.Event | None = None,
) -> SandboxResult:
    """Run ``spec`` confined; copy its outputs to ``collect_to`` (a private folder) if it ends well."""
    argv = job_command(
        host,
        spec.limits,
        spec.argv,
        data=str(spec.folders.data),
        code=str(spec.folders.code),
        outputs=str(spec.folders.outputs),
        env=spec.env,
    )
    start = time.monotonic()
    proc = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        close_fds=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    out, err = _Tail(proc.stdout), _Tail(proc.stderr)
    out.start()
    err.start()
    stopped_for = ""
    waited: dict[str, object] = {}
    ended = threading.Event()

    def wait() -> None:  # a blocking wait: the job's end is seen at once, not at the next poll
        _, waited["status"], waited["rusage"] = os.wait4(proc.pid, 0)
        ended.set()

    waiter = threading.Thread(target=wait, daemon=True)
    waiter.start()
    while not ended.wait(POLL_S):
        elapsed = time.monotonic() - start
        if elapsed > spec.limits.wall_seconds:
            stopped_for = f"wall-clock limit: ran past {spec.limits.wall_seconds:g} s"
        elif cancel is not None and cancel.is_set():
            stopped_for = "cancelled"
        else:
            size, count = measure(spec.folders.outputs, spec.limits.output_files)
            if size > spec.limits.output_bytes:
                stopped_for = f"outputs limit: more than {spec.limits.output_bytes:,} bytes"
            elif count > spec.limits.output_files:
                stopped_for = f"outputs limit: more than {spec.limits.output_files:,} files"
        if stopped_for:
            _kill(proc.pid)
            ended.wait()
            break
    waiter.join()
    status, rusage = waited["status"], waited["rusage"]
    proc.returncode = os.waitstatus_to_exitcode(status)
    out.join(5)
    err.join(5)
    proc.stdout.close()
    proc.stderr.close()
    wall = time.monotonic() - start
    cpu = rusage.ru_utime + rusage.ru_stime
    exit_code, sig = _decode(proc.returncode)
    stderr = err.text()
    reason = stopped_for or _reason(exit_code, sig, stderr, spec.limits, cpu)
    collected: tuple[CollectedFile, ...] = ()
    if not reason:
        try:
            collected = collect(spec.folders.outputs, collect_to, spec.limits)
        except OutputProblem as exc:
            reason = f"outputs refused: {exc}"
    state = "cancelled" if stopped_for == "cancelled" else ("failed" if reason else "succeeded")
    return SandboxResult(
        state=state,
        reason=reason,
        exit_code=exit_code,
        signal=sig,
        wall_seconds=round(wall, 3),
        cpu_seconds=round(cpu, 3),
        max_rss_bytes=int(rusage.ru_maxrss) * 1024,
        stdout=out.text(),
        stderr=stderr,
        outputs=collected,
    )


def _kill(pid: int) -> None:
    """SIGKILL bubblewrap's process group; ``--die-with-parent`` and the PID namespace take the
    rest of the job's processes down with it."""
    for target in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        with contextlib.suppress(ProcessLookupError):
            target()


def _decode(code: int) -> tuple[int | None, str | None]:
    """bubblewrap reports a job killed by signal N as exit 128+N; the kernel as -N."""
    if code < 0:
        return None, signal.Signals(-code).name
    if code > 128 and code - 128 in signal.valid_signals():
        return code, signal.Signals(code - 128).name
    return code, None


def _reason(
    code: int | None, sig: str | None, stderr: str, limits: SandboxLimits, cpu: float
) -> str:
    if sig == "SIGXCPU" or (sig == "SIGKILL" and cpu >= limits.cpu_seconds * 0.9):
        return f"CPU time limit: used more than {limits.cpu_seconds} s"
    if sig == "SIGXFSZ" or "File too large" in stderr:
        return f"file size limit: a file grew past {limits.file_size_bytes:,} bytes"
    tail = stderr.strip().splitlines()[-1] if stderr.strip() else ""
    if "MemoryError" in tail or "Cannot allocate memory" in stderr or "std::bad_alloc" in stderr:
        return f"memory limit: needed more than {limits.memory_bytes:,} bytes"
    if "BlockingIOError" in tail or "Resource temporarily unavailable" in tail:
        return f"process limit: more than {limits.processes} processes"
    if "No space left on device" in stderr:
        return "disk limit: the job's temporary space is full"
    if sig is not None:
        return f"killed by {sig}"
    if code:
        return f"the job exited with status {code}" + (f": {tail[:300]}" if tail else "")
    return ""


def run_argv(
    host: SandboxHost,
    folders: JobFolders,
    limits: SandboxLimits,
    argv: Sequence[str],
    collect_to: Path,
) -> SandboxResult:
    """Convenience for tests and benchmarks: run ``argv`` in ``folders`` with ``limits``."""
    return run(host, SandboxSpec(tuple(argv), folders, limits), collect_to)
