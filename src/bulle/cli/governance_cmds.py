"""Governance commands: purposes, consents, projects, reads for a project, subject rights."""

from __future__ import annotations

from pathlib import Path

import click

from bulle.cli.common import console, emit, json_option, workspace_from
from bulle.errors import InputError, Where

BASES = ["consent", "contract", "legal_obligation", "vital_interests", "public_task", "legitimate_interests"]


@click.group("purpose")
def purpose() -> None:
    """Declare and list purposes with their legal basis."""


@purpose.command("declare")
@click.argument("name")
@click.option("--description", required=True)
@click.option("--legal-basis", required=True, type=click.Choice(BASES), help="GDPR art. 6(1) basis.")
@click.option("--special-categories", is_flag=True, help="The processing touches art. 9 data.")
@click.option("--art9", "art9_condition", help="The art. 9(2) condition (e.g. health_care, explicit_consent).")
@click.option("--compatible-with", multiple=True, help="A purpose that may reuse data collected for this one.")
@json_option
@click.pass_context
def declare(ctx, name, description, legal_basis, special_categories, art9_condition, compatible_with, as_json):
    """Declare (or redeclare) purpose NAME."""
    from bulle.services.governance import declare_purpose

    with workspace_from(ctx) as ws:
        p = declare_purpose(ws, name, description, legal_basis, special_categories=special_categories,
                            art9_condition=art9_condition, compatible_with=compatible_with)
    emit(p.to_dict(), as_json, lambda d: console().print(f"Purpose [bold]{d['name']}[/] ({d['legal_basis']})"))


@purpose.command("list")
@json_option
@click.pass_context
def list_purposes(ctx, as_json):
    from bulle.services.governance import store

    with workspace_from(ctx) as ws:
        items = [p.to_dict() for p in store(ws).purposes().values()]
    emit({"purposes": items}, as_json, lambda d: [console().print(
        f"{p['name']}: {p['legal_basis']}{' + art. 9 ' + p['art9_condition'] if p['art9_condition'] else ''} — "
        f"{p['description']}") for p in d["purposes"]])


@click.command("dataset-purpose")
@click.argument("dataset")
@click.argument("purpose_name")
@json_option
@click.pass_context
def dataset_purpose(ctx, dataset, purpose_name, as_json):
    """Record the purpose DATASET was collected for."""
    from bulle.services.governance import set_dataset_purpose

    with workspace_from(ctx) as ws:
        out = set_dataset_purpose(ws, dataset, purpose_name)
    emit(out, as_json, lambda d: console().print(f"{d['dataset']} was collected for {d['collection_purpose']}"))


@click.group("consent")
def consent() -> None:
    """Record consents, withdrawals and objections."""


def _choice(kind: str):
    @click.argument("subject")
    @click.option("--purpose", "purpose_name", required=True)
    @click.option("--at", default=None, help="When (ISO 8601 with time zone; default: now).")
    @click.option("--source", default="cli", show_default=True, help="Where the choice was expressed.")
    @json_option
    @click.pass_context
    def run(ctx, subject, purpose_name, at, source, as_json):
        from bulle.domain.consents import Consent, Objection
        from bulle.services.governance import now_utc, record_choices

        when = at or now_utc()
        choice = Objection(subject, purpose_name, when, source) if kind == "objected" else \
            Consent(subject, purpose_name, kind, when, source)
        with workspace_from(ctx) as ws:
            out = record_choices(ws, [choice])
        emit(out, as_json, lambda d: console().print(f"Recorded: {kind} ({purpose_name})"))

    return run


consent.command("give", help="Record that SUBJECT gave consent to a purpose.")(_choice("given"))
consent.command("withdraw", help="Record that SUBJECT withdrew consent (effective on the next read).")(_choice("withdrawn"))
consent.command("object", help="Record that SUBJECT objects to a purpose (art. 21).")(_choice("objected"))


