"""`bulle demo`: the main job end to end on bundled data, narrated for a first-time user.

Each step calls the same services as the commands it names, so the demo doubles as a tour of
the CLI. Later parts of Bulle add their steps to ``STEPS``.
"""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

import click

from bulle.cli.common import actor_from, console
from bulle.errors import ConflictError, Where


def bundled(name: str) -> Path:
    return Path(str(resources.files("bulle") / "data" / name))


@click.command("demo")
@click.option("--workspace-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("demo-workspace"),
              show_default=True, help="Where to create the demo workspace (replaced if it is a demo workspace).")
@click.pass_context
def demo(ctx: click.Context, workspace_dir: Path) -> None:
    """Run Bulle end to end on bundled, fictitious data."""
    from bulle.workspace import Workspace

    out = console()
    _reset(workspace_dir)
    ws = Workspace.init(workspace_dir, actor_from(ctx))
    (workspace_dir / ".bulle-demo").write_text("created by `bulle demo`; safe to delete\n")
    out.rule("[bold]Bulle demo")
    out.print(f"Workspace: [bold]{workspace_dir}[/] (keys in {workspace_dir}/keys, mode 0600)\n")
    try:
        for step in STEPS:
            step(ws, out)
    finally:
        ws.close()
    out.rule("[bold]Done")
    out.print(f"Explore it: [bold]bulle --workspace {workspace_dir} datasets[/], "
              f"[bold]bulle --workspace {workspace_dir} versions patients[/]")


def _reset(path: Path) -> None:
    if not path.exists():
        return
    if (path / ".bulle-demo").exists() or not any(path.iterdir()):
        shutil.rmtree(path)
        return
    raise ConflictError("exists and was not made by `bulle demo`: choose another --workspace-dir",
                        Where(file=str(path)))


def step_vault(ws, out) -> None:
    from bulle.cli.vault_cmds import render_profile
    from bulle.services import pseudonymization, vault

    out.rule("1. Import a table")
    v = vault.import_table(ws, bundled("patients_fr.csv"), "patients")
    out.print(f"Imported [bold]{v.ref}[/]: {v.row_count:,} rows, {len(v.schema)} columns, {v.content_hash[:23]}…")
    out.print("(patients_fr.csv: 1,000 fictitious French patients bundled with Bulle)\n")

    out.rule("2. Profile and classify columns")
    render_profile(vault.profile_dataset(ws, v.ref))
    vault.set_roles(ws, v.ref, confirm_all=True)
    out.print("The custodian confirms the suggested roles (`bulle roles patients --confirm`).\n")

    out.rule("3. Pseudonymize direct identifiers")
    before = vault.read_table(ws, v.ref, columns=["id_patient", "nom", "prénom", "NIR", "courriel"], limit=3)
    result = pseudonymization.pseudonymize(ws, v.ref, reid_table=True)
    after = vault.read_table(ws, result["ref"], columns=["id_patient", "nom", "prénom", "NIR", "courriel"], limit=3)
    _show_pair(out, before.to_pylist(), after.to_pylist())
    out.print(f"New version [bold]{result['ref']}[/] (parent {result['source']}), key {result['key_id']}; "
              f"an encrypted re-identification table is readable only with the custodian key.")
    out.print(f"[italic]{result['note']}[/]\n")
    token = after.to_pylist()[0]["nom"]
    found = pseudonymization.reidentify(ws, result["ref"], [token])
    out.print(f"Custodian re-identifies {token[:24]}… -> {found['tokens'][token]}\n")


def _show_pair(out, before: list[dict], after: list[dict]) -> None:
    from rich.table import Table

    t = Table("column", "before", "after", title="First row, before and after")
    for col in before[0]:
        t.add_row(col, str(before[0][col]), str(after[0][col]))
    out.print(t)


def step_summary(ws, out) -> None:
    from bulle.services import vault

    out.rule("Summary")
    from rich.table import Table

    t = Table("version", "kind", "rows", "parents", "personal data")
    for d in vault.list_datasets(ws):
        for v in d["versions"]:
            personal = "yes (pseudonymized)" if v["pseudonymized"] else ("yes" if v["personal_data"] else "no")
            t.add_row(v["ref"], v["kind"], f"{v['rows']:,}", ", ".join(v["parents"]) or "-", personal)
    out.print(t)


STEPS = [step_vault, step_summary]
