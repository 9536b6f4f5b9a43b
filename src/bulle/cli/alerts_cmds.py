"""`bulle alerts test|check`: the alert channels to the DPO and the custodian."""

from __future__ import annotations

from typing import Any

import click

from bulle.cli.common import console, emit, json_option, workspace_from


@click.group("alerts")
def alerts() -> None:
    """Alerts to the DPO and the custodian (settings alerts.*)."""


def _render(p: dict[str, Any]) -> None:
    c = console()
    for d in p["deliveries"]:
        c.print(f"{p['kind']} via {d['channel']}: {'delivered' if d['ok'] else d['error']}")


@alerts.command("test")
@json_option
@click.pass_context
def test(ctx: click.Context, as_json: bool) -> None:
    """Send a test alert on every configured channel (exit 10 when none delivers)."""
    from bulle.services.alerts import send_test

    with workspace_from(ctx) as ws:
        result = send_test(ws)
    emit(result.to_dict(), as_json, _render)


@alerts.command("check")
@json_option
@click.pass_context
def check(ctx: click.Context, as_json: bool) -> None:
    """Alert on outputs waiting for a checker longer than alerts.review_age_h (run from a timer)."""
    from bulle.services.alerts import check as run

    with workspace_from(ctx) as ws:
        result = run(ws)

    def render(p: dict[str, Any]) -> None:
        console().print(f"{p['pending_reviews']} output(s) waiting too long for review.")
        for a in p["alerts"]:
            _render(a)

    emit(result.to_dict(), as_json, render)
