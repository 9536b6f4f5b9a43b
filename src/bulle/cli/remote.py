"""The CLI as a client: ``bulle --server URL --token T COMMAND ...`` sends COMMAND to a server.

The commands here take the same arguments and print the same ``--json`` as their local
counterparts; a refusal comes back as the same error class (``bulle.client``), so `cli/main.py`
exits with the same code and prints the same JSON error. Commands that only make sense on the
custodian's machine (``export --include-keys``, ``reidentify``, ``rotate-key``,
``import-workspace``, account administration) are not offered remotely.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from bulle.cli.common import emit, json_option
from bulle.errors import InputError, Where


def client_from(ctx: click.Context):
    from bulle.client import Client

    obj = ctx.find_root().obj or {}
    return Client(obj["server"], obj.get("token"))


def _show(payload) -> None:
    click.echo(json.dumps(payload, ensure_ascii=False, indent=2, default=str))


@click.command("datasets")
@json_option
@click.pass_context
def datasets(ctx, as_json: bool) -> None:
    """List datasets with their versions (on the server)."""
    with client_from(ctx) as c:
        emit(c.datasets(), as_json, _show)


@click.command("versions")
@click.argument("name")
@json_option
@click.pass_context
def versions(ctx, name: str, as_json: bool) -> None:
    """Show every version of NAME with its lineage (on the server)."""
    with client_from(ctx) as c:
        emit(c.versions(name), as_json, _show)


@click.command("import")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--dataset", "-d", required=True)
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet", "jsonl"]))
@click.option("--delimiter")
@click.option("--header/--no-header", default=None)
@click.option("--encoding", default="utf-8", show_default=True)
@json_option
@click.pass_context
def import_(ctx, path: Path, dataset: str, fmt, delimiter, header, encoding, as_json: bool) -> None:
    """Upload PATH (streamed) and import it on the server as a new version of DATASET."""
    if delimiter is not None and delimiter in ("\\t", "tab"):
        delimiter = "\t"
    with client_from(ctx) as c:
        payload = c.import_table(
            path, dataset, format=fmt, delimiter=delimiter, header=header, encoding=encoding
        )
    emit(payload, as_json, lambda p: click.echo(f"Imported {p['ref']}: {p['rows']:,} rows"))


@click.command("roles")
@click.argument("ref")
@click.option("--set", "sets", multiple=True, metavar="COLUMN=ROLE")
@click.option("--confirm", is_flag=True)
@json_option
@click.pass_context
def roles(ctx, ref: str, sets, confirm: bool, as_json: bool) -> None:
    """Confirm or override column roles (on the server)."""
    changes = {}
    for item in sets:
        col, sep, role = item.partition("=")
        if not sep:
            raise InputError(f"expected COLUMN=ROLE, got {item!r}", Where(field="--set"))
        changes[col.strip()] = role.strip()
    with client_from(ctx) as c:
        emit(c.set_roles(ref, changes, confirm_all=confirm), as_json, _show)


@click.command("read")
@click.argument("ref")
@click.option("--project", "project_name", required=True)
@click.option("--column", "columns", multiple=True)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--limit", type=click.IntRange(0), default=20, show_default=True)
@json_option
@click.pass_context
def read(ctx, ref, project_name, columns, output, limit, as_json) -> None:
    """Read REF for a project, as the project's row access allows (on the server)."""
    with client_from(ctx) as c:
        payload = c.read(project_name, ref, columns=list(columns) or None, limit=limit)
        if output:
            c.read_file(project_name, ref, output, columns=list(columns) or None)
            payload.pop("data", None)
            payload["output"] = str(output)
    emit(payload, as_json, _show)


@click.command("query")
@click.argument("sql")
@click.option("--project", "project_name", required=True)
@click.option("--timeout", type=float, default=None)
@json_option
@click.pass_context
def query(ctx, sql, project_name, timeout, as_json) -> None:
    """Run SQL over a project's datasets on the server's locked-down connection."""
    with client_from(ctx) as c:
        emit(c.query(project_name, sql, timeout_s=timeout), as_json, _show)


@click.group("audit")
def audit() -> None:
    """Read and verify the server's audit log (DPO, custodian)."""


@audit.command("log")
@click.option("--from", "from_seq", type=click.IntRange(min=1), default=None)
@click.option("--limit", type=click.IntRange(min=0), default=50, show_default=True)
@click.option("--kind", default=None)
@json_option
@click.pass_context
def audit_log(ctx, from_seq, limit, kind, as_json) -> None:
    with client_from(ctx) as c:
        emit(c.audit_log(from_seq=from_seq, limit=limit, kind=kind), as_json, _show)


@audit.command("verify")
@click.option("--quick", is_flag=True)
@json_option
@click.pass_context
def audit_verify(ctx, quick, as_json) -> None:
    with client_from(ctx) as c:
        payload = c.verify_audit_log(quick=quick)
    emit(payload, as_json, lambda p: click.echo(p["message"]))


@click.group("job")
def job() -> None:
    """Submit jobs to run by a project's data on the server; follow them; see their outputs."""


