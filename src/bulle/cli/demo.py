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
from bulle.errors import BulleError, ConflictError, Where

# The demo's data are fictitious, so its custodian key is sealed with a passphrase printed here;
# a real workspace takes the custodian's own (`bulle init --custodian-passphrase-file FILE`).
DEMO_PASSPHRASE = b"bulle demo passphrase"


def bundled(name: str) -> Path:
    return Path(str(resources.files("bulle") / "data" / name))


@click.command("demo")
@click.option(
    "--workspace-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("demo-workspace"),
    show_default=True,
    help="Where to create the demo workspace (replaced if it is a demo workspace).",
)
@click.pass_context
def demo(ctx: click.Context, workspace_dir: Path) -> None:
    """Run Bulle end to end on bundled, fictitious data."""
    from bulle.vault.custodian_key import CustodianKeySetup
    from bulle.workspace import Workspace

    out = console()
    _reset(workspace_dir)
    ws = Workspace.init(
        workspace_dir, actor_from(ctx), custodian=CustodianKeySetup(passphrase=DEMO_PASSPHRASE)
    )
    (workspace_dir / ".bulle-demo").write_text("created by `bulle demo`; safe to delete\n")
    out.rule("[bold]Bulle demo")
    out.print(
        f"Workspace: [bold]{workspace_dir}[/] (mode 0700, files 0600; the custodian key is sealed with "
        f"the demo passphrase {DEMO_PASSPHRASE.decode()!r})\n"
    )
    try:
        for step in STEPS:
            step(ws, out)
    finally:
        ws.close()
    out.rule("[bold]Done")
    out.print(
        f"Explore it: [bold]bulle --workspace {workspace_dir} datasets[/], "
        f"[bold]bulle --workspace {workspace_dir} versions patients[/]"
    )


def _reset(path: Path) -> None:
    if not path.exists():
        return
    if (path / ".bulle-demo").exists() or not any(path.iterdir()):
        shutil.rmtree(path)
        return
    raise ConflictError(
        "exists and was not made by `bulle demo`: choose another --workspace-dir",
        Where(file=str(path)),
    )


def step_vault(ws, out) -> None:
    from bulle.cli.vault_cmds import render_profile
    from bulle.services import pseudonymization, vault

    out.rule("1. Import a table")
    v = vault.import_table(ws, bundled("patients_fr.csv"), "patients")
    out.print(
        f"Imported [bold]{v.ref}[/]: {v.row_count:,} rows, {len(v.schema)} columns, {v.content_hash[:23]}…"
    )
    out.print("(patients_fr.csv: 1,000 fictitious French patients bundled with Bulle)\n")

    out.rule("2. Profile and classify columns")
    render_profile(vault.profile_dataset(ws, v.ref).to_dict())
    vault.set_roles(ws, v.ref, confirm_all=True)
    out.print("The custodian confirms the suggested roles (`bulle roles patients --confirm`).\n")

    out.rule("3. Pseudonymize direct identifiers")
    before = vault.read_table(
        ws, v.ref, columns=["id_patient", "nom", "prénom", "NIR", "courriel"], limit=3
    )
    result = pseudonymization.pseudonymize(ws, v.ref, reid_table=True)
    after = vault.read_table(
        ws, result.ref, columns=["id_patient", "nom", "prénom", "NIR", "courriel"], limit=3
    )
    _show_pair(out, before.to_pylist(), after.to_pylist())
    out.print(
        f"New version [bold]{result.ref}[/] (parent {result.source}), key {result.key_id}; "
        f"an encrypted re-identification table is readable only with the custodian key."
    )
    out.print(f"[italic]{result.note}[/]\n")
    token = after.to_pylist()[0]["nom"]
    found = pseudonymization.reidentify(ws, result.ref, [token], passphrase=DEMO_PASSPHRASE)
    out.print(f"Custodian re-identifies {token[:24]}… -> {found.tokens[token]}\n")


def step_text(ws, out) -> None:
    from bulle.services import vault
    from bulle.services.text import deidentify_columns

    out.rule("3b. De-identify the free-text notes")
    result = deidentify_columns(ws, "patients@2", operator="pseudonym", progress=True).to_dict()
    before = (
        vault.read_table(ws, "patients@1", columns=["commentaire"], limit=40)
        .column("commentaire")
        .to_pylist()
    )
    after = (
        vault.read_table(ws, result["ref"], columns=["commentaire"], limit=40)
        .column("commentaire")
        .to_pylist()
    )
    shown = 0
    for b, a in zip(before, after, strict=True):
        if b != a and shown < 3:
            out.print(f"  {b}\n  → {a}")
            shown += 1
    out.print(
        f"New version [bold]{result['ref']}[/]: names, dates, places and numbers in "
        f"{', '.join(result['columns'])} replaced by consistent French surrogates (dates shifted per person).\n"
    )


