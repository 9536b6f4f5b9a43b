"""A signed log of ten events, rebuilt for each test."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.spec.audit.audit_tamper import Env, N, event

from bulle.audit.heads import FileHeadStore
from bulle.audit.keys import generate_signing_key
from bulle.audit.log import AuditLog


@pytest.fixture(scope="session")
def signing_key():
    return generate_signing_key()


@pytest.fixture(scope="session")
def other_key():
    return generate_signing_key()


@pytest.fixture
def env(tmp_path: Path, signing_key) -> Env:
    heads = FileHeadStore(tmp_path / "head.json")
    log = AuditLog.create(tmp_path / "audit.jsonl", signing_key, "ws-0001", heads)
    log.append_many(event(i) for i in range(1, N + 1))
    log.close()
    return Env(tmp_path / "audit.jsonl", heads, signing_key, log)
