"""A real workspace (catalog, audit log, key folder) opened by its custodian, and a clock."""

from __future__ import annotations

import datetime as dt

import pytest

from bulle.audit.log import AuditLog
from bulle.domain.actor import Actor, Role
from bulle.workspace import Workspace

PASSWORD = "Tr0ub4dor&3-horse-staple"
T0 = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def ws(tmp_path):
    w = Workspace.init(tmp_path / "ws", Actor("carol", Role.CUSTODIAN))
    yield w
    w.close()


def events(ws, kind=None):
    """The events of the workspace's log, as written (optionally of one kind)."""
    out = [e.event for e in AuditLog.open(ws.root / "audit" / "log.jsonl").read()]
    return [e for e in out if kind is None or e["kind"] == kind]


def later(**kw) -> dt.datetime:
    return T0 + dt.timedelta(**kw)