def step_anonymize(ws, out) -> None:
    from bulle.domain.anonymization_requests import AnonymizeRequest, HierarchyRecipe
    from bulle.services.anonymization_file import anonymize_version

    out.rule("5. Anonymize a release")
    request = AnonymizeRequest.from_options(
        recipes={
            "date_naissance": HierarchyRecipe("date", levels="year,decade"),
            "code_postal": HierarchyRecipe("mask", keep="4,3,2"),
            "commune": HierarchyRecipe("flat"),
            "sexe": HierarchyRecipe("flat"),
        },
        sensitive=["diagnostic"],
        k=5,
        l_diversity=["distinct:2"],
        suppression=0.05,
        metric="loss",
    )
    out.print(
        "Hierarchies built from the data: birth date → year → decade → *, postcode masked "
        "digit by digit, town and sex → *. Models: 5-anonymity and distinct 2-diversity of the diagnosis, at most "
        "5% of records suppressed, ARX's Loss metric."
    )
    result = anonymize_version(ws, "patients@2", request, drop=["libellé_diagnostic"])
    risk = result["risk"]["prosecutor"]
    html = next(a["path"] for a in result["artefacts"] if a["kind"] == "risk_report_html")
    out.print(
        f"Release [bold]{result['ref']}[/]: optimal transformation {result['transformation']}, loss "
        f"{result['information_loss']:.4f}, {result['suppressed_records']} records suppressed, columns "
        f"dropped ({', '.join(result['dropped'])})."
    )
    out.print(
        f"Re-identification risk of the release: highest {risk['max_risk']:.2f}, average "
        f"{risk['average_risk']:.4f}. Report: {ws.root / html}\n"
    )


def step_governance(ws, out) -> None:
    import datetime as dt

    from bulle.domain.actor import Actor, Role
    from bulle.domain.consents import Consent
    from bulle.services import governance as gov
    from bulle.workspace import Workspace

    out.rule("4. Purposes, consents and a project")
    gov.declare_purpose(
        ws,
        "soins",
        "Prise en charge des patients",
        "public_task",
        special_categories=True,
        art9_condition="health_care",
        compatible_with=["recherche-diabete"],
    )
    gov.declare_purpose(
        ws,
        "recherche-diabete",
        "Étude sur le diabète de type 2",
        "consent",
        special_categories=True,
        art9_condition="explicit_consent",
    )
    gov.set_dataset_purpose(ws, "patients", "soins")
    now = dt.datetime.now(dt.UTC)
    ids = [f"P{100000 + i}" for i in range(0, 1000, 2)]  # every other patient consents
    gov.record_choices(
        ws,
        [
            Consent(i, "recherche-diabete", "given", now - dt.timedelta(days=7), "formulaire")
            for i in ids
        ],
    )
    gov.create_project(
        ws,
        "etude-diabete",
        "recherche-diabete",
        {"patients": ["id_patient", "sexe", "code_postal", "diagnostic"]},
        [("bob", "analyst")],
        now - dt.timedelta(days=30),
        now + dt.timedelta(days=365),
        kind="pseudonymize",
    )
    gov.approve_project(ws, "etude-diabete")
    out.print(
        f"Purposes declared; {len(ids)} patients consented to 'recherche-diabete'; project "
        "[bold]etude-diabete[/] approved for analyst bob (4 declared columns of the latest pseudonymized "
        "version of patients, never the raw import)."
    )
    analyst = Workspace.open(ws.root, Actor("bob", Role.ANALYST))
    try:
        first, served = gov.read_served(analyst, "etude-diabete", "patients")
        gov.record_choices(
            ws,
            [
                Consent(
                    ids[0], "recherche-diabete", "withdrawn", dt.datetime.now(dt.UTC), "courrier"
                )
            ],
        )
        second = gov.read_for_project(analyst, "etude-diabete", "patients")
        out.print(
            f"bob reads patients: served [bold]{served.ref}[/] ({served.kind.value}), {first.num_rows} rows, "
            f"columns {', '.join(first.column_names)}"
        )
        out.print(f"{ids[0]} withdraws consent; bob's next read: {second.num_rows} rows")
        try:
            gov.read_for_project(analyst, "etude-diabete", "patients@1")
        except BulleError as exc:  # the raw import is outside the project's binding
            out.print(f"bob asks for the raw import patients@1: [red]refused[/] ({exc.message})")
        counts = gov.query_for_project(
            analyst,
            "etude-diabete",
            "SELECT diagnostic, count(*) AS n FROM patients GROUP BY 1 ORDER BY 2 DESC LIMIT 3",
        )
        out.print(
            f"bob's SQL on the locked-down view of {served.ref}: "
            + ", ".join(f"{r['diagnostic']}={r['n']}" for r in counts.to_pylist())
        )
        try:
            gov.query_for_project(
                analyst,
                "etude-diabete",
                f"SELECT * FROM read_parquet('{ws.root}/data/*/*.parquet')",
            )
        except BulleError as exc:  # the lock-down refuses it
            out.print(
                f"bob tries to read the raw files: [red]refused[/] ({str(exc).splitlines()[0][:90]})"
            )
    finally:
        analyst.close()
    out.print()


def step_rights(ws, out) -> None:
    from bulle.services import subject_rights as sr

    out.rule("6. Data-subject rights")
    subject = "P100002"
    report = sr.access_report(ws, subject)
    out.print(
        f"Access report for {subject}: held in {', '.join(v['ref'] for v in report.versions)}; "
        f"read {len(report.reads)} times by project etude-diabete"
    )
    erased = sr.erase_subject(ws, subject)
    out.print(
        f"Erasure of {subject}: rewrote {', '.join(r['ref'] for r in erased.rewritten)}, recomputed "
        f"{', '.join(r['ref'] for r in erased.recomputed) or '-'} (receipt {erased.receipt_id[:20]}…)"
    )
    from bulle.services.audit import verify_workspace_log

    report = verify_workspace_log(ws)  # checked and recorded like any verification
    out.print(f"Audit log: {report.message()}\n")


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
            personal = (
                "yes (pseudonymized)"
                if v["pseudonymized"]
                else ("yes" if v["personal_data"] else "no")
            )
            t.add_row(
                v["ref"], v["kind"], f"{v['rows']:,}", ", ".join(v["parents"]) or "-", personal
            )
    out.print(t)


STEPS = [step_vault, step_text, step_governance, step_anonymize, step_rights, step_summary]
