"""Governance commands: purposes, consents, projects, reads for a project, subject rights."""

from __future__ import annotations

from pathlib import Path

import click

from bulle.cli.common import console, emit, json_option, workspace_from
from bulle.errors import InputError, Where
from bulle.outputs import ROWS, OutputFile, keep_formulas_option

BASES = [
    "consent",
    "contract",
    "legal_obligation",
    "vital_interests",
    "public_task",
    "legitimate_interests",
]


@click.group("purpose")
def purpose() -> None:
    """Declare and list purposes with their legal basis."""


@purpose.command("declare")
@click.argument("name")
@click.option("--description", required=True)
@click.option(
    "--legal-basis", required=True, type=click.Choice(BASES), help="GDPR art. 6(1) basis."
)
@click.option("--special-categories", is_flag=True, help="The processing touches art. 9 data.")
@click.option(
    "--art9", "art9_condition", help="The art. 9(2) condition (e.g. health_care, explicit_consent)."
)
@click.option(
    "--compatible-with", multiple=True, help="A purpose that may reuse data collected for this one."
)
@json_option
@click.pass_context
def declare(
    ctx,
    name,
    description,
    legal_basis,
    special_categories,
    art9_condition,
    compatible_with,
    as_json,
):
    """Declare (or redeclare) purpose NAME."""
    from bulle.services.governance import declare_purpose

    with workspace_from(ctx) as ws:
        p = declare_purpose(
            ws,
            name,
            description,
            legal_basis,
            special_categories=special_categories,
            art9_condition=art9_condition,
            compatible_with=compatible_with,
        )
    emit(
        p.to_dict(),
        as_json,
        lambda d: console().print(f"Purpose [bold]{d['name']}[/] ({d['legal_basis']})"),
    )


@purpose.command("list")
@json_option
@click.pass_context
def list_purposes(ctx, as_json):
    from bulle.services.governance import store

    with workspace_from(ctx) as ws:
        items = [p.to_dict() for p in store(ws).purposes().values()]
    emit(
        {"purposes": items},
        as_json,
        lambda d: [
            console().print(
                f"{p['name']}: {p['legal_basis']}{' + art. 9 ' + p['art9_condition'] if p['art9_condition'] else ''} — "
                f"{p['description']}"
            )
            for p in d["purposes"]
        ],
    )


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
    emit(
        out,
        as_json,
        lambda d: console().print(f"{d['dataset']} was collected for {d['collection_purpose']}"),
    )


@click.group("consent")
def consent() -> None:
    """Record consents, withdrawals and objections."""


def _choice(kind: str):
    @click.argument("subject")
    @click.option("--purpose", "purpose_name", required=True)
    @click.option("--at", default=None, help="When (ISO 8601 with time zone; default: now).")
    @click.option(
        "--source", default="cli", show_default=True, help="Where the choice was expressed."
    )
    @json_option
    @click.pass_context
    def run(ctx, subject, purpose_name, at, source, as_json):
        from bulle.domain.consents import Consent, Objection
        from bulle.services.governance import now_utc, record_choices

        when = at or now_utc()
        choice = (
            Objection(subject, purpose_name, when, source)
            if kind == "objected"
            else Consent(subject, purpose_name, kind, when, source)
        )
        with workspace_from(ctx) as ws:
            out = record_choices(ws, [choice])
        emit(out, as_json, lambda d: console().print(f"Recorded: {kind} ({purpose_name})"))

    return run


consent.command("give", help="Record that SUBJECT gave consent to a purpose.")(_choice("given"))
consent.command(
    "withdraw", help="Record that SUBJECT withdrew consent (effective on the next read)."
)(_choice("withdrawn"))
consent.command("object", help="Record that SUBJECT objects to a purpose (art. 21).")(
    _choice("objected")
)


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
    emit(
        out, as_json, lambda d: console().print(f"Recorded {d['recorded']:,} choices: {d['kinds']}")
    )


@click.group("project")
def project() -> None:
    """Create, approve and list projects."""


