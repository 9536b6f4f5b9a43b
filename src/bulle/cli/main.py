"""Entry point of the `bulle` command.

Commands are loaded lazily (``COMMANDS`` maps a name to ``module:attribute``) so that
``bulle --help`` never imports DuckDB, pandas or spaCy. Every error is mapped to an exit code here,
and only here.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import traceback

import click

from bulle.errors import INTERNAL_EXIT_CODE, BulleError

# name -> (module:attribute, one-line help). One line per command group; add yours here.
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("bulle.cli.workspace_cmds:init", "Create a new workspace."),
    "import": (
        "bulle.cli.vault_cmds:import_",
        "Import a table (CSV, Parquet, JSONL) as a dataset version.",
    ),
    "datasets": ("bulle.cli.vault_cmds:datasets", "List datasets and their versions."),
    "versions": (
        "bulle.cli.vault_cmds:versions",
        "List the versions of one dataset, with lineage.",
    ),
    "show": ("bulle.cli.vault_cmds:show", "Show the first rows of a dataset version."),
    "profile": ("bulle.cli.vault_cmds:profile", "Profile a dataset and suggest a role per column."),
    "roles": ("bulle.cli.vault_cmds:roles", "Confirm or override column roles."),
    "pseudonymize": (
        "bulle.cli.vault_cmds:pseudonymize",
        "Replace direct identifiers with keyed tokens.",
    ),
    "rotate-key": (
        "bulle.cli.vault_cmds:rotate_key",
        "Rotate the pseudonymization key and re-pseudonymize.",
    ),
    "reidentify": (
        "bulle.cli.vault_cmds:reidentify",
        "Look up tokens in the encrypted re-identification table.",
    ),
    "export-table": (
        "bulle.cli.vault_cmds:export_table",
        "Write a dataset version to CSV, Parquet or JSONL.",
    ),
    "demo": ("bulle.cli.demo:demo", "Run the end-to-end demo on bundled data."),
    "anonymize": (
        "bulle.cli.anonymize_cmds:anonymize",
        "Release an anonymized table (k-anonymity, l-diversity, t-closeness, δ-presence).",
    ),
    "text": ("bulle.cli.text_cmds:text", "Find and replace personal data in French text."),
    "purpose": (
        "bulle.cli.governance_cmds:purpose",
        "Declare and list purposes with their legal basis.",
    ),
    "dataset-purpose": (
        "bulle.cli.governance_cmds:dataset_purpose",
        "Record the purpose a dataset was collected for.",
    ),
    "consent": (
        "bulle.cli.governance_cmds:consent",
        "Record consents, withdrawals and objections.",
    ),
    "project": ("bulle.cli.governance_cmds:project", "Create, approve and list projects."),
    "read": (
        "bulle.cli.governance_cmds:read",
        "Read a dataset for a project (columns and people it may see).",
    ),
    "query": (
        "bulle.cli.governance_cmds:query",
        "Run an analyst's SQL over a project's datasets, locked down.",
    ),
    "subject": (
        "bulle.cli.governance_cmds:subject",
        "Data-subject rights: access report, erasure.",
    ),
    "risk": ("bulle.cli.risk_cmds:risk", "Measure re-identification risk of a table."),
    "hierarchy": ("bulle.cli.hierarchy_cmds:hierarchy", "Build generalization hierarchies."),
    "audit": ("bulle.cli.audit_cmds:audit", "Verify and read the tamper-evident audit log."),
    "settings": (
        "bulle.cli.settings_cmds:settings",
        "List the workspace's settings; change one (custodian).",
    ),
    "export": ("bulle.cli.exchange_cmds:export", "Export the whole workspace to open formats."),
    "import-workspace": (
        "bulle.cli.exchange_cmds:import_workspace",
        "Rebuild a workspace from an export.",
    ),
    "user": ("bulle.cli.account_cmds:user", "Accounts: add, list, disable, password, totp."),
    "token": ("bulle.cli.account_cmds:token", "API tokens: create (shown once), list, revoke."),
    "serve": ("bulle.cli.serve_cmds:serve", "Serve the workspace's HTTP API (bulle serve)."),
    "job": ("bulle.cli.job_cmds:job", "Run analysts' code in the sandbox, by a project's data."),
    "output": ("bulle.cli.job_cmds:output", "Review, mitigate and download jobs' outputs."),
    "synthesize": (
        "bulle.cli.synthesis_cmds:synthesize",
        "Synthetic data with privacy and utility reports.",
    ),
    "synthetic": (
        "bulle.cli.synthesis_cmds:synthetic",
        "Mark a synthetic version as not personal data.",
    ),
    "model": (
        "bulle.cli.model_cmds:model",
        "Models that can forget: train, forget, verify, audit.",
    ),
    "backup": ("bulle.cli.backup_cmds:backup", "Copy a live workspace, verified."),
    "restore": ("bulle.cli.backup_cmds:restore", "Put a backup back as a workspace."),
    "alerts": ("bulle.cli.alerts_cmds:alerts", "Alerts to the DPO and the custodian."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if ctx.params.get("server"):  # the CLI as a client of a server (cli/remote.py)
            from bulle.cli.remote import REMOTE
            from bulle.errors import InputError, Where

            if cmd_name not in REMOTE:
                raise InputError(
                    f"`{cmd_name}` is not available with --server: remotely, "
                    f"{', '.join(sorted(REMOTE))}",
                    Where(field="--server"),
                )
            return REMOTE[cmd_name]
        if cmd_name not in COMMANDS:
            return None
        target, _ = COMMANDS[cmd_name]
        module_name, attr = target.split(":")
        return getattr(importlib.import_module(module_name), attr)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--workspace",
    "-w",
    type=click.Path(file_okay=False),
    envvar="BULLE_WORKSPACE",
    help="Workspace directory (or BULLE_WORKSPACE).",
)
@click.option(
    "--user", envvar="BULLE_USER", default=None, help="Acting user (default: login name)."
)
@click.option(
    "--role",
    envvar="BULLE_ROLE",
    default="custodian",
    show_default=True,
    type=click.Choice(["custodian", "analyst", "checker", "dpo", "subject"]),
    help="Acting role.",
)
@click.option(
    "--server",
    envvar="BULLE_SERVER",
    default=None,
    help="Send the command to this Bulle server (URL) instead of opening a workspace.",
)
@click.option(
    "--token", envvar="BULLE_TOKEN", default=None, help="API token for --server (or BULLE_TOKEN)."
)
@click.version_option(package_name="bulle", prog_name="bulle")
@click.pass_context
def cli(
    ctx: click.Context,
    workspace: str | None,
    user: str | None,
    role: str,
    server: str | None,
    token: str | None,
) -> None:
    """Bulle: a trusted data environment for personal data."""
    ctx.ensure_object(dict)
    if server:
        _refuse_local_options(ctx, workspace, user)
    ctx.obj["workspace"] = workspace
    ctx.obj["user"] = user
    ctx.obj["role"] = role
    ctx.obj["server"] = server
    ctx.obj["token"] = token


def _refuse_local_options(ctx: click.Context, workspace: str | None, user: str | None) -> None:
    """With --server the server's account is the actor: nothing local may name one."""
    from bulle.errors import InputError, Where

    named = [
        opt
        for opt, given in (
            ("--workspace (or BULLE_WORKSPACE)", workspace is not None),
            ("--user (or BULLE_USER)", user is not None),
            (
                "--role (or BULLE_ROLE)",
                ctx.get_parameter_source("role") is not click.core.ParameterSource.DEFAULT,
            ),
        )
        if given
    ]
    if named:
        raise InputError(
            f"--server cannot go with {', '.join(named)}: the server acts as the token's account",
            Where(field="--server"),
        )


