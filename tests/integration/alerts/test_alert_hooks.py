"""Alerts raised where the facts appear: sign-in lockouts, a server start after a crash."""

from __future__ import annotations

import datetime as dt
import os
from contextlib import contextmanager

import pytest

from bulle.catalog import tasks_store
from bulle.domain.actor import Actor, Role
from bulle.errors import Unauthenticated
from bulle.server.tasks import TaskRunner
from bulle.services import auth
from bulle.services.settings import set_setting
from bulle.workspace import Workspace

from .servers import SMTPServer, serve

T0 = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def smtp():
    server = SMTPServer()
    serve(server)
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def ws(tmp_path, smtp):
    with Workspace.init(tmp_path / "ws", Actor("carol", Role.CUSTODIAN)) as w:
        set_setting(w, "alerts.smtp_host", "127.0.0.1")
        set_setting(w, "alerts.smtp_port", str(smtp.server_address[1]))
        set_setting(w, "alerts.to", "dpo@hospital.example")
        yield w


def test_a_lockout_storm_of_sign_ins_alerts_once_without_names(ws, smtp):
    set_setting(ws, "auth.lockout_failures", "1")
    set_setting(ws, "alerts.lockout_storm", "3")
    names = [f"guess{i}" for i in range(5)]
    for i, name in enumerate(names):
        with pytest.raises(Unauthenticated):
            auth.authenticate(ws, name, "wrong password!", at=T0 + dt.timedelta(seconds=i))
        assert len(smtp.messages) == (1 if i >= 2 else 0)
    (mail,) = smtp.messages
    assert "3 account names were locked out" in mail["data"]
    assert not any(n in mail["data"] for n in names)
    # a lockout outside the window starts counting again
    set_setting(ws, "alerts.lockout_storm_window_s", "10")
    with pytest.raises(Unauthenticated):
        auth.authenticate(ws, "late", "wrong password!", at=T0 + dt.timedelta(hours=2))
    assert len(smtp.messages) == 1


def test_tasks_interrupted_by_a_crash_alert_at_start(ws, smtp):
    with ws.catalog.transaction() as con:
        tasks_store.add(con, "t1", "import", "carol", "custodian", T0.isoformat(), os.getpid())

    @contextmanager
    def session(actor):
        yield ws.store.session(actor)

    runner = TaskRunner(ws.root, 1, session)
    try:
        assert runner.recover() == ["t1"]
    finally:
        runner.close()
    (mail,) = smtp.messages
    assert "1 task(s) interrupted" in mail["data"]