@project.command("create")
@click.argument("name")
@click.option("--purpose", "purpose_name", required=True)
@click.option(
    "--dataset",
    "datasets",
    multiple=True,
    required=True,
    metavar="NAME[@N]=COL,COL",
    help="A dataset, pinned to version N or bound by --kind, and the columns the project needs "
    "(repeat).",
)
@click.option(
    "--kind",
    "kinds",
    multiple=True,
    metavar="[NAME=]KIND",
    help="Serve the latest version of this kind (pseudonymize, anonymize, text, import...) of "
    "every dataset given without @N, or of dataset NAME.",
)
@click.option(
    "--member",
    "members",
    multiple=True,
    required=True,
    metavar="USER:ROLE",
    help="analyst, checker or custodian.",
)
@click.option("--from", "valid_from", required=True, help="Start (ISO 8601 with time zone).")
@click.option(
    "--until", "valid_until", required=True, help="End, excluded (ISO 8601 with time zone)."
)
@click.option("--description", default="")
@json_option
@click.pass_context
def project_create(
    ctx, name, purpose_name, datasets, kinds, members, valid_from, valid_until, description, as_json
):
    """Create project NAME; each dataset is pinned (NAME@N) or bound to a kind (--kind)."""
    from bulle.services.governance import create_project

    uses = {}
    for item in datasets:
        ds, sep, cols = item.partition("=")
        if not sep or not cols.strip():
            raise InputError(f"expected NAME[@N]=COL,COL, got {item!r}", Where(field="--dataset"))
        uses[ds.strip()] = [c.strip() for c in cols.split(",") if c.strip()]
    kind = _kinds(kinds)
    people = []
    for item in members:
        user, sep, role = item.partition(":")
        if not sep:
            raise InputError(f"expected USER:ROLE, got {item!r}", Where(field="--member"))
        people.append((user.strip(), role.strip()))
    with workspace_from(ctx) as ws:
        p = create_project(
            ws, name, purpose_name, uses, people, valid_from, valid_until, description, kind=kind
        )
    emit(
        p.to_dict(),
        as_json,
        lambda d: console().print(
            f"Project [bold]{d['name']}[/] created for purpose {d['purpose']}, reading "
            f"{'; '.join(u.binding for u in p.datasets)}; it needs a custodian's approval."
        ),
    )


def _kinds(items: tuple[str, ...]) -> str | dict[str, str] | None:
    """``--kind KIND`` (every dataset without @N) or ``--kind NAME=KIND`` (one dataset), not both."""
    if not items:
        return None
    default = [i for i in items if "=" not in i]
    named = dict(i.partition("=")[::2] for i in items if "=" in i)
    if len(default) > 1 or (default and named):
        raise InputError(
            "give one --kind KIND for every dataset, or one --kind NAME=KIND per dataset",
            Where(field="--kind"),
        )
    if default:
        return default[0].strip()
    return {k.strip(): v.strip() for k, v in named.items()}


@project.command("approve")
@click.argument("name")
@click.option(
    "--allow-raw",
    is_flag=True,
    help="Allow the project to be served raw (not pseudonymized) versions it is bound to.",
)
@click.option(
    "--row-access",
    type=click.Choice(["none", "view", "export"]),
    default=None,
    help="What the project may do with rows through the server: none, view (on screen) or "
    "export (files, anonymized versions only). Default: none for personal data, else export.",
)
@json_option
@click.pass_context
def project_approve(ctx, name, allow_raw, row_access, as_json):
    """Approve project NAME (a custodian); raw data needs --allow-raw."""
    from bulle.services.governance import approve_project

    with workspace_from(ctx) as ws:
        p = approve_project(ws, name, allow_raw=allow_raw, row_access=row_access)
    emit(
        p.to_dict(),
        as_json,
        lambda d: console().print(
            f"Project [bold]{d['name']}[/] approved"
            + (" (raw data allowed)." if allow_raw else ".")
        ),
    )


@project.command("list")
@json_option
@click.pass_context
def project_list(ctx, as_json):
    from bulle.services.governance import store

    with workspace_from(ctx) as ws:
        items = [p.to_dict() for p in store(ws).projects()]
    emit(
        {"projects": items},
        as_json,
        lambda d: [
            console().print(
                f"{p['name']}: purpose {p['purpose']}, {'approved' if p['approval'] else 'not approved'}"
                f"{' (raw data allowed)' if p['approval'] and p['approval'].get('allow_raw') else ''}, "
                f"{p['valid_from']} → {p['valid_until']}; reads "
                + ", ".join(
                    f"{u['dataset']}@{u['version']}"
                    if u.get("version")
                    else f"{u['dataset']} (latest {u.get('kind')})"
                    for u in p["datasets"]
                )
            )
            for p in d["projects"]
        ],
    )


@click.command("read")
@click.argument("ref")
@click.option("--project", "project_name", required=True)
@click.option(
    "--column",
    "columns",
    multiple=True,
    help="Only these columns (default: all the project declared).",
)
@click.option(
    "--output", type=OutputFile(ROWS), help="Write to .csv, .parquet or .jsonl (mode 0600)."
)
@keep_formulas_option
@click.option(
    "--limit",
    type=click.IntRange(0),
    default=20,
    show_default=True,
    help="Rows shown (not written).",
)
@json_option
@click.pass_context
def read(ctx, ref, project_name, columns, output, keep_formulas, limit, as_json):
    """Read REF for a project: the version it is bound to, declared columns, people whose consent allows it."""
    from bulle.cli.result_output import output_format, write_table
    from bulle.services.governance import read_served
    from bulle.services.rows import json_rows as python_rows

    if output:
        output_format(output)
    with workspace_from(ctx) as ws:
        table, v = read_served(ws, project_name, ref, list(columns) or None)
    payload = {
        "ref": ref,
        "version": v.ref,
        "project": project_name,
        "rows": table.num_rows,
        "columns": table.column_names,
    }
    if output:
        write_table(table, output, keep_formulas)
        payload["output"] = str(output)
    else:
        payload["data"] = python_rows(table.slice(0, limit))
    emit(
        payload,
        as_json,
        lambda d: console().print(
            f"{d['version']}: {d['rows']:,} rows, columns {', '.join(d['columns'])}"
            + (f" -> {d['output']}" if output else "")
        ),
    )


