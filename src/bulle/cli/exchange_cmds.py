"""`bulle export` and `bulle import-workspace`: a whole workspace out to open formats, and back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from bulle.cli.common import actor_from, console, emit, json_option, workspace_from
from bulle.cli.workspace_cmds import custodian_key_options, custodian_setup


@click.command("export")
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--include-keys",
    is_flag=True,
    help="Also export the secret keys (pseudonymization, custodian, audit signing). "
    "Without it the keys never leave the workspace.",
)
@json_option
@click.pass_context
def export(ctx: click.Context, out_dir: Path, include_keys: bool, as_json: bool) -> None:
    """Export the whole workspace to OUT_DIR (new or empty): Parquet, JSON Lines, the audit log."""
    from bulle.services.exchange import export_workspace

    with workspace_from(ctx) as ws:
        payload = export_workspace(ws, out_dir, include_keys=include_keys)

    def render(p: dict[str, Any]) -> None:
        c = console()
        c.print(
            f"Exported workspace {p['workspace_id']} to [bold]{p['export']}[/]: {p['versions']} versions, "
            f"{p['artefacts']} artefacts, {len(p['catalog_tables'])} catalog tables, "
            f"{p['audit_events']} audit events ({p['files']} files, {p['bytes']:,} bytes)."
        )
        c.print(
            f"Manifest SHA-256 {p['manifest_sha256']} (recorded in this workspace's audit log), "
            f"signed by audit key {p['audit_key']}."
        )
        if p["contains_secret_keys"]:
            c.print(f"[bold red]WARNING[/]: {p['warning']}")
        else:
            c.print(
                "Keys were not exported: an import gets new keys (use --include-keys to move them)."
            )

    emit(payload, as_json, render)


@click.command("import-workspace")
@click.argument("export_dir", type=click.Path(file_okay=False, path_type=Path))
@click.argument("new_dir", type=click.Path(file_okay=False, path_type=Path))
@custodian_key_options
@json_option
@click.pass_context
def import_workspace(
    ctx: click.Context,
    export_dir: Path,
    new_dir: Path,
    custodian_passphrase_file: Path | None,
    custodian_key_out: Path | None,
    as_json: bool,
) -> None:
    """Rebuild a workspace in NEW_DIR (new or empty) from EXPORT_DIR, after checking every file.

    An export without keys gets a new custodian key, sealed or written outside as with `init`.
    """
    from bulle.services.exchange import import_workspace as run

    payload = run(
        export_dir,
        new_dir,
        actor_from(ctx),
        custodian_setup(custodian_passphrase_file, custodian_key_out),
    )

    def render(p: dict[str, Any]) -> None:
        c = console()
        c.print(
            f"Rebuilt workspace {p['id']} in [bold]{p['workspace']}[/]: {p['versions']} versions, "
            f"{p['artefacts']} artefacts, {len(p['catalog_tables'])} catalog tables; audit log carried "
            f"over ({p['audit']['carried_events']} events) and the import recorded as event "
            f"{p['audit']['events']}."
        )
        c.print(
            f"Export manifest {p['manifest_sha256']} signed by audit key {p['signed_by']}: compare it with "
            "the workspace.export event of the source workspace."
        )
        for note in p["notes"]:
            c.print(f"- {note}")

    emit(payload, as_json, render)
