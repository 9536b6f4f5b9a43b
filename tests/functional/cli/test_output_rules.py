"""`--output` (and every file output) replaces only a regular file, knows its extensions, and
writes privately: run as root, a device, a FIFO, a directory or a symbolic link at the output
path is refused and left exactly as it was (``bulle.outputs``)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest

CSV = "id;nom;age\n1;Dupont;34\n2;Martin;35\n"


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    base = tmp_path_factory.mktemp("outputs")
    (base / "t.csv").write_text(CSV)
    for args in (
        ("init", base / "ws"),
        ("-w", base / "ws", "import", base / "t.csv", "--dataset", "t"),
    ):
        p = subprocess.run(
            [sys.executable, "-m", "bulle", *map(str, args)],
            capture_output=True,
            text=True,
            env={**os.environ, "BULLE_USER": "tester"},
            timeout=300,
        )
        assert p.returncode == 0, p.stderr
    return base


def _special(tmp_path, kind):
    """A path holding something other than a regular file, and how to tell it is unchanged."""
    p = tmp_path / f"out-{kind}.csv"
    if kind == "device":  # our own null device, so a broken rule cannot damage the machine's
        try:
            os.mknod(p, stat.S_IFCHR | 0o666, os.makedev(1, 3))
        except PermissionError:
            pytest.skip("cannot create a device node here")
    elif kind == "fifo":
        os.mkfifo(p)
    elif kind == "directory":
        p.mkdir()
        (p / "inside").write_text("kept")
    elif kind == "symlink-to-device":
        os.symlink("/dev/null", p)
    st = os.lstat(p)
    return p, (stat.S_IFMT(st.st_mode), st.st_rdev, st.st_ino)


def _same(p, before):
    st = os.lstat(p)
    return (stat.S_IFMT(st.st_mode), st.st_rdev, st.st_ino) == before


KINDS = ["device", "fifo", "directory", "symlink-to-device"]


@pytest.mark.parametrize("kind", KINDS)
def test_export_table_refuses_a_non_regular_output(bulle, ws, tmp_path, kind):
    assert os.geteuid() == 0  # the case that matters: root may replace anything
    target, before = _special(tmp_path, kind)
    r = bulle("-w", ws / "ws", "export-table", "t", target, "--json")
    assert r.code == 2, r.err
    assert "Bulle only replaces a regular file" in r.error()["message"] and r.error()["where"][
        "file"
    ] == str(target)
    assert _same(target, before)
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]  # no temporary left either


@pytest.mark.parametrize("kind", KINDS)
def test_every_other_output_option_refuses_it_before_any_work(bulle, ws, tmp_path, kind):
    target, before = _special(tmp_path, kind)
    (tmp_path / "h.csv").write_text("34;*\n35;*\n")
    html = tmp_path / f"r-{kind}.html"
    os.symlink(target, html)
    runs = [
        (
            "anonymize",
            "--input",
            ws / "t.csv",
            "--hierarchy",
            f"age={tmp_path / 'h.csv'}",
            "--k",
            "2",
            "--output",
            target,
        ),
        (
            "hierarchy",
            "build",
            "--kind",
            "flat",
            "--input",
            ws / "t.csv",
            "--column",
            "nom",
            "--output",
            target,
        ),
        ("risk", "--input", ws / "t.csv", "--qi", "age", "--html", html),
        ("text", "detect", "--input", ws / "t.csv", "--output", target),
        ("-w", ws / "ws", "read", "t", "--project", "p", "--output", target),
        ("-w", ws / "ws", "query", "SELECT 1", "--project", "p", "--output", target),
    ]
    for args in runs:
        r = bulle(*args, "--json")
        assert r.code == 2, (args, r.err)
        assert "Bulle only replaces a regular file" in r.error()["message"], (args, r.err)
        assert _same(target, before)


def test_unknown_extensions_refused(bulle, ws, tmp_path):
    for args in (
        ("-w", ws / "ws", "export-table", "t", tmp_path / "x.xlsx"),
        (
            "anonymize",
            "--input",
            ws / "t.csv",
            "--hierarchy",
            "age=h.csv",
            "--k",
            "2",
            "--output",
            tmp_path / "x.xlsx",
        ),
        (
            "hierarchy",
            "build",
            "--kind",
            "flat",
            "--input",
            ws / "t.csv",
            "--column",
            "nom",
            "--output",
            tmp_path / "h.txt",
        ),
        ("risk", "--input", ws / "t.csv", "--qi", "age", "--html", tmp_path / "r.pdf"),
    ):
        r = bulle(*args, "--json")
        assert r.code == 2, (args, r.err)
        assert "output" in r.error()["message"], r.err
    assert list(tmp_path.iterdir()) == []


def test_outputs_are_private_whatever_the_umask(ws, tmp_path):
    """Mode 0600 even under umask 000, and an unprivileged local account cannot read the file."""
    outs = [tmp_path / "t.csv", tmp_path / "h.csv"]
    for args in (
        ("-w", ws / "ws", "export-table", "t", outs[0]),
        (
            "hierarchy",
            "build",
            "--kind",
            "flat",
            "--input",
            ws / "t.csv",
            "--column",
            "nom",
            "--output",
            outs[1],
        ),
    ):
        p = subprocess.run(
            [sys.executable, "-m", "bulle", *map(str, args)],
            capture_output=True,
            text=True,
            env={**os.environ, "BULLE_USER": "tester"},
            timeout=300,
            preexec_fn=lambda: os.umask(0),
        )
        assert p.returncode == 0, p.stderr
    os.chmod(tmp_path, 0o755)  # the folder is open: only the file's own mode protects it
    for out in outs:
        assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
        assert out.read_text()  # the owner reads it
        assert _unprivileged_read(out) == "denied"


def _unprivileged_read(path) -> str:
    """Try to read ``path`` from a forked child running as nobody (root reads anything)."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 3
        try:
            os.setgid(65534)
            os.setuid(65534)
            try:
                with open(path, "rb") as f:
                    f.read(1)
                code = 0
            except PermissionError:
                code = 1
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return {0: "read", 1: "denied"}.get(os.waitstatus_to_exitcode(status), "error")


def test_a_regular_file_is_still_replaced(bulle, ws, tmp_path):
    out = tmp_path / "t.csv"
    out.write_text("old")
    r = bulle("-w", ws / "ws", "export-table", "t", out, "--json")
    assert r.code == 0, r.err
    assert "Dupont" in out.read_text() and sorted(p.name for p in tmp_path.iterdir()) == ["t.csv"]