JSON_ROWS, TEXT_ROWS = 1000, 50  # rows of a query's result shown (the rest is counted, not kept)


@click.command("query")
@click.argument("sql")
@click.option("--project", "project_name", required=True)
@click.option(
    "--timeout",
    default=None,
    help="Seconds before the query is stopped (more than 0; default and ceiling: the "
    "workspace's settings query.timeout_default_s and query.timeout_max_s).",
)
@click.option(
    "--output",
    type=OutputFile(ROWS),
    help="Write every row to .csv, .parquet or .jsonl (streamed, within the result budget, mode 0600).",
)
@keep_formulas_option
@json_option
@click.pass_context
def query(ctx, sql, project_name, timeout, output, keep_formulas, as_json):
    """Run SQL over a project's datasets (one table per dataset), on a locked-down connection.

    The result streams: shown rows are the first ones, the others are counted (or written to
    --output) batch by batch; a result past the result budget stops with exit code 8.
    """
    from bulle.cli.result_output import output_format, write_batches
    from bulle.services.governance import stream_query_for_project
    from bulle.services.rows import json_rows as python_rows

    if output:
        output_format(output)
    keep = JSON_ROWS if as_json else TEXT_ROWS
    shown: list[dict] = []
    with (
        workspace_from(ctx) as ws,
        stream_query_for_project(ws, project_name, sql, timeout_s=_timeout(ws, timeout)) as result,
    ):
        columns = result.schema.names
        if output:
            write_batches(result, result.schema, output, keep_formulas)
        else:
            for batch in result:
                if len(shown) < keep:
                    shown.extend(python_rows(batch.slice(0, keep - len(shown))))
        rows = result.rows
    payload = {"project": project_name, "rows": rows, "columns": columns}
    if output:
        payload["output"] = str(output)
    else:
        payload["data"] = shown

    def render(d):
        from rich.table import Table

        if output:
            console().print(
                f"{d['rows']:,} rows, columns {', '.join(d['columns'])} -> {d['output']}"
            )
            return
        more = f", first {len(d['data']):,} shown" if d["rows"] > len(d["data"]) else ""
        t = Table(*d["columns"], caption=f"{d['rows']:,} rows{more}")
        for row in d["data"]:
            t.add_row(*["" if v is None else str(v) for v in row.values()])
        console().print(t)

    emit(payload, as_json, render)


def _timeout(ws, timeout: str | None) -> float | None:
    """``--timeout`` checked against the workspace's ceiling (None: the workspace's default)."""
    from bulle.governance.limits import check_timeout

    return (
        None
        if timeout is None
        else check_timeout(timeout, "--timeout", ws.settings["query.timeout_max_s"])
    )


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
            how = (
                f"by {', '.join(v['linked_by'])}"
                if v.get("linked_by")
                else f"derived from {', '.join(v['derived_from'])}"
            )
            out.print(f"  holds data: {v['ref']} ({v['kind']}, {v['status']}, {how})", markup=False)
        for n in d["not_searched"]:
            out.print(f"  not searched: {n['ref']}: {n['reason']}", markup=False)
        for r in d["reads"]:
            out.print(
                f"  read by project {r['project']} ({r['purpose']}) on {r['version']} at {r['at']} by {r['by']}"
            )
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
        con.print(
            f"Erased (receipt {d['receipt_id']}{', resumed' if d['resumed'] else ''}): rewritten "
            + (
                ", ".join(
                    f"{r['ref']} (-{r['rows_removed']} rows, by {', '.join(r['linked_by'])})"
                    for r in d["rewritten"]
                )
                or "-"
            )
            + f"; recomputed {', '.join(r['ref'] for r in d['recomputed']) or '-'}"
            + f"; withheld {', '.join(d['withheld']) or '-'}; searched {len(d['searched'])} version(s)",
            markup=False,
        )
        for n in d["not_searched"]:
            con.print(f"  not searched: {n['ref']}: {n['reason']}", markup=False)
        for r in d.get("model_receipts", []):
            con.print(f"  forgotten in a model: unlearning receipt {r}", markup=False)

    emit(out, as_json, render)
