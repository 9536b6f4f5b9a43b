"""The confinement is one command line: its order and its parts are the security properties."""

from __future__ import annotations

from pathlib import Path

import pytest

from bulle import settings
from bulle.errors import SandboxUnavailable
from bulle.sandbox.command import BASE_ENV, job_command
from bulle.sandbox.host import SandboxHost, _probe
from bulle.sandbox.limits import SandboxLimits, parse_size

HOST = SandboxHost(
    bwrap="/usr/bin/bwrap",
    prlimit="/usr/bin/prlimit",
    setpriv="/usr/bin/setpriv",
    job_uid=999,
    job_gid=995,
    python="/opt/bulle/job-env/bin/python",
    python_binds=("/opt/bulle/job-env",),
    root=Path("/tmp/sb"),
    lib=Path("/tmp/sb/lib-x"),
)


def _argv(host=HOST, **env):
    return job_command(
        host,
        SandboxLimits(),
        ["python", "/job/main.py"],
        data="/d",
        code="/c",
        outputs="/o",
        env=env,
    )


def test_limits_then_privileges_dropped_then_bubblewrap_then_the_job():
    argv = _argv()
    order = [argv.index(t) for t in ("/usr/bin/prlimit", "/usr/bin/setpriv", "/usr/bin/bwrap")]
    assert order == sorted(order)
    assert argv[-2:] == ["/opt/bulle/job-env/bin/python", "/job/main.py"]
    drop = argv[argv.index("/usr/bin/setpriv") : argv.index("/usr/bin/bwrap")]
    for flag in (
        "--reuid=999",
        "--regid=995",
        "--clear-groups",
        "--inh-caps=-all",
        "--bounding-set=-all",
        "--no-new-privs",
    ):
        assert flag in drop


def test_namespaces_environment_and_read_only_views():
    argv = _argv()
    for flag in (
        "--unshare-all",
        "--unshare-user",
        "--disable-userns",
        "--die-with-parent",
        "--clearenv",
        "--new-session",
    ):
        assert flag in argv
    pairs = {(argv[i], argv[i + 2]) for i in range(len(argv) - 2) if argv[i].startswith("--")}
    assert ("--ro-bind", "/data") in pairs and ("--ro-bind", "/job") in pairs
    assert ("--bind", "/outputs") in pairs
    assert "--remount-ro" in argv and argv[argv.index("--remount-ro") + 1] == "/"
    names = [argv[i + 1] for i, a in enumerate(argv) if a == "--setenv"]
    assert set(names) == set(BASE_ENV)


def test_without_root_there_is_no_setpriv_step():
    from dataclasses import replace

    argv = _argv(replace(HOST, setpriv=None))
    assert "/usr/bin/setpriv" not in argv and argv[0] == "/usr/bin/prlimit"


@pytest.mark.parametrize("name", ["LD_PRELOAD", "PATH", "PYTHONPATH", "lower", "A B"])
def test_a_job_may_not_set_dangerous_variables(name):
    with pytest.raises(ValueError):
        _argv(**{name: "x"})


def test_sizes():
    assert parse_size("512MB") == 512_000_000
    assert parse_size("2GiB") == 2 * 1024**3
    assert parse_size("1KiB") == 1024
    with pytest.raises(ValueError):
        parse_size("lots")


def test_limits_come_from_the_settings():
    limits = SandboxLimits.from_settings(settings.defaults())
    assert limits.cpu_seconds == settings.default("sandbox.cpu_seconds")
    assert limits.memory_bytes == parse_size(settings.default("sandbox.memory"))


def test_no_job_python_means_no_jobs_with_the_reason(tmp_path):
    with pytest.raises(SandboxUnavailable) as err:
        _probe("bulle-job", str(tmp_path / "missing" / "python"), str(tmp_path / "root"))
    assert err.value.exit_code == 11
    assert any("sandbox.python" in p.message for p in err.value.problems)


def test_a_missing_job_user_is_refused_as_root(tmp_path):
    import os

    if os.geteuid() != 0:
        pytest.skip("the job user matters only when Bulle runs as root")
    with pytest.raises(SandboxUnavailable) as err:
        _probe("no-such-user-here", "/usr/bin/python3", str(tmp_path / "root"))
    assert any("does not exist" in p.message for p in err.value.problems)


def test_a_sandbox_folder_owned_by_someone_else_is_refused(tmp_path):
    import os

    if os.geteuid() != 0:
        pytest.skip("needs root to give the folder away")
    root = tmp_path / "root"
    root.mkdir()
    os.chown(root, 12345, 12345)
    with pytest.raises(SandboxUnavailable) as err:
        _probe("bulle-job", "/usr/bin/python3", str(root))
    assert any("another user" in p.message for p in err.value.problems)
