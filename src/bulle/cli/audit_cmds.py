"""`bulle audit`: verify and read the tamper-evident audit log.

Every command works on a workspace (``bulle --workspace DIR audit ...``) or stand-alone on files
handed over by someone else (``--log FILE --public-key FILE``), because the point of a signed log
is that anyone can check it without trusting the workspace that wrote it. The work is
``bulle.services.audit``'s; this module parses and renders.
"""

from __future__ import annotations

from typing import Any

import click

from bulle.cli.common import emit, json_option, workspace_from
from bulle.errors import InputError


@click.group("audit")
def audit() -> None:
    """Verify and read the tamper-evident audit log."""


@audit.command("verify")
@click.option(
    "--log",
    "log_path",
    type=click.Path(dir_okay=False),
    help="Verify this log file, without a workspace (needs --public-key).",
)
@click.option(
    "--public-key",
    "public_keys",
    multiple=True,
    type=click.Path(dir_okay=False),
    help="A trusted public key (PEM or hex); repeat it for a log that spans several keys.",
)
@click.option(
    "--head",
    default=None,
    metavar="SEQ:HASH",
    help="The chain head kept outside the log; without it a cut tail goes unseen.",
)
@click.option(
    "--witness",
    "witnesses",
    multiple=True,
    type=click.Path(file_okay=False),
    help="A witness directory: trust only the key it pinned, and compare the log with "
    "its checkpoints (repeatable).",
)
@click.option(
    "--quick",
    is_flag=True,
    help="Check every hash and link but only the last signature of each key's run.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Processes checking signatures (default: one per CPU).",
)
@json_option
@click.pass_context
def verify(
    ctx: click.Context,
    log_path: str | None,
    public_keys: tuple[str, ...],
    head: str | None,
    witnesses: tuple[str, ...],
    quick: bool,
    workers: int | None,
    as_json: bool,
) -> None:
    """Exit 0 if the log is intact; otherwise exit 6 naming the first bad event."""
    from bulle.services.audit import verify_log_file, verify_workspace_log

    if public_keys and witnesses:
        raise InputError(
            "--public-key and --witness exclude each other: with a witness the trusted "
            "key is the one it pinned"
        )
    if log_path:
        if not witnesses and not public_keys:
            raise InputError(
                "--log needs at least one --public-key (or a --witness) to verify "
                "the signatures with"
            )
        report = verify_log_file(
            log_path,
            public_keys=public_keys,
            head=head,
            witnesses=witnesses,
            quick=quick,
            workers=workers,
        )
    else:
        if public_keys or head:
            raise InputError(
                "--public-key and --head go with --log: a workspace verifies with its "
                "own keys and the chain head recorded in its catalog"
            )
        ws = workspace_from(ctx)
        try:
            report = verify_workspace_log(ws, witnesses=witnesses, quick=quick, workers=workers)
        finally:
            ws.close()
    payload = report.to_dict()
    payload["message"] = report.message()
    if as_json:
        emit(payload, True, lambda p: None)
    elif report.ok:
        click.echo(report.message())
        for run in report.keys:
            click.echo(f"  events {run['first']}-{run['last']} signed by key {run['key']}")
        if not report.head_checked and not witnesses:
            click.echo(
                "warning: no chain head given (--head SEQ:HASH): a cut tail would go unseen",
                err=True,
            )
        if not witnesses:
            click.echo(
                "warning: no witness given (--witness DIR): whoever runs as the workspace's "
                "owner can rewrite and re-sign the log unseen",
                err=True,
            )
        for w in report.witnesses:
            if w["status"] == "behind":
                click.echo(f"warning: {w['message']}", err=True)
    report.raise_if_broken()


@audit.command("log")
@click.option(
    "--log",
    "log_path",
    type=click.Path(dir_okay=False),
    help="Read this log file, without a workspace.",
)
@click.option(
    "--from",
    "from_seq",
    type=click.IntRange(min=1),
    default=None,
    help="First event number to show (default: show the most recent events).",
)
@click.option(
    "--limit",
    type=click.IntRange(min=0),
    default=50,
    show_default=True,
    help="At most this many events (0: no limit).",
)
@click.option("--kind", default=None, help="Only events of this kind (e.g. dataset.read).")
@json_option
@click.pass_context
def log(
    ctx: click.Context,
    log_path: str | None,
    from_seq: int | None,
    limit: int,
    kind: str | None,
    as_json: bool,
) -> None:
    """Show audit events (not verified: use `audit verify` for that)."""
    from bulle.services.audit import read_log_file, read_workspace_log

    if log_path:
        result = read_log_file(log_path, from_seq=from_seq, limit=limit, kind=kind)
    else:
        ws = workspace_from(ctx)
        try:
            result = read_workspace_log(ws, from_seq=from_seq, limit=limit, kind=kind)
        finally:
            ws.close()
    emit(result.to_dict(), as_json, _render_entries)


@audit.command("public-key")
@click.option(
    "--keys-dir",
    type=click.Path(file_okay=False),
    help="Read the key folder directly, without a workspace.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["pem", "hex"]), default="pem", show_default=True
)
@click.option(
    "--all",
    "show_all",
    is_flag=True,
    help="Also print the earlier and imported keys the log may still name.",
)
@json_option
@click.pass_context
def public_key(
    ctx: click.Context, keys_dir: str | None, fmt: str, show_all: bool, as_json: bool
) -> None:
    """Print the public key that checks this workspace's audit log (safe to hand out)."""
    from bulle.services.audit import public_keys

    if keys_dir is None:
        ws = workspace_from(ctx)
        try:
            keys_dir = str(ws.keys_dir)
        finally:
            ws.close()
    payload = public_keys(keys_dir, show_all=show_all).to_dict()

    def render(p: dict[str, Any]) -> None:
        keys = p["trusted"] if show_all else [p["current"]]
        for k in keys:
            if fmt == "hex":
                click.echo(f"{k['hex']}  {k['key_id']}")
            else:
                click.echo(k["pem"], nl=False)

    emit(payload, as_json, render)


def _render_entries(p: dict[str, Any]) -> None:
    import json

    for e in p["entries"]:
        ev = e["event"]
        actor = ev.get("actor")
        who = (
            f"{actor.get('name', '?')}({actor.get('role', '?')})"
            if isinstance(actor, dict)
            else "-"
        )
        details = json.dumps(ev.get("details") or {}, ensure_ascii=False, sort_keys=True)
        target = ev.get("target") or "-"
        click.echo(
            f"{e['seq']:>7}  {ev.get('at', '-')}  {who}  {ev.get('kind')}  {target}  {details}"
        )
    if not p["entries"]:
        click.echo("no events")


def _register_subcommands() -> None:
    from bulle.cli.audit_witness_cmds import rotate_key, witness

    audit.add_command(witness)
    audit.add_command(rotate_key)


_register_subcommands()
