"""Alerts reach a real SMTP server and a real webhook on 127.0.0.1; deliveries are audited."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from bulle.domain.actor import Actor, Role
from bulle.errors import AccessDenied, InputError, ServerUnreachable
from bulle.services import alerts
from bulle.services.audit import verify_workspace_log
from bulle.services.settings import set_setting
from bulle.workspace import Workspace

from .servers import HookServer, SMTPServer, serve

ALICE = Actor("alice", Role.CUSTODIAN)


@pytest.fixture
def smtp():
    server = SMTPServer()
    serve(server)
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def hook():
    server = HookServer()
    serve(server)
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def ws(tmp_path):
    with Workspace.init(tmp_path / "ws", ALICE) as w:
        yield w


def _mail_to(ws, smtp) -> None:
    set_setting(ws, "alerts.smtp_host", "127.0.0.1")
    set_setting(ws, "alerts.smtp_port", str(smtp.server_address[1]))
    set_setting(ws, "alerts.to", "dpo@hospital.example,custodian@hospital.example")


def _deliveries(ws) -> list[dict]:
    return [e.event["details"] for e in ws.audit_log.read() if e.event["kind"] == "alert.deliver"]


def test_test_alert_by_mail_and_webhook(ws, smtp, hook):
    _mail_to(ws, smtp)
    set_setting(ws, "alerts.webhook_url", f"http://127.0.0.1:{hook.server_address[1]}/bulle")
    sent = alerts.send_test(ws)
    assert [(d.channel, d.ok) for d in sent.deliveries] == [("smtp", True), ("webhook", True)]
    (mail,) = smtp.messages
    assert len(mail["rcpt"]) == 2 and "Subject: [Bulle] Test alert" in mail["data"]
    (path, body) = hook.posts[0]
    assert path == "/bulle" and json.loads(body)["kind"] == "test"
    assert [(d["channel"], d["ok"], d["kind"]) for d in _deliveries(ws)] == [
        ("smtp", True, "test"),
        ("webhook", True, "test"),
    ]


def test_failed_delivery_is_recorded_and_test_refused(ws, smtp):
    _mail_to(ws, smtp)
    port = smtp.server_address[1]
    smtp.shutdown()
    smtp.server_close()  # nothing listens there now
    set_setting(ws, "alerts.smtp_port", str(port))
    with pytest.raises(ServerUnreachable):
        alerts.send_test(ws)
    (d,) = _deliveries(ws)
    assert d["ok"] is False and d["error"] == "ConnectionRefusedError"


def test_no_channel_and_non_custodian_are_refused(ws):
    with pytest.raises(InputError):
        alerts.send_test(ws)
    with pytest.raises(AccessDenied):
        alerts.send_test(Workspace(ws.store, Actor("bob", Role.ANALYST)))


@pytest.mark.parametrize("url", ["http://8.8.8.8/hook", "http://1.1.1.1:8080/x"])
def test_public_webhook_is_refused(ws, url):
    with pytest.raises(InputError, match="not on the local network"):
        alerts.local_webhook(url)
    set_setting(ws, "alerts.webhook_url", url)
    with pytest.raises(ServerUnreachable):
        alerts.send_test(ws)  # nothing was sent: refused before connecting
    assert _deliveries(ws)[0]["error"] == "InputError"


def test_redirect_is_not_followed(ws):
    server = HookServer(status=302)
    serve(server)
    try:
        set_setting(ws, "alerts.webhook_url", f"http://127.0.0.1:{server.server_address[1]}/")
        with pytest.raises(ServerUnreachable):
            alerts.send_test(ws)
    finally:
        server.shutdown()
        server.server_close()


def test_failed_verification_alerts(ws, smtp):
    _mail_to(ws, smtp)
    assert verify_workspace_log(ws).ok and smtp.messages == []
    log = ws.audit_dir / "log.jsonl"
    lines = log.read_bytes().splitlines(keepends=True)
    lines[1] = lines[1].replace(b'"workspace.init"', b'"workspace.initx"')
    log.write_bytes(b"".join(lines))
    assert not verify_workspace_log(ws).ok
    assert any("Audit log verification failed" in m["data"] for m in smtp.messages)


def test_lockout_storm_alerts_once(ws, smtp):
    from bulle.catalog.accounts_store import AccountsStore

    _mail_to(ws, smtp)
    set_setting(ws, "alerts.lockout_storm", "3")
    now = dt.datetime.now(dt.UTC)
    st = AccountsStore(ws.catalog)
    for i in range(5):
        st.set_lockout(f"{i:064x}", now, now + dt.timedelta(minutes=5))
        alerts.lockout(ws, now)
    storms = [m for m in smtp.messages if "locked out" in m["data"]]
    assert len(storms) == 1 and "3 account names" in storms[0]["data"]


def test_long_alert_settings_survive_export_and_import(ws, tmp_path):
    from bulle.services.exchange import export_workspace, import_workspace

    url = "http://10.0.0.5:8080/" + "hooks/" * 15 + "bulle"  # longer than 64 characters
    to = "dpo@hopital-exemple.fr,custodian@hopital-exemple.fr,rssi@hopital-exemple.fr"
    set_setting(ws, "alerts.webhook_url", url)
    set_setting(ws, "alerts.to", to)
    export_workspace(ws, tmp_path / "exp")
    import_workspace(tmp_path / "exp", tmp_path / "ws2", ALICE)
    with Workspace.open(tmp_path / "ws2", ALICE) as w2:
        assert w2.settings["alerts.webhook_url"] == url and w2.settings["alerts.to"] == to
