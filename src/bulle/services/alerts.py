"""Alerts to the DPO and the custodian: what a breach notification (GDPR art. 33) starts from.

Raised where the facts appear: a failed audit verification and a witness divergence
(``services/audit.py``), a lockout storm (``services/auth.py``: ``alerts.lockout_storm`` lockouts
within ``alerts.lockout_storm_window_s``), tasks interrupted by a server stop (the task runner's
start-up) and jobs interrupted; outputs waiting for a checker longer than ``alerts.review_age_h``
are found by ``bulle alerts check`` (run it from a timer).

Channels come from the settings table: e-mail through ``alerts.smtp_host`` to ``alerts.to``, and a
JSON webhook at ``alerts.webhook_url``, which must be on the local network: its host must resolve
to loopback, private or link-local addresses only, and redirects are not followed, so an alert
never leaves for the Internet. A message says what happened with counts and the workspace's id,
never a person's data or an account name. Every delivery is recorded (``alert.deliver``: kind,
channel, delivered or the error's class), and a failed delivery never breaks the operation that
raised the alert: an attacker who blocks the mail server must not also stop audit verification.
"""

from __future__ import annotations

import datetime as dt
import http.client
import ipaddress
import json
import smtplib
import socket
import urllib.parse
from dataclasses import dataclass
from email.message import EmailMessage
from typing import TYPE_CHECKING

from bulle.audit import events as ev
from bulle.domain.actor import Actor
from bulle.errors import InputError, ServerUnreachable, Where
from bulle.governance import access
from bulle.services.results import Result

if TYPE_CHECKING:
    from bulle.workspace import Workspace


@dataclass(frozen=True)
class Delivery(Result):
    channel: str
    ok: bool
    error: str | None


@dataclass(frozen=True)
class AlertSent(Result):
    kind: str
    deliveries: list[Delivery]


@dataclass(frozen=True)
class AlertsChecked(Result):
    pending_reviews: int
    alerts: list[AlertSent]


def notify(ws: Workspace, kind: str, subject: str, lines: list[str]) -> AlertSent:
    """Send one alert on every configured channel, record each delivery; never raises."""
    s = ws.settings
    text = "\n".join([*lines, "", f"Workspace {ws.id}, {_now()}."])
    out = []
    recipients = [a for a in str(s["alerts.to"]).split(",") if a]
    if s["alerts.smtp_host"] and recipients:
        out.append(_deliver(ws, kind, "smtp", len(recipients), lambda: _mail(ws, subject, text)))
    if s["alerts.webhook_url"]:
        out.append(_deliver(ws, kind, "webhook", 1, lambda: _post(ws, kind, subject, text)))
    return AlertSent(kind, out)


def send_test(ws: Workspace) -> AlertSent:
    """`bulle alerts test`: a test message on every channel; refused when none is configured or
    none delivered (each attempt is recorded either way)."""
    access.can_administer(ws.actor, "test the alert channels", scope="workspace").require()
    if not ws.settings["alerts.webhook_url"] and not (
        ws.settings["alerts.smtp_host"] and ws.settings["alerts.to"]
    ):
        raise InputError(
            "no alert channel is configured: set alerts.smtp_host and alerts.to, or "
            "alerts.webhook_url (`bulle settings set`)",
            Where(field="alerts"),
        )
    sent = notify(ws, "test", "Test alert", [f"A test alert sent by {ws.actor.name}."])
    if not any(d.ok for d in sent.deliveries):
        raise ServerUnreachable(
            "no alert channel could deliver: "
            + "; ".join(f"{d.channel}: {d.error}" for d in sent.deliveries)
        )
    return sent


def audit_failed(ws: Workspace, report: object) -> None:
    """After a verification: its failure, and any witness that saw another log."""
    witnesses = getattr(report, "witnesses", []) or []
    diverged = [w for w in witnesses if w.get("status") in ("diverged", "other_log")]
    if diverged:
        notify(
            ws,
            "witness_divergence",
            "The audit log diverges from a witness",
            [
                f"{len(diverged)} witness(es) hold checkpoints that this workspace's audit log "
                "contradicts: the log was rewritten or replaced. Verify it against the witnesses "
                "(`bulle audit verify --witness DIR`) and keep the witness copies."
            ],
        )
    if not getattr(report, "ok", True):
        notify(
            ws,
            "audit_verify_failed",
            "Audit log verification failed",
            [
                "The workspace's tamper-evident audit log failed verification at event "
                f"{getattr(report, 'first_bad', None)} ({getattr(report, 'entries', 0)} events "
                "checked). Treat it as a possible breach: keep the files, run "
                "`bulle audit verify`, and consider the GDPR art. 33 notification."
            ],
        )


def lockout(ws: Workspace, at: dt.datetime) -> None:
    """After a lockout: an alert when the lockouts in the window reach the storm threshold (once
    per storm: only the lockout that reaches it sends)."""
    from bulle.catalog.accounts_store import AccountsStore

    window = float(ws.settings["alerts.lockout_storm_window_s"])
    count = AccountsStore(ws.catalog).lockouts_since(at - dt.timedelta(seconds=window))
    if count == int(ws.settings["alerts.lockout_storm"]):
        notify(
            ws,
            "lockout_storm",
            "Many accounts locked out",
            [
                f"{count} account names were locked out within {window:g} s after failed "
                "sign-ins: a password-guessing campaign may be under way."
            ],
        )


