"""The sandbox analysts' code runs in: the one module allowed to start untrusted code.

Analysts and their code are not trusted. A job runs under bubblewrap, entered as an unprivileged
user, and sees only what it was handed. The properties below are what this package guarantees;
each has a test in ``tests/security/sandbox/`` that tries the escape and fails if it succeeds.

1. **No privileges.** Started by root, Bulle first drops to a dedicated system user
   (``sandbox.user``, default ``bulle-job``) with ``setpriv`` (no supplementary groups, no
   capabilities in any set, ``no_new_privs``), *then* starts bubblewrap, which builds the sandbox
   in an unprivileged user namespace. (bubblewrap started by root keeps root's capabilities even
   with ``--cap-drop ALL``: the order matters.) Started by another user, bubblewrap runs as that
   user in a user namespace; the job never holds a capability outside it.
2. **Nothing in sight but the job's own view.** A new mount namespace holds: ``/usr`` (and its
   ``/bin``, ``/lib`` links) and the fixed Python environment read-only, a read-only ``/data``
   (the project's view materialised for this job: never the vault), a read-only ``/job`` (the
   code), one writable ``/outputs``, a private size-limited ``/tmp``, a fresh ``/proc`` of its own
   PID namespace and a minimal ``/dev``. No ``/etc`` (so no ``/etc/shadow``, no resolver), no
   home, no workspace, no keys, catalog or audit log, no other job's folder.
3. **A clean environment.** ``--clearenv`` and a fixed list of variables: the server's variables
   (``BULLE_CUSTODIAN_PASSPHRASE``...) never reach the job, and in its own PID namespace
   ``/proc/1/environ`` is the sandbox's init, not the server.
4. **No network.** Its own network namespace with only a loopback: no TCP, no UDP, no name
   resolution.
5. **Limits.** CPU time, address space, processes, file size and open files by ``setrlimit``
   (``prlimit``, inherited across the ``setpriv``/``bwrap`` chain); wall-clock time by the runner,
   which kills the whole process group; ``/tmp`` is a tmpfs of bounded size; the outputs folder's
   total size and file count are checked while the job runs and afterwards.
6. **Outputs are data, never links.** Collected with ``lstat`` and ``O_NOFOLLOW``: a symbolic
   link, a device, a FIFO or a socket in the outputs fails the job, so a job cannot point Bulle at
   a file outside.
7. **No bare fallback.** If the sandbox cannot be built on this machine (no bubblewrap, no user
   namespaces, no job user while running as root, no job Python), jobs are refused with
   :class:`bulle.errors.SandboxUnavailable` (exit 11) saying why; nothing ever runs unconfined.

What it does not protect against: kernel vulnerabilities (the sandbox is namespaces and rlimits,
not a virtual machine), covert timing channels between jobs, and disclosure through the outputs
themselves, which is what the disclosure checks and the two reviewers are for.
"""

from bulle.sandbox.folders import JobFolders, make_folders, remove
from bulle.sandbox.host import SandboxHost, probe
from bulle.sandbox.limits import SandboxLimits
from bulle.sandbox.runner import SandboxResult, SandboxSpec, run

__all__ = [
    "JobFolders",
    "SandboxHost",
    "SandboxLimits",
    "SandboxResult",
    "SandboxSpec",
    "make_folders",
    "probe",
    "remove",
    "run",
]
