from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass

import pytest


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self):
        return json.loads(self.out)

    def error(self):
        return json.loads(self.err)["error"]


def _run(*args: str, input: str | None = None, env: dict | None = None) -> Run:
    e = {**os.environ, "BULLE_USER": "tester", **(env or {})}
    p = subprocess.run(
        [sys.executable, "-m", "bulle", *map(str, args)],
        capture_output=True,
        text=True,
        input=input,
        env=e,
        timeout=600,
    )
    return Run(p.returncode, p.stdout, p.stderr)


@pytest.fixture
def bulle():
    return _run
