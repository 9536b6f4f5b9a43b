"""Vault commands: import, datasets, versions, show, profile, roles, pseudonymize, keys, export."""

from __future__ import annotations

from pathlib import Path

import click

from bulle.cli.common import console, emit, json_option, workspace_from
from bulle.errors import InputError, Where
from bulle.outputs import OutputFile, keep_formulas_option


@click.command("import")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--dataset", "-d", required=True, help="Dataset name (a new version if it exists).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "parquet", "jsonl"]),
    help="Default: from the extension (.csv, .csv.gz, .csv.zst, .parquet, .jsonl, .json).",
)
@click.option("--delimiter", help="CSV delimiter, one character; 'tab' for TAB (default: sniffed).")
@click.option("--header/--no-header", default=None, help="CSV header row (default: sniffed).")
@click.option(
    "--encoding",
    default="utf-8",
    show_default=True,
    help="CSV text encoding (e.g. latin-1, cp1252, utf-16-le for UTF-16 without BOM).",
)
@json_option
@click.pass_context
def import_(ctx, path: Path, dataset: str, fmt, delimiter, header, encoding, as_json: bool) -> None:
    """Import a table (CSV, Parquet, JSON Lines or a JSON array) as a new version of DATASET."""
    from bulle.services.vault import import_table

    if delimiter is not None and delimiter in ("\\t", "tab"):
        delimiter = "\t"
    with workspace_from(ctx) as ws:
        v = import_table(
            ws,
            path,
            dataset,
            fmt=fmt,
            delimiter=delimiter,
            header=header,
            encoding=encoding,
            progress=not as_json,
        )
        roles = ws.catalog.roles(v.dataset, v.number)
    payload = {
        "dataset": v.dataset,
        "version": v.number,
        "ref": v.ref,
        "rows": v.row_count,
        "columns": v.schema,
        "content_hash": v.content_hash,
        "path": v.path,
        "roles": {r.column: r.role.value for r in roles},
    }
    emit(
        payload,
        as_json,
        lambda p: console().print(
            f"Imported [bold]{p['ref']}[/]: {p['rows']:,} rows, {len(p['columns'])} columns ({p['content_hash'][:19]}…)"
        ),
    )


@click.command("datasets")
@json_option
@click.pass_context
def datasets(ctx, as_json: bool) -> None:
    """List datasets with their versions."""
    from bulle.services.vault import list_datasets

    with workspace_from(ctx) as ws:
        items = list_datasets(ws)

    def render(p):
        from rich.table import Table

        t = Table("dataset", "version", "kind", "rows", "columns", "status", "personal data")
        for d in p["datasets"]:
            for v in d["versions"]:
                personal = (
                    "yes (pseudonymized)"
                    if v["pseudonymized"]
                    else ("yes" if v["personal_data"] else "no")
                )
                t.add_row(
                    d["name"],
                    str(v["version"]),
                    v["kind"],
                    f"{v['rows']:,}",
                    str(v["columns"]),
                    v["status"],
                    personal,
                )
        console().print(t)

    emit({"datasets": items}, as_json, render)


@click.command("versions")
@click.argument("name")
@json_option
@click.pass_context
def versions(ctx, name: str, as_json: bool) -> None:
    """Show every version of NAME with its lineage and operation."""
    with workspace_from(ctx) as ws:
        ws.catalog.resolve(name)
        items = [v.to_dict() for v in ws.catalog.versions(name.partition("@")[0])]

    def render(p):
        for v in p["versions"]:
            parents = ", ".join(v["parents"]) or "-"
            console().print(
                f"[bold]{v['ref']}[/] {v['kind']} rows={v['row_count']:,} parents={parents} "
                f"hash={v['content_hash'][:19]}… op={v['operation'].get('name')}"
            )

    emit({"dataset": name, "versions": items}, as_json, render)


@click.command("show")
@click.argument("ref")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(0))
@click.option("--column", "columns", multiple=True, help="Only these columns (repeat).")
@json_option
@click.pass_context
def show(ctx, ref: str, limit: int, columns, as_json: bool) -> None:
    """Print the first rows of a version (a recorded read)."""
    from bulle.services.rows import json_rows as python_rows
    from bulle.services.vault import read_table

    with workspace_from(ctx) as ws:
        table = read_table(ws, ref, columns=list(columns) or None, limit=limit)
    rows = python_rows(table)

    def render(p):
        from rich.table import Table

        t = Table(*table.column_names)
        for r in p["rows"]:
            t.add_row(*["" if v is None else str(v) for v in r.values()])
        console().print(t)

    emit({"ref": ref, "rows": rows}, as_json, render)


@click.command("profile")
@click.argument("ref")
@click.option("--refresh", is_flag=True, help="Recompute the profile and suggestions.")
@json_option
@click.pass_context
def profile(ctx, ref: str, refresh: bool, as_json: bool) -> None:
    """Profile REF's columns and show the suggested role of each, with the reason."""
    from bulle.services.vault import profile_dataset

    with workspace_from(ctx) as ws:
        payload = profile_dataset(ws, ref, refresh=refresh)
    emit(payload, as_json, render_profile)


