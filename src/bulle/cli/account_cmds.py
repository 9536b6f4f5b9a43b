"""``bulle user`` and ``bulle token``: accounts and API tokens, administered on the workspace.

Run on the custodian's machine (whoever opens the workspace files acts as the custodian unless
``--role`` says otherwise): that is how the first custodian account is made and how tokens for
scripts are minted. Passwords are read from a file, never from the command line (which other
users of the machine can see in the process list).
"""

from __future__ import annotations

import click

from bulle.cli.common import console, emit, json_option, workspace_from

ROLE_CHOICE = click.Choice(["custodian", "analyst", "checker", "dpo"])


@click.group("user")
def user() -> None:
    """User accounts: add, list, disable, enable, reset a password, enrol a one-time-code app."""


@user.command("add")
@click.argument("name")
@click.option(
    "--role", "roles", multiple=True, required=True, type=ROLE_CHOICE, help="A role (repeatable)."
)
@click.option(
    "--password-file",
    required=True,
    type=click.Path(dir_okay=True, path_type=str),
    help="File holding the password (one line).",
)
@json_option
@click.pass_context
def add(ctx, name, roles, password_file, as_json):
    """Add the account NAME with its roles and password (custodian)."""
    from bulle.services.accounts import create_user, read_password_file

    password = read_password_file(password_file)
    with workspace_from(ctx) as ws:
        account = create_user(ws, name, roles, password)

    def render(d):
        console().print(
            f"added {d['name']} ({', '.join(d['roles'])})"
            + (
                f"; a one-time code is required: enrol one with `bulle user totp {d['name']}`"
                if d["totp_required"] and not d["totp_enrolled"]
                else ""
            )
        )

    emit(account, as_json, render)


@user.command("list")
@json_option
@click.pass_context
def list_(ctx, as_json):
    """Every account with its roles and state (custodian)."""
    from bulle.services.accounts import list_users

    with workspace_from(ctx) as ws:
        users = [u.to_dict() for u in list_users(ws)]

    def render(d):
        from rich.table import Table

        t = Table("user", "roles", "state", "one-time code", "tokens", "sessions")
        for u in d["users"]:
            code = "enrolled" if u["totp_enrolled"] else ("missing" if u["totp_required"] else "-")
            state = "disabled" if u["disabled"] else "active"
            t.add_row(
                u["name"],
                ", ".join(u["roles"]),
                state,
                code,
                str(u["active_tokens"]),
                str(u["sessions"]),
            )
        console().print(t)

    emit({"users": users}, as_json, render)


@user.command("disable")
@click.argument("name")
@json_option
@click.pass_context
def disable(ctx, name, as_json):
    """Disable NAME: its sessions end, its tokens and sign-ins are refused (custodian)."""
    from bulle.services.accounts import disable_user

    with workspace_from(ctx) as ws:
        result = disable_user(ws, name)
    emit(
        result,
        as_json,
        lambda d: console().print(f"{d['name']} disabled ({d['sessions_ended']} session(s) ended)"),
    )


@user.command("enable")
@click.argument("name")
@json_option
@click.pass_context
def enable(ctx, name, as_json):
    """Enable NAME again after `user disable` (custodian)."""
    from bulle.services.accounts import enable_user

    with workspace_from(ctx) as ws:
        result = enable_user(ws, name)
    emit(result, as_json, lambda d: console().print(f"{d['name']} enabled"))


@user.command("password")
@click.argument("name")
@click.option(
    "--password-file",
    required=True,
    type=click.Path(dir_okay=True, path_type=str),
    help="File holding the new password (one line).",
)
@json_option
@click.pass_context
def password(ctx, name, password_file, as_json):
    """Reset NAME's password (custodian); NAME's sessions end."""
    from bulle.services.accounts import read_password_file, reset_password

    new = read_password_file(password_file)
    with workspace_from(ctx) as ws:
        result = reset_password(ws, name, new)
    emit(
        result,
        as_json,
        lambda d: console().print(
            f"password of {d['name']} reset ({d['sessions_ended']} session(s) ended)"
        ),
    )


@user.command("totp")
@click.argument("name")
@json_option
@click.pass_context
def totp(ctx, name, as_json):
    """Enrol NAME for one-time codes: prints the otpauth URI once (replaces an earlier one)."""
    from bulle.services.accounts import enrol_totp

    with workspace_from(ctx) as ws:
        result = enrol_totp(ws, name)

    def render(d):
        click.echo(d["uri"])
        click.echo(
            f"give this URI (or its QR code) to {d['name']} for their authenticator app; "
            "it is not shown again",
            err=True,
        )

    emit(result, as_json, render)


@click.group("token")
def token() -> None:
    """API tokens for scripts and the CLI client: create (shown once), list, revoke."""


@token.command("create")
@click.argument("name")
@click.option(
    "--role",
    "roles",
    multiple=True,
    type=ROLE_CHOICE,
    help="A role the token carries (repeatable; default: all of the account's).",
)
@click.option("--project", default=None, help="Limit the token to this project.")
@click.option(
    "--expires-days",
    type=int,
    default=None,
    help="Days until it expires (default: setting auth.token_default_days).",
)
@json_option
@click.pass_context
def create(ctx, name, roles, project, expires_days, as_json):
    """Create a token for account NAME; the token is printed here only."""
    from bulle.services.tokens import create_token

    with workspace_from(ctx) as ws:
        issued = create_token(ws, name, roles or None, project, expires_days)

    def render(d):
        click.echo(d["token"])
        scope = f", project {d['project']}" if d["project"] else ""
        click.echo(
            f"token {d['id']} for {d['account']} ({', '.join(d['roles'])}{scope}), expires "
            f"{d['expires_at']}: it is not shown again",
            err=True,
        )

    emit(issued, as_json, render)


@token.command("list")
@click.argument("name", required=False)
@json_option
@click.pass_context
def list_tokens_cmd(ctx, name, as_json):
    """Tokens of account NAME (or of every account): ids, roles, scope, state; never the token."""
    from bulle.services.tokens import list_tokens

    with workspace_from(ctx) as ws:
        rows = [t.to_dict() for t in list_tokens(ws, name)]

    def render(d):
        from rich.table import Table

        t = Table("id", "account", "roles", "project", "expires", "state")
        for r in d["tokens"]:
            t.add_row(
                r["id"],
                r["account"],
                ", ".join(r["roles"]),
                r["project"] or "-",
                r["expires_at"],
                r["state"],
            )
        console().print(t)

    emit({"tokens": rows}, as_json, render)


@token.command("revoke")
@click.argument("token_id", metavar="ID")
@json_option
@click.pass_context
def revoke(ctx, token_id, as_json):
    """Revoke the token ID (from `bulle token list`): it is refused from now on."""
    from bulle.services.tokens import revoke_token

    with workspace_from(ctx) as ws:
        result = revoke_token(ws, token_id)
    emit(
        result,
        as_json,
        lambda d: console().print(
            f"token {d['id']} of {d['account']} "
            + ("was already revoked" if d["already_revoked"] else "revoked")
        ),
    )
