"""`bulle audit witness ...` and `bulle audit rotate-key`: anchoring the log outside the workspace.

A witness is a directory elsewhere (another machine's mount, the DPO's copy) that receives a
signed checkpoint of the chain head after every append batch; `bulle audit verify --witness DIR`
then trusts only the key the witness pinned. See docs/audit-log.md.
"""

from __future__ import annotations

from typing import Any

import click

from bulle.cli.common import actor_from, emit, json_option, workspace_from


@click.group("witness")
def witness() -> None:
    """Witnesses outside the workspace that hold signed checkpoints of the audit log."""


@witness.command("add")
@click.argument("path", type=click.Path(file_okay=False))
@json_option
@click.pass_context
def add(ctx: click.Context, path: str, as_json: bool) -> None:
    """Register PATH as a witness, pinning the current public key, and write its first checkpoint."""
    from bulle.services.audit import add_witness

    ws = workspace_from(ctx)
    try:
        payload = add_witness(ws, path, actor_from(ctx))
    finally:
        ws.close()

    def render(p: dict[str, Any]) -> None:
        verb = "re-attached" if p["reattached"] else "added"
        click.echo(f"witness {verb}: {p['path']}")
        click.echo(f"  pinned key {p['fingerprint']}")
        click.echo(f"  checkpoint of event {p['head']['seq']} written")

    emit(payload, as_json, render)


@witness.command("list")
@json_option
@click.pass_context
def list_(ctx: click.Context, as_json: bool) -> None:
    """The registered witnesses: reachable or not, last checkpoint, last failure."""
    from bulle.services.audit import witness_status

    ws = workspace_from(ctx)
    try:
        items = witness_status(ws)
    finally:
        ws.close()

    def render(p: dict[str, Any]) -> None:
        for w in p["witnesses"]:
            last = w["last_checkpoint"]
            state = (
                "unreachable"
                if not w["reachable"]
                else (
                    f"checkpoint of event {last['seq']}, {w['behind']} behind"
                    if last
                    else "no checkpoint"
                )
            )
            click.echo(f"{w['path']}  {state}")
            if w["error"]:
                click.echo(
                    f"  last failure {w['error']['at']} (from event {w['error']['since_seq']}): "
                    f"{w['error']['message']}"
                )
        if not p["witnesses"]:
            click.echo("no witnesses: add one with `bulle audit witness add DIR`")

    emit({"witnesses": items}, as_json, render)


@click.command("rotate-key")
@json_option
@click.pass_context
def rotate_key(ctx: click.Context, as_json: bool) -> None:
    """Replace the audit signing key; the old key signs the new one for the witnesses."""
    from bulle.services.audit import rotate_audit_key

    ws = workspace_from(ctx)
    try:
        payload = rotate_audit_key(ws, actor_from(ctx))
    finally:
        ws.close()
    emit(
        payload,
        as_json,
        lambda p: click.echo(
            f"audit key rotated: {p['old_key']} -> {p['new_key']} (after event {p['at_seq']})"
        ),
    )
