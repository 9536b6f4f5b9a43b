"""`bulle backup` and `bulle restore`: a consistent copy of a live workspace, and putting it back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from bulle.cli.common import actor_from, console, emit, json_option, workspace_from
from bulle.cli.workspace_cmds import custodian_key_options, custodian_setup


@click.command("backup")
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--include-keys",
    is_flag=True,
    help="Also copy the secret keys (pseudonymization, custodian, audit signing). Without it "
    "the keys never leave the workspace and a restore gets new ones.",
)
@json_option
@click.pass_context
def backup(ctx: click.Context, dest: Path, include_keys: bool, as_json: bool) -> None:
    """Copy the live workspace to DEST (new or empty), verified, while others keep working."""
    from bulle.services.backup import backup_workspace

    with workspace_from(ctx) as ws:
        result = backup_workspace(ws, dest, include_keys=include_keys)

    def render(p: dict[str, Any]) -> None:
        c = console()
        c.print(
            f"Backed up workspace {p['workspace_id']} to [bold]{p['backup']}[/]: {p['versions']} "
            f"versions, {p['files']} files, {p['bytes']:,} bytes, audit log up to event "
            f"{p['audit_head_seq']}; every file hash and the audit chain verified. Writers "
            f"waited at most {p['lock_held_s']:.3f} s (the snapshot)."
        )
        c.print(f"Manifest SHA-256 {p['manifest_sha256']} (recorded in the workspace's log).")
        if p["contains_secret_keys"]:
            c.print(
                "[bold red]WARNING[/]: this backup holds the secret keys: keep it as the vault."
            )
        for rel in p["skipped_links"]:
            c.print(f"- skipped (a link, not Bulle's): {rel}")

    emit(result.to_dict(), as_json, render)


@click.command("restore")
@click.argument("backup_dir", type=click.Path(file_okay=False, path_type=Path))
@click.argument("new_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--public-key",
    "public_keys",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The workspace's audit public key (`bulle audit public-key`), kept apart from the "
    "backups: the backup must be signed by it (repeatable).",
)
@custodian_key_options
@json_option
@click.pass_context
def restore(
    ctx: click.Context,
    backup_dir: Path,
    new_dir: Path,
    public_keys: tuple[Path, ...],
    custodian_passphrase_file: Path | None,
    custodian_key_out: Path | None,
    as_json: bool,
) -> None:
    """Put BACKUP_DIR back as a workspace in NEW_DIR (new or empty), after checking it whole."""
    from bulle.services.backup import restore_workspace

    result = restore_workspace(
        backup_dir,
        new_dir,
        actor_from(ctx),
        custodian_setup(custodian_passphrase_file, custodian_key_out),
        trusted_keys=public_keys,
    )

    def render(p: dict[str, Any]) -> None:
        c = console()
        c.print(
            f"Restored workspace {p['workspace_id']} in [bold]{p['workspace']}[/]: {p['versions']} "
            f"versions; audit log carried over ({p['carried_events']} events), the restore "
            f"recorded, the chain verified ({p['audit_events']} events)."
        )
        for note in p["notes"]:
            c.print(f"- {note}")

    emit(result.to_dict(), as_json, render)