def _json_requested(argv: list[str]) -> bool:
    return "--json" in argv


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    as_json = _json_requested(argv)
    try:
        cli.main(args=argv, prog_name="bulle", standalone_mode=False)
    except BulleError as exc:
        _report(exc.to_dict(), str(exc), as_json)
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        # Usage errors are bad input too: exit 2, one line.
        payload = {"code": "usage", "message": exc.format_message(), "where": None}
        _report(payload, f"usage: {exc.format_message()}", as_json)
        sys.exit(2)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
    except Exception as exc:  # a bug: say so, keep the traceback for the report
        limit = _resource_limit(exc)
        if limit is not None:
            _report(limit.to_dict(), str(limit), as_json)
            sys.exit(limit.exit_code)
        payload = {"code": "internal", "message": f"internal error: {exc!r}", "where": None}
        if os.environ.get("BULLE_DEBUG") or not as_json:
            traceback.print_exc()
        _report(payload, f"internal error (a bug in Bulle, please report it): {exc!r}", as_json)
        sys.exit(INTERNAL_EXIT_CODE)
    sys.exit(0)


def _resource_limit(exc: BaseException) -> BulleError | None:
    """Running out of memory is the machine's limit, not a bug: exit 8 with what to do.

    DuckDB raises its own ``OutOfMemoryException`` when its memory limit is reached; Python raises
    ``MemoryError`` when the process's address space is exhausted. Matched by name so that this
    module does not import DuckDB (``bulle --help`` stays fast).
    """
    from bulle.errors import ResourceLimit

    name = type(exc).__name__
    if isinstance(exc, MemoryError) or (
        type(exc).__module__.lstrip("_").startswith("duckdb") and name == "OutOfMemoryException"
    ):
        return ResourceLimit(
            "out of memory: the operation needed more memory than this process may "
            "use (its memory limit or address-space limit); free memory, raise the "
            "limit, or work on a smaller input"
        )
    return None


def _report(payload: dict, text: str, as_json: bool) -> None:
    if as_json:
        sys.stderr.write(json.dumps({"error": payload}, ensure_ascii=False) + "\n")
    else:
        sys.stderr.write(f"error: {text}\n")