@job.command("submit")
@click.option("--project", required=True)
@click.argument("code", type=click.Path(path_type=Path))
@click.option("--dummy", is_flag=True, help="Run on dummy data with the project's schema.")
@click.option("--wait", is_flag=True, help="Wait until the job ends.")
@json_option
@click.pass_context
def job_submit(ctx, project, code, dummy, wait, as_json) -> None:
    """Send CODE (a .py or .sql file, or a folder with main.py) to run for PROJECT."""
    with client_from(ctx) as c:
        sent = c.submit_job(project, code, dummy=dummy)
        payload = {"job": sent["job"], "state": sent["state"], "task": sent["task"]}
        if wait:
            done = c.wait_job(sent["job"])
            payload.update(state=done["state"], reason=done["reason"])
    emit(payload, as_json, _show)


@job.command("status")
@click.argument("job_id")
@json_option
@click.pass_context
def job_status(ctx, job_id, as_json) -> None:
    with client_from(ctx) as c:
        emit(c.job(job_id), as_json, _show)


@job.command("logs")
@click.argument("job_id")
@json_option
@click.pass_context
def job_logs(ctx, job_id, as_json) -> None:
    with client_from(ctx) as c:
        emit(c.job_logs(job_id), as_json, _show)


@job.command("list")
@click.option("--project", default=None)
@json_option
@click.pass_context
def job_list(ctx, project, as_json) -> None:
    with client_from(ctx) as c:
        emit(c.jobs(project), as_json, _show)


@job.command("outputs")
@click.argument("job_id")
@json_option
@click.pass_context
def job_outputs(ctx, job_id, as_json) -> None:
    with client_from(ctx) as c:
        emit(c.job_outputs(job_id), as_json, _show)


@job.command("cancel")
@click.argument("job_id")
@json_option
@click.pass_context
def job_cancel(ctx, job_id, as_json) -> None:
    with client_from(ctx) as c:
        emit(c.cancel_job(job_id), as_json, _show)


@click.group("output")
def output() -> None:
    """Review, mitigate, justify and download jobs' outputs on the server."""


@output.command("review")
@click.argument("job_id")
@click.argument("name")
@click.option("--approve", "decision", flag_value="approve")
@click.option("--reject", "decision", flag_value="reject")
@click.option("--comment", required=True)
@json_option
@click.pass_context
def output_review(ctx, job_id, name, decision, comment, as_json) -> None:
    if decision is None:
        raise click.UsageError("say --approve or --reject")
    with client_from(ctx) as c:
        emit(
            c.review_output(job_id, name, approve=decision == "approve", comment=comment),
            as_json,
            _show,
        )


@output.command("queue")
@json_option
@click.pass_context
def output_queue(ctx, as_json) -> None:
    with client_from(ctx) as c:
        emit(c.review_queue(), as_json, _show)


@output.command("mitigate")
@click.argument("job_id")
@click.argument("name")
@click.option("--method", type=click.Choice(["suppress", "round", "opensafely"]), required=True)
@json_option
@click.pass_context
def output_mitigate(ctx, job_id, name, method, as_json) -> None:
    with client_from(ctx) as c:
        emit(c.mitigate_output(job_id, name, method), as_json, _show)


@output.command("request-exception")
@click.argument("job_id")
@click.argument("name")
@click.option("--reason", required=True)
@json_option
@click.pass_context
def output_exception(ctx, job_id, name, reason, as_json) -> None:
    with client_from(ctx) as c:
        emit(c.request_exception(job_id, name, reason), as_json, _show)


@output.command("download")
@click.argument("job_id")
@click.argument("name")
@click.option("--to", "to", required=True, type=click.Path(path_type=Path))
@json_option
@click.pass_context
def output_download(ctx, job_id, name, to, as_json) -> None:
    with client_from(ctx) as c:
        emit(c.download_output(job_id, name, to), as_json, _show)


@click.group("consent")
def consent() -> None:
    """Record consents, withdrawals and objections on the server."""


@consent.command("import")
@click.argument("path", type=click.Path(path_type=Path))
@json_option
@click.pass_context
def consent_import(ctx, path, as_json) -> None:
    """Import choices from a CSV: subject_id,purpose,status,at[,source]."""
    from bulle.domain.consents import Objection
    from bulle.services.governance import read_choices_csv

    choices = read_choices_csv(path)  # the local checks, every problem at once, before sending
    body = [
        {
            "subject_id": c.subject_id,
            "purpose": c.purpose,
            "status": "objected" if isinstance(c, Objection) else c.status.value,
            "at": c.at.isoformat(),
            "source": c.source,
        }
        for c in choices
    ]
    with client_from(ctx) as c:
        emit(c.record_choices(body), as_json, _show)


@click.group("subject")
def subject() -> None:
    """A data subject's rights on the server (erasure stays a custodian's local command)."""


@subject.command("access-report")
@click.argument("subject_id")
@json_option
@click.pass_context
def subject_access_report(ctx, subject_id, as_json) -> None:
    """Which versions hold SUBJECT_ID's data, which projects read it and when."""
    with client_from(ctx) as c:
        emit(c.access_report(subject_id), as_json, _show)


@click.group("project")
def project() -> None:
    """Projects on the server."""


@project.command("list")
@json_option
@click.pass_context
def project_list(ctx, as_json) -> None:
    with client_from(ctx) as c:
        emit(c.projects(), as_json, _show)


REMOTE = {
    "datasets": datasets,
    "versions": versions,
    "import": import_,
    "roles": roles,
    "read": read,
    "query": query,
    "audit": audit,
    "job": job,
    "output": output,
    "consent": consent,
    "subject": subject,
    "project": project,
}