def interrupted(ws: Workspace, what: str, count: int) -> None:
    if count:
        notify(
            ws,
            "interrupted",
            f"{count} {what}(s) interrupted",
            [f"{count} {what}(s) stopped before finishing when the server stopped; check them."],
        )


def check(ws: Workspace, at: dt.datetime | None = None) -> AlertsChecked:
    """`bulle alerts check` (from a timer): outputs waiting too long for a checker."""
    from bulle.catalog.jobs_store import JobsStore

    access.can_administer(ws.actor, "check for alerts", scope="workspace").require()
    at = at or dt.datetime.now(dt.UTC)
    hours = float(ws.settings["alerts.review_age_h"])
    limit = at - dt.timedelta(hours=hours)
    old = [
        o
        for o in JobsStore(ws.catalog).queue()
        if o.created_at and dt.datetime.fromisoformat(o.created_at) <= limit
    ]
    sent = []
    if old:
        sent.append(
            notify(
                ws,
                "pending_reviews",
                f"{len(old)} output(s) waiting for review",
                [
                    f"{len(old)} job output(s) have waited more than {hours:g} h for an output checker."
                ],
            )
        )
    return AlertsChecked(len(old), sent)


def _deliver(ws: Workspace, kind: str, channel: str, recipients: int, send) -> Delivery:
    error = None
    try:
        send()
    except (OSError, smtplib.SMTPException, http.client.HTTPException, InputError) as exc:
        # refused, unreachable, timed out, not speaking the protocol, not on the local network
        error = type(exc).__name__
    ws.emit(
        ev.AlertDelivered(
            actor=Actor.system(),
            target=f"alert:{kind}",
            details={
                "kind": kind,
                "channel": channel,
                "ok": error is None,
                "error": error,
                "recipients": recipients,
            },
        )
    )
    return Delivery(channel, error is None, error)


def _mail(ws: Workspace, subject: str, text: str) -> None:
    s = ws.settings
    msg = EmailMessage()
    msg["Subject"] = f"[Bulle] {subject}"
    msg["From"] = s["alerts.from"]
    msg["To"] = ", ".join(a for a in str(s["alerts.to"]).split(",") if a)
    msg.set_content(text)
    with smtplib.SMTP(
        s["alerts.smtp_host"], int(s["alerts.smtp_port"]), timeout=float(s["alerts.timeout_s"])
    ) as smtp:
        smtp.send_message(msg)


def local_webhook(url: str) -> tuple[str, str, str, int, str]:
    """(scheme, host, checked address, port, path) of a webhook URL whose host is on the local
    network only: every address it resolves to is loopback, private or link-local."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError("the webhook must be an http(s) URL", Where(field="alerts.webhook_url"))
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, ValueError):
        raise InputError(
            f"the webhook host {parts.hostname!r} does not resolve (or its port is bad)",
            Where(field="alerts.webhook_url"),
        ) from None
    for info in infos:
        if not on_local_network(ipaddress.ip_address(info[4][0])):
            raise InputError(
                f"the webhook host {parts.hostname!r} resolves to {info[4][0]}, which is not on "
                "the local network: alerts never leave for a public address",
                Where(field="alerts.webhook_url"),
            )
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname, infos[0][4][0], port, path


def on_local_network(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Loopback, private or link-local, and not multicast (IPv4-mapped IPv6 judged as IPv4)."""
    mapped = getattr(ip, "ipv4_mapped", None)
    if mapped is not None:
        ip = mapped
    return (ip.is_loopback or ip.is_private or ip.is_link_local) and not (
        ip.is_multicast or ip.is_unspecified
    )


def _post(ws: Workspace, kind: str, subject: str, text: str) -> None:
    import ssl

    scheme, host, address, port, path = local_webhook(str(ws.settings["alerts.webhook_url"]))
    timeout = float(ws.settings["alerts.timeout_s"])
    base = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
    context = ssl.create_default_context()

    class Pinned(base):  # type: ignore[misc, valid-type]
        """Connects to the address that was checked (no second resolution: no DNS rebinding),
        while the Host header and the TLS certificate still name the host."""

        def connect(self) -> None:
            sock = socket.create_connection((address, port), timeout)
            self.sock = (
                context.wrap_socket(sock, server_hostname=host) if scheme == "https" else sock
            )

    con = Pinned(host, port, timeout=timeout)
    try:
        body = json.dumps({"kind": kind, "subject": subject, "text": text, "workspace": ws.id})
        con.request("POST", path, body=body, headers={"Content-Type": "application/json"})
        status = con.getresponse().status
    finally:
        con.close()
    if not 200 <= status < 300:  # a redirect is not followed: it could lead off the network
        raise OSError(f"the webhook answered {status}")


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
