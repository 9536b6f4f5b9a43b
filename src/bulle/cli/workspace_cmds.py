"""`bulle init DIR`."""

from __future__ import annotations

import click

from bulle.cli.common import actor_from, console, emit, json_option


@click.command("init")
@click.argument("directory", type=click.Path(file_okay=False))
@json_option
@click.pass_context
def init(ctx: click.Context, directory: str, as_json: bool) -> None:
    """Create a new, empty workspace in DIRECTORY."""
    from bulle.workspace import Workspace

    ws = Workspace.init(directory, actor_from(ctx))
    payload = {"workspace": str(ws.root), "id": ws.id, "format_version": ws.config["workspace"]["format_version"],
               "pseudonym_key_id": ws.keys.current_pseudonym_key_id()}
    ws.close()
    emit(payload, as_json, lambda p: console().print(
        f"Created workspace [bold]{p['workspace']}[/] (id {p['id']}). Keys are in {p['workspace']}/keys (mode 0600)."))
