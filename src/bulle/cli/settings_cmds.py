"""``bulle settings``: list a workspace's settings and change one (custodian only)."""

from __future__ import annotations

import click

from bulle.cli.common import console, emit, json_option, workspace_from


@click.group("settings")
def settings() -> None:
    """The workspace's thresholds (docs/settings.md): list them, change one."""


@settings.command("list")
@json_option
@click.pass_context
def list_(ctx, as_json):
    """Every setting with its value, where the value comes from, its default and description."""
    from bulle.services.settings import list_settings

    with workspace_from(ctx) as ws:
        rows = [r.to_dict() for r in list_settings(ws)]

    def render(d):
        from rich.table import Table

        t = Table("setting", "value", "source", "default", "description")
        for r in d["settings"]:
            unit = f" {r['unit']}" if r["unit"] else ""
            t.add_row(
                r["name"],
                f"{r['value']!r}{unit}",
                r["source"],
                repr(r["default"]),
                r["description"],
            )
        console().print(t)

    emit({"settings": rows}, as_json, render)


@settings.command("set")
@click.argument("name")
@click.argument("value")
@json_option
@click.pass_context
def set_(ctx, name, value, as_json):
    """Set NAME to VALUE in the workspace's bulle.toml (custodian only, audited)."""
    from bulle.services.settings import set_setting

    with workspace_from(ctx) as ws:
        change = set_setting(ws, name, value)

    def render(d):
        line = f"{d['name']}: {d['old']!r} -> {d['new']!r} (bulle.toml)"
        if not d["effective"]:
            line += f"; {d['source']} still sets the value in force"
        console().print(line)

    emit(change.to_dict(), as_json, render)
