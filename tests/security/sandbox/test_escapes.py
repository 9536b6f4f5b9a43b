"""Each test is one escape a hostile job tries; each must fail, with a clear reason.

A job that gets through prints ``ESCAPED`` and exits 0, so a hole turns a test red rather than
passing silently. Where the protection is the sandbox rather than the file's mode, a control run
shows the same code succeeding outside it.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

from bulle.sandbox.command import drop_args


def _blocked(result, *words: str) -> None:
    assert "ESCAPED" not in result.stdout, result.stdout
    assert result.state == "failed", (result.state, result.stdout, result.stderr)
    for word in words:
        assert word in result.reason, result.reason


def test_a_plain_job_runs_as_the_unprivileged_user_without_capabilities(run_job, sandbox_host):
    result = run_job(
        """
        import os
        status = dict(l.split(":\\t", 1) for l in open("/proc/self/status").read().splitlines() if ":\\t" in l)
        print(os.getuid(), status["CapEff"].strip(), status["CapBnd"].strip(), status["NoNewPrivs"].strip())
        """
    )
    assert result.state == "succeeded", result.stderr
    uid, eff, bnd, nnp = result.stdout.split()
    assert uid != "0" and int(eff, 16) == 0 and int(bnd, 16) == 0
    if sandbox_host.as_root:
        assert nnp == "1"


def test_tcp_to_a_server_on_the_host_is_refused(run_job):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    code = f"""
        import socket
        s = socket.create_connection(("127.0.0.1", {port}), timeout=3)
        print("ESCAPED")
        """
    try:
        # control: the same code reaches the server from outside the sandbox
        bare = subprocess.run(
            ["/usr/bin/python3", "-c", code.replace("\n        ", "\n")],
            capture_output=True,
            text=True,
        )
        assert "ESCAPED" in bare.stdout
        _blocked(run_job(code), "exited")
    finally:
        server.close()


def test_udp_to_the_host_never_arrives_and_the_outside_is_unreachable(run_job):
    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.bind(("127.0.0.1", 0))
    listener.settimeout(1.0)
    port = listener.getsockname()[1]
    result = run_job(
        f"""
        import socket
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.sendto(b"leak", ("127.0.0.1", {port}))   # its own loopback: nobody listens there
        except OSError:
            pass
        s.sendto(b"leak", ("192.0.2.1", 53))              # anything else: no route
        print("ESCAPED")
        """
    )
    try:
        _blocked(result, "unreachable")
        with pytest.raises(TimeoutError):
            listener.recvfrom(100)
    finally:
        listener.close()


def test_names_do_not_resolve(run_job):
    _blocked(
        run_job(
            """
            import socket
            socket.getaddrinfo("example.org", 443)
            print("ESCAPED")
            """
        )
    )


def test_etc_shadow_is_not_there(run_job):
    _blocked(run_job('open("/etc/shadow").read(); print("ESCAPED")'), "FileNotFoundError")


def test_a_workspace_and_its_keys_cannot_be_read_by_path(run_job, sandbox_host):
    top = Path(tempfile.mkdtemp(prefix="bulle-escape-"))  # outside pytest's private folder
    vault = top / "vault"
    (vault / "keys").mkdir(parents=True)
    secret = vault / "keys" / "pseudonym.key"
    secret.write_text("SECRET-KEY")
    for path in (top, vault, vault / "keys"):
        os.chmod(path, 0o755)
    os.chmod(secret, 0o644)  # even a file anyone may read is out of sight
    code = f'print(open("{secret}").read().replace("SECRET-KEY", "ESCAPED"))'
    if sandbox_host.as_root:  # control: the job user reads it outside the sandbox
        bare = subprocess.run(
            [*drop_args(sandbox_host), "/usr/bin/python3", "-c", code],
            capture_output=True,
            text=True,
        )
        assert "ESCAPED" in bare.stdout, bare.stderr
    try:
        _blocked(run_job(code), "FileNotFoundError")
    finally:
        shutil.rmtree(top)


def test_another_jobs_folders_are_out_of_sight(run_job, sandbox_host):
    first = run_job('open("/outputs/result.txt", "w").write("mine")', data={"view.csv": b"SECRET"})
    assert first.state == "succeeded"
    other = run_job.made[0]
    result = run_job(
        f"""
        import os
        for path in ["{other.data}/view.csv", "{other.outputs}/result.txt"]:
            try:
                print("ESCAPED", open(path).read())
            except OSError:
                pass
        try:
            print("ESCAPED", os.listdir("{sandbox_host.root}"))
        except OSError:
            pass
        raise SystemExit(3)
        """
    )
    _blocked(result, "status 3")


def test_the_servers_environment_is_not_visible(run_job, monkeypatch):
    monkeypatch.setenv("BULLE_TEST_SERVER_SECRET", "s3cr3t-value")
    result = run_job(
        """
        import os
        seen = str(dict(os.environ))
        for pid in os.listdir("/proc"):
            if pid.isdigit():
                try:
                    seen += open(f"/proc/{pid}/environ", "rb").read().decode(errors="replace")
                except OSError:
                    pass
        print("ESCAPED" if "s3cr3t" in seen else "clean", sorted(p for p in os.listdir("/proc") if p.isdigit()))
        """
    )
    assert result.state == "succeeded", result.stderr
    assert "ESCAPED" not in result.stdout and "clean" in result.stdout
    assert (
        result.stdout.split("clean", 1)[1].strip() == "['1']"
    )  # only itself: its own PID namespace


def test_nothing_outside_outputs_is_writable(run_job):
    result = run_job(
        """
        import os
        for path in ["/job/x", "/data/x", "/usr/x", "/x", "/opt/bulle-lib/x", "/opt/bulle/job-env/x", "/proc/x"]:
            try:
                open(path, "w").write("x")
                print("ESCAPED", path)
            except OSError:
                pass
        raise SystemExit(4)
        """
    )
    _blocked(result, "status 4")


def test_a_fork_bomb_hits_the_process_limit_and_leaves_nothing_behind(run_job, sandbox_host):
    # Each child becomes `sleep TOKEN`, a command line no other job has: other tests may run jobs
    # as the same user at the same time, so the leftover check must only see this job's children.
    token = f"59.{secrets.randbelow(10**9):09d}"
    result = run_job(
        f"""
        import os, time
        children = 0
        while True:
            if os.fork() == 0:
                os.execv("/usr/bin/sleep", ["sleep", "{token}"])
            children += 1
            if children > 5000:
                print("ESCAPED")
                break
        """,
        processes=32,
    )
    _blocked(result, "process limit")
    time.sleep(0.5)
    leftover = [
        pid
        for pid in os.listdir("/proc")
        if pid.isdigit()
        and _uid_of(pid) == sandbox_host.job_uid
        and token.encode() in _cmdline_of(pid)
        and sandbox_host.as_root
    ]
    assert leftover == []


def _cmdline_of(pid: str) -> bytes:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read()
    except OSError:
        return b""


def _uid_of(pid: str) -> int | None:
    try:
        return os.stat(f"/proc/{pid}").st_uid
    except OSError:
        return None


def test_memory_past_the_limit_fails_the_job(run_job):
    result = run_job('b = bytearray(6 * 10**9); print("ESCAPED")', memory_bytes=1_500_000_000)
    _blocked(result, "memory limit")


def test_cpu_past_the_limit_fails_the_job(run_job):
    _blocked(run_job("while True: pass", cpu_seconds=1, wall_seconds=30), "CPU time limit")


def test_wall_clock_past_the_limit_kills_the_job(run_job):
    start = time.monotonic()
    result = run_job('import time; time.sleep(60); print("ESCAPED")', wall_seconds=1.5)
    _blocked(result, "wall-clock limit")
    assert time.monotonic() - start < 20


def test_a_file_past_the_size_limit_fails_the_job(run_job):
    result = run_job(
        """
        with open("/outputs/big.bin", "wb") as f:
            for _ in range(100):
                f.write(b"x" * 1_000_000)
        print("ESCAPED")
        """,
        file_size_bytes=5_000_000,
    )
    _blocked(result, "file size limit")


def test_filling_the_outputs_with_many_files_stops_the_job(run_job):
    result = run_job(
        """
        import time
        for i in range(100_000):
            open(f"/outputs/f{i}", "wb").write(b"x" * 1000)
        time.sleep(5)
        print("ESCAPED")
        """,
        output_files=200,
        output_bytes=10**9,
    )
    _blocked(result, "outputs limit")


def test_filling_tmp_hits_its_size(run_job):
    result = run_job(
        """
        with open("/tmp/fill", "wb") as f:
            for _ in range(1000):
                f.write(b"x" * 1_000_000)
                f.flush()
        print("ESCAPED")
        """,
        tmp_bytes=20_000_000,
    )
    _blocked(result, "disk limit")


@pytest.mark.parametrize("target", ["/etc/passwd", "/proc/self/environ", "KEYFILE"])
def test_a_symlink_in_outputs_is_refused_not_followed(run_job, tmp_path, target):
    if target == "KEYFILE":
        target = str(tmp_path / "key")
        (tmp_path / "key").write_text("SECRET")
    result = run_job(
        f"""
        import os
        os.symlink("{target}", "/outputs/table.csv")
        """
    )
    _blocked(result, "symbolic link")
    assert result.outputs == ()


def test_a_fifo_in_outputs_is_refused(run_job):
    result = run_job('import os; os.mkfifo("/outputs/pipe")')
    _blocked(result, "not a regular file")


def test_a_hard_link_in_outputs_is_refused(run_job):
    result = run_job(
        'import os; open("/outputs/a", "w").write("a"); os.link("/outputs/a", "/outputs/b")'
    )
    _blocked(result, "hard link")


def test_setuid_programs_give_no_privilege(run_job):
    result = run_job(
        """
        import os, subprocess
        for prog in ["/usr/bin/su", "/usr/bin/passwd", "/usr/bin/mount", "/usr/bin/newgrp"]:
            if os.path.exists(prog):
                done = subprocess.run([prog, "--help"], capture_output=True)
        os.setuid(0)
        print("ESCAPED")
        """
    )
    _blocked(result, "Error")


def test_the_job_cannot_raise_its_own_limits(run_job):
    result = run_job(
        """
        import resource
        soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
        resource.setrlimit(resource.RLIMIT_CPU, (hard + 100, hard + 100))
        print("ESCAPED")
        """
    )
    _blocked(result, "ValueError")


def test_the_server_thread_survives_many_failing_jobs(run_job):
    results = []

    def work():
        results.append(run_job("raise SystemExit(9)"))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.reason for r in results] == ["the job exited with status 9"] * 4
