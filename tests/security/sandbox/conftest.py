"""A real sandbox on this machine (bubblewrap, the job user, the job Python from `make sandbox`)."""

from __future__ import annotations

import tempfile
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest


@pytest.fixture
def run_job(sandbox_host, tmp_path):
    """Run Python source in a fresh job; returns the result (outputs copied under tmp_path)."""
    from bulle.sandbox import SandboxLimits, make_folders, remove
    from bulle.sandbox.folders import hand_over
    from bulle.sandbox.runner import run_argv

    made = []

    def run(source: str, limits=None, data: dict[str, bytes] | None = None, **limit_changes):
        folders = make_folders(sandbox_host, "test")
        made.append(folders)
        (folders.code / "main.py").write_text(textwrap.dedent(source))
        for name, content in (data or {}).items():
            (folders.data / name).write_bytes(content)
        hand_over(sandbox_host, folders)
        base = limits or SandboxLimits(cpu_seconds=30, wall_seconds=60, memory_bytes=2 * 10**9)
        if limit_changes:
            base = replace(base, **limit_changes)
        dest = Path(tempfile.mkdtemp(dir=tmp_path))
        return run_argv(sandbox_host, folders, base, ["python", "/job/main.py"], dest)

    run.made = made
    yield run
    for folders in made:
        remove(folders)