@consent.command("import")
@click.argument("path", type=click.Path(path_type=Path))
@json_option
@click.pass_context
def consent_import(ctx, path, as_json):
    """Import choices from a CSV: subject_id,purpose,status,at[,source]."""
    from bulle.services.governance import read_choices_csv, record_choices

    choices = read_choices_csv(path)
    with workspace_from(ctx) as ws:
        out = record_choices(ws, choices)
    emit(out, as_json, lambda d: console().print(f"Recorded {d['recorded']:,} choices: {d['kinds']}"))


@click.group("project")
def project() -> None:
    """Create, approve and list projects."""


@project.command("create")
@click.argument("name")
@click.option("--purpose", "purpose_name", required=True)
@click.option("--dataset", "datasets", multiple=True, required=True, metavar="NAME=COL,COL",
              help="A dataset and the columns the project needs (repeat).")
@click.option("--member", "members", multiple=True, required=True, metavar="USER:ROLE", help="analyst or custodian.")
@click.option("--from", "valid_from", required=True, help="Start (ISO 8601 with time zone).")
@click.option("--until", "valid_until", required=True, help="End, excluded (ISO 8601 with time zone).")
@click.option("--description", default="")
@json_option
@click.pass_context
def project_create(ctx, name, purpose_name, datasets, members, valid_from, valid_until, description, as_json):
    from bulle.services.governance import create_project

    uses = {}
    for item in datasets:
        ds, sep, cols = item.partition("=")
        if not sep or not cols.strip():
            raise InputError(f"expected NAME=COL,COL, got {item!r}", Where(field="--dataset"))
        uses[ds.strip()] = [c.strip() for c in cols.split(",") if c.strip()]
    people = []
    for item in members:
        user, sep, role = item.partition(":")
        if not sep:
            raise InputError(f"expected USER:ROLE, got {item!r}", Where(field="--member"))
        people.append((user.strip(), role.strip()))
    with workspace_from(ctx) as ws:
        p = create_project(ws, name, purpose_name, uses, people, valid_from, valid_until, description)
    emit(p.to_dict(), as_json, lambda d: console().print(
        f"Project [bold]{d['name']}[/] created for purpose {d['purpose']}; it needs a custodian's approval."))


@project.command("approve")
@click.argument("name")
@json_option
@click.pass_context
def project_approve(ctx, name, as_json):
    from bulle.services.governance import approve_project

    with workspace_from(ctx) as ws:
        p = approve_project(ws, name)
    emit(p.to_dict(), as_json, lambda d: console().print(f"Project [bold]{d['name']}[/] approved."))


@project.command("list")
@json_option
@click.pass_context
def project_list(ctx, as_json):
    from bulle.services.governance import store

    with workspace_from(ctx) as ws:
        items = [p.to_dict() for p in store(ws).projects()]
    emit({"projects": items}, as_json, lambda d: [console().print(
        f"{p['name']}: purpose {p['purpose']}, {'approved' if p['approval'] else 'not approved'}, "
        f"{p['valid_from']} → {p['valid_until']}") for p in d["projects"]])


@click.command("read")
@click.argument("ref")
@click.option("--project", "project_name", required=True)
@click.option("--column", "columns", multiple=True, help="Only these columns (default: all the project declared).")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to .csv or .parquet.")
@click.option("--limit", type=click.IntRange(0), default=20, show_default=True, help="Rows shown (not written).")
@json_option
@click.pass_context
def read(ctx, ref, project_name, columns, output, limit, as_json):
    """Read REF for a project: declared columns, people whose consent allows it, now."""
    from bulle.services.governance import read_for_project

    with workspace_from(ctx) as ws:
        table = read_for_project(ws, project_name, ref, list(columns) or None)
    payload = {"ref": ref, "project": project_name, "rows": table.num_rows, "columns": table.column_names}
    if output:
        _write(table, output)
        payload["output"] = str(output)
    else:
        payload["data"] = table.slice(0, limit).to_pylist()
    emit(payload, as_json, lambda d: console().print(
        f"{d['rows']:,} rows, columns {', '.join(d['columns'])}" + (f" -> {d['output']}" if output else "")))