def render_profile(p) -> None:
    from rich.table import Table

    out = console()
    t = Table(
        "column",
        "type",
        "distinct",
        "nulls",
        "unique",
        "min",
        "max",
        "role",
        title=f"{p['ref']} ({p['rows']:,} rows)",
    )
    for c in p["columns"]:
        role = (c.get("role") or "") + (" ✓" if c.get("confirmed") else "")
        if c.get("pseudonymized"):
            t.add_row(c["name"], "VARCHAR", "", "", "", "", "", role)
            continue
        t.add_row(
            c["name"],
            c["type"],
            f"{c['distinct']:,}",
            f"{c['null_rate']:.0%}",
            f"{c['uniqueness']:.2f}",
            _short(c["min"]),
            _short(c["max"]),
            role,
        )
    out.print(t)
    for c in p["columns"]:
        out.print(f"  {c['name']}: {c.get('role')} — {c.get('reason') or ''}", soft_wrap=True)
    out.print("  (✓ = confirmed by a custodian; confirm or override with `bulle roles`)")


def _short(v, n: int = 16) -> str:
    s = "" if v is None else str(v)
    return s if len(s) <= n else s[: n - 1] + "…"


@click.command("roles")
@click.argument("ref")
@click.option(
    "--set", "sets", multiple=True, metavar="COLUMN=ROLE", help="Override a role (repeat)."
)
@click.option("--confirm", is_flag=True, help="Confirm every suggested role not overridden.")
@click.option(
    "--file", "roles_file", type=click.Path(path_type=Path), help="TOML file with a [roles] table."
)
@json_option
@click.pass_context
def roles(ctx, ref: str, sets, confirm: bool, roles_file, as_json: bool) -> None:
    """Confirm or override column roles (all problems are reported at once)."""
    from bulle.services.vault import set_roles

    changes = {}
    for item in sets:
        col, sep, role = item.partition("=")
        if not sep:
            raise InputError(f"expected COLUMN=ROLE, got {item!r}", Where(field="--set"))
        changes[col.strip()] = role.strip()
    with workspace_from(ctx) as ws:
        result = set_roles(ws, ref, changes, confirm_all=confirm, roles_file=roles_file)
    payload = {"ref": ref, "roles": [r.to_dict() for r in result]}
    emit(
        payload,
        as_json,
        lambda p: [
            console().print(
                f"{r['column']}: [bold]{r['role']}[/]{' (confirmed)' if r['confirmed'] else ''}"
            )
            for r in p["roles"]
        ],
    )


@click.command("pseudonymize")
@click.argument("ref")
@click.option(
    "--column",
    "columns",
    multiple=True,
    help="Only these columns (default: direct identifiers and subject id).",
)
@click.option(
    "--reid-table", is_flag=True, help="Keep an encrypted re-identification table (custodian key)."
)
@json_option
@click.pass_context
def pseudonymize(ctx, ref: str, columns, reid_table: bool, as_json: bool) -> None:
    """Replace direct identifiers with keyed HMAC-SHA-256 tokens, in a new version."""
    from bulle.services.pseudonymization import pseudonymize as run

    with workspace_from(ctx) as ws:
        payload = run(ws, ref, columns=list(columns) or None, reid_table=reid_table)
    emit(
        payload,
        as_json,
        lambda p: console().print(
            f"Pseudonymized {', '.join(p['columns'])} of {p['source']} -> [bold]{p['ref']}[/] (key {p['key_id']}). "
            f"{p['note']}."
        ),
    )


@click.command("rotate-key")
@json_option
@click.pass_context
def rotate_key(ctx, as_json: bool) -> None:
    """Create a new pseudonymization key and re-pseudonymize the latest versions with it."""
    from bulle.services.pseudonymization import rotate_key as run

    with workspace_from(ctx) as ws:
        payload = run(ws)
    emit(
        payload,
        as_json,
        lambda p: console().print(
            f"New key {p['new_key_id']} (was {p['old_key_id']}); new versions: "
            + (", ".join(v["new"] for v in p["versions"]) or "none")
        ),
    )


@click.command("reidentify")
@click.argument("ref")
@click.argument("tokens", nargs=-1, required=True)
@click.option(
    "--custodian-key",
    type=click.Path(path_type=Path),
    help="The custodian's private key file, when it is kept outside the workspace.",
)
@click.option(
    "--custodian-passphrase-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File (mode 0600) holding the passphrase of the sealed custodian key; default: the "
    "environment variable BULLE_CUSTODIAN_PASSPHRASE.",
)
@json_option
@click.pass_context
def reidentify(
    ctx, ref: str, tokens, custodian_key, custodian_passphrase_file, as_json: bool
) -> None:
    """Look tokens up in REF's encrypted re-identification table (custodian only)."""
    from bulle.services.pseudonymization import reidentify as run
    from bulle.vault.custodian_key import read_passphrase_file

    passphrase = (
        read_passphrase_file(custodian_passphrase_file) if custodian_passphrase_file else None
    )
    with workspace_from(ctx) as ws:
        payload = run(ws, ref, list(tokens), custodian_key, passphrase=passphrase)
    emit(payload, as_json, lambda p: [console().print(f"{t}: {v}") for t, v in p["tokens"].items()])


@click.command("export-table")
@click.argument("ref")
@click.argument("out", type=OutputFile(None))
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet", "jsonl"]))
@keep_formulas_option
@json_option
@click.pass_context
def export_table(ctx, ref: str, out: Path, fmt, keep_formulas: bool, as_json: bool) -> None:
    """Write a version to a CSV, Parquet or JSONL file (a recorded export, mode 0600)."""
    from bulle.services.vault import export_table as run

    with workspace_from(ctx) as ws:
        payload = run(ws, ref, out, fmt, keep_formulas=keep_formulas)
    emit(
        payload,
        as_json,
        lambda p: console().print(f"Wrote {p['ref']} to {p['path']} ({p['rows']:,} rows)."),
    )
