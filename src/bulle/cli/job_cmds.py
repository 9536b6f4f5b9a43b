"""``bulle job`` and ``bulle output``: analysts' jobs in the sandbox, and what may leave it."""

from __future__ import annotations

from pathlib import Path

import click

from bulle.cli.common import console, emit, json_option, workspace_from


@click.group("job")
def job() -> None:
    """Submit code to run by a project's data in the sandbox; follow it; see its outputs."""


@job.command("submit")
@click.option("--project", required=True, help="The project the job runs for.")
@click.argument("code", type=click.Path(path_type=Path))
@click.option("--dummy", is_flag=True, help="Run on dummy data with the project's schema.")
@json_option
@click.pass_context
def submit(ctx, project, code, dummy, as_json):
    """Run CODE (a .py or .sql file, or a folder with main.py) in the sandbox for PROJECT."""
    from bulle.services.jobs import submit_job

    with workspace_from(ctx) as ws:
        done = submit_job(ws, project, code, dummy=dummy)
    payload = {"job": done.id, "state": done.state.value, "reason": done.reason}
    emit(payload, as_json, lambda d: console().print(f"job {d['job']}: {d['state']} {d['reason']}"))


@job.command("status")
@click.argument("job_id")
@json_option
@click.pass_context
def status(ctx, job_id, as_json):
    """A job's state, the reason it ended, what it saw and used."""
    from bulle.services.jobs import job_status

    with workspace_from(ctx) as ws:
        payload = job_status(ws, job_id).to_dict()
    emit(payload, as_json, lambda d: console().print(f"{d['job']}: {d['state']} {d['reason']}"))


@job.command("logs")
@click.argument("job_id")
@json_option
@click.pass_context
def logs(ctx, job_id, as_json):
    """What the job printed (capped)."""
    from bulle.services.jobs import job_logs

    with workspace_from(ctx) as ws:
        payload = job_logs(ws, job_id)
    emit(payload, as_json, lambda d: console().print(d["stdout"] + d["stderr"], markup=False))


@job.command("list")
@click.option("--project", default=None)
@json_option
@click.pass_context
def list_(ctx, project, as_json):
    """Jobs the acting user may see (an analyst: their own)."""
    from bulle.services.jobs import list_jobs

    with workspace_from(ctx) as ws:
        payload = {"jobs": [j.to_dict() for j in list_jobs(ws, project)]}

    def render(d):
        for j in d["jobs"]:
            console().print(f"{j['job']}  {j['project']}  {j['analyst']}  {j['state']}")

    emit(payload, as_json, render)


@job.command("outputs")
@click.argument("job_id")
@json_option
@click.pass_context
def outputs(ctx, job_id, as_json):
    """A job's outputs, each with its status and check results."""
    from bulle.services.job_outputs import list_outputs

    with workspace_from(ctx) as ws:
        outs = [o.to_dict() for o in list_outputs(ws, job_id)]

    def render(d):
        for o in d:
            failed = [c["rule"] for c in o["checks"] if not c["passed"]]
            console().print(f"{o['name']} ({o['kind']}): {o['status']} {' '.join(failed)}")

    emit(outs, as_json, render)


@job.command("cancel")
@click.argument("job_id")
@json_option
@click.pass_context
def cancel(ctx, job_id, as_json):
    """Cancel a queued or running job."""
    from bulle.services.jobs import cancel_job

    with workspace_from(ctx) as ws:
        payload = cancel_job(ws, job_id).to_dict()
    emit(payload, as_json, lambda d: console().print(f"{d['job']}: {d['state']}"))


@click.group("output")
def output() -> None:
    """Review, mitigate, justify and download the outputs of jobs."""


@output.command("review")
@click.argument("job_id")
@click.argument("name")
@click.option("--approve", "decision", flag_value="approve")
@click.option("--reject", "decision", flag_value="reject")
@click.option("--comment", required=True)
@json_option
@click.pass_context
def review(ctx, job_id, name, decision, comment, as_json):
    """Approve or reject an output (a checker, never its analyst; two approvals release it)."""
    from bulle.services.job_outputs import review_output

    if decision is None:
        raise click.UsageError("say --approve or --reject")
    with workspace_from(ctx) as ws:
        payload = review_output(
            ws, job_id, name, approve=decision == "approve", comment=comment
        ).to_dict()
    emit(payload, as_json, lambda d: console().print(f"{d['name']}: {d['status']}"))


@output.command("queue")
@json_option
@click.pass_context
def queue(ctx, as_json):
    """Outputs waiting for this checker's review."""
    from bulle.services.job_outputs import review_queue

    with workspace_from(ctx) as ws:
        outs = [o.to_dict() for o in review_queue(ws)]
    emit(
        outs,
        as_json,
        lambda d: [console().print(f"{o['job']} {o['name']}: {o['status']}") for o in d],
    )


@output.command("mitigate")
@click.argument("job_id")
@click.argument("name")
@click.option("--method", type=click.Choice(["suppress", "round", "opensafely"]), required=True)
@json_option
@click.pass_context
def mitigate(ctx, job_id, name, method, as_json):
    """Apply an offered mitigation: a new revision of the output, checked again."""
    from bulle.services.job_outputs import mitigate_output

    with workspace_from(ctx) as ws:
        payload = mitigate_output(ws, job_id, name, method).to_dict()
    emit(
        payload, as_json, lambda d: console().print(f"{d['name']} r{d['revision']}: {d['status']}")
    )


@output.command("request-exception")
@click.argument("job_id")
@click.argument("name")
@click.option("--reason", required=True)
@json_option
@click.pass_context
def request_exception(ctx, job_id, name, reason, as_json):
    """Ask the checkers to review a blocked output as it is, saying why."""
    from bulle.services.job_outputs import request_exception as ask

    with workspace_from(ctx) as ws:
        payload = ask(ws, job_id, name, reason).to_dict()
    emit(payload, as_json, lambda d: console().print(f"{d['name']}: exception requested"))


@output.command("download")
@click.argument("job_id")
@click.argument("name")
@click.option("--to", "to", required=True, type=click.Path(path_type=Path))
@json_option
@click.pass_context
def download(ctx, job_id, name, to, as_json):
    """Copy a released output to a folder (its analyst only)."""
    from bulle.services.job_outputs import download_output

    with workspace_from(ctx) as ws:
        payload = download_output(ws, job_id, name, to).to_dict()
    emit(payload, as_json, lambda d: console().print(f"{d['name']} -> {d['to']}"))