@click.command("query")
@click.argument("sql")
@click.option("--project", "project_name", required=True)
@click.option("--timeout", type=float, default=60.0, show_default=True, help="Seconds before the query is stopped.")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path))
@json_option
@click.pass_context
def query(ctx, sql, project_name, timeout, output, as_json):
    """Run SQL over a project's datasets (one table per dataset), on a locked-down connection."""
    from bulle.services.governance import query_for_project

    with workspace_from(ctx) as ws:
        table = query_for_project(ws, project_name, sql, timeout_s=timeout)
    payload = {"project": project_name, "rows": table.num_rows, "columns": table.column_names}
    if output:
        _write(table, output)
        payload["output"] = str(output)
    else:
        payload["data"] = table.slice(0, 1000).to_pylist()

    def render(d):
        from rich.table import Table

        t = Table(*d["columns"])
        for row in d.get("data", [])[:50]:
            t.add_row(*["" if v is None else str(v) for v in row.values()])
        console().print(t)

    emit(payload, as_json, render)


def _write(table, output: Path) -> None:
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    tmp = output.with_name(f".{output.name}.tmp")
    if output.suffix.lower() == ".parquet":
        pq.write_table(table, tmp)
    elif output.suffix.lower() == ".csv":
        pcsv.write_csv(table, tmp)
    else:
        raise InputError("use a .csv or .parquet output name", Where(file=str(output)))
    tmp.replace(output)


@click.group("subject")
def subject() -> None:
    """Data-subject rights: access report and erasure."""


@subject.command("access-report")
@click.argument("subject_id")
@json_option
@click.pass_context
def access_report(ctx, subject_id, as_json):
    """Which versions hold SUBJECT_ID's data, which projects read it and when."""
    from bulle.services.subject_rights import access_report as run

    with workspace_from(ctx) as ws:
        report = run(ws, subject_id)

    def render(d):
        out = console()
        out.print(f"[bold]Access report for {d['subject']}[/] ({d['generated_at']})")
        for v in d["versions"]:
            how = f"by {', '.join(v['linked_by'])}" if v.get("linked_by") else f"derived from {', '.join(v['derived_from'])}"
            out.print(f"  holds data: {v['ref']} ({v['kind']}, {v['status']}, {how})", markup=False)
        for n in d["not_searched"]:
            out.print(f"  not searched: {n['ref']}: {n['reason']}", markup=False)
        for r in d["reads"]:
            out.print(f"  read by project {r['project']} ({r['purpose']}) on {r['version']} at {r['at']} by {r['by']}")
        for c in d["choices"]:
            out.print(f"  choice: {c['kind']} for {c['purpose']} at {c['at']} ({c['source']})")

    emit(report, as_json, render)


@subject.command("erase")
@click.argument("subject_id")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@json_option
@click.pass_context
def erase(ctx, subject_id, yes, as_json):
    """Erase SUBJECT_ID from every version holding them (by subject id, NIR, e-mail, telephone or
    pseudonym) and recompute derived versions; list the versions that could not be searched."""
    from bulle.services.subject_rights import erase_subject

    if not yes and not as_json:
        click.confirm(f"Erase {subject_id} from every version holding them?", abort=True)
    with workspace_from(ctx) as ws:
        out = erase_subject(ws, subject_id)

    def render(d):
        con = console()
        con.print(f"Erased (receipt {d['receipt_id']}{', resumed' if d['resumed'] else ''}): rewritten "
                  + (", ".join(f"{r['ref']} (-{r['rows_removed']} rows, by {', '.join(r['linked_by'])})"
                               for r in d["rewritten"]) or "-")
                  + f"; recomputed {', '.join(r['ref'] for r in d['recomputed']) or '-'}"
                  + f"; withheld {', '.join(d['withheld']) or '-'}; searched {len(d['searched'])} version(s)",
                  markup=False)
        for n in d["not_searched"]:
            con.print(f"  not searched: {n['ref']}: {n['reason']}", markup=False)

    emit(out, as_json, render)
