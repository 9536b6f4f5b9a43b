"""Accounts: who may sign in to a workspace's server, with which roles. Custodians administer them.

Every administrative use case here asks ``governance.access.can_administer`` (a custodian only).
Locally, whoever opens the workspace files acts as the custodian by default (``bulle -w DIR``
without ``--role``): file access to the vault is the root of trust, and that is how the first
custodian account is made (``bulle -w DIR user add alice --role custodian --password-file F``).
Over HTTP the actor is the authenticated principal (``Principal.actor_for``), so only a signed-in
custodian administers accounts, and a person changes their own password with the old one (all their sessions end).

Interface for the server and the CLI (stable; results are :class:`bulle.services.results.Result`):

* ``create_user(ws, name, roles, password=None, external=None) -> AccountView``
* ``list_users(ws) -> list[AccountView]`` and ``get_user(ws, name) -> AccountView``
* ``disable_user(ws, name) -> AccountDisabling`` (ends its sessions; its tokens are refused),
  ``enable_user(ws, name) -> AccountView``
* ``reset_password(ws, name, password) -> PasswordSet`` (a custodian, ends the user's sessions)
* ``change_password(ws, name, old, new) -> PasswordSet`` (the owner, with the old password)
* ``enrol_totp(ws, name) -> TotpEnrolment`` (the otpauth URI, shown once)
* ``read_password_file(path) -> Password``

Passwords arrive as :class:`bulle.auth.passwords.Password` (its ``repr`` hides the value), are
checked against ``auth.password_min_length`` and stored as Argon2id hashes; events carry names,
roles and flags, never a password or a TOTP secret.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bulle.audit import events as ev
from bulle.auth import totp
from bulle.auth.passwords import MAX_LENGTH, Password, hash_password, verify_password
from bulle.catalog.accounts_store import AccountsStore
from bulle.domain.accounts import (
    LEAST_POWERFUL_FIRST,
    Account,
    ExternalIdentity,
    account_roles,
    check_account_name,
    iso,
    sorted_roles,
    utc,
)
from bulle.domain.actor import Actor, Role
from bulle.errors import InputError, Problem, Unauthenticated, ValidationError, Where
from bulle.fsutil import write_secret
from bulle.governance import access
from bulle.services.results import Result

if TYPE_CHECKING:
    from bulle.domain.projects import Member
    from bulle.workspace import Workspace

TOTP_ISSUER = "Bulle"


@dataclass(frozen=True)
class AccountView(Result):
    name: str
    roles: list[str]
    disabled: bool
    has_password: bool
    totp_enrolled: bool
    totp_required: bool
    external_issuer: str | None
    external_subject: str | None
    created_at: str
    created_by: str
    active_tokens: int
    sessions: int


@dataclass(frozen=True)
class AccountDisabling(Result):
    name: str
    sessions_ended: int
    already_disabled: bool


@dataclass(frozen=True)
class PasswordSet(Result):
    name: str
    reset: bool
    sessions_ended: int


@dataclass(frozen=True)
class TotpEnrolment(Result):
    name: str
    uri: str  # holds the secret: shown once, to be scanned by the person's authenticator
    replaced: bool


def store(ws: Workspace) -> AccountsStore:
    return AccountsStore(ws.catalog)


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def totp_roles(ws: Workspace) -> frozenset[Role]:
    """The roles whose accounts need a one-time code (setting ``auth.totp_roles``)."""
    text = str(ws.settings["auth.totp_roles"])
    return frozenset(Role(p.strip()) for p in text.split(",") if p.strip())


def read_password_file(path: str | Path) -> Password:
    """The password in ``path`` (its one trailing newline dropped); refused naming the file."""
    p = Path(path)
    where = Where(file=str(p))
    limit = 4 * MAX_LENGTH + 2  # UTF-8 bytes of the longest password, and a CRLF
    try:
        with p.open("rb") as fh:
            raw = fh.read(limit + 1)  # a huge file (or a device) is never read whole
    except FileNotFoundError:
        raise InputError("password file not found", where) from None
    except IsADirectoryError:
        raise InputError("the password file is a directory", where) from None
    except OSError as exc:
        raise InputError(f"cannot read the password file: {exc.strerror}", where) from None
    if len(raw) > limit:
        raise InputError(f"the password file is longer than {MAX_LENGTH} characters", where)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("the password file is not UTF-8 text", where) from None
    if text.endswith("\r\n"):
        text = text[:-2]
    elif text.endswith("\n"):
        text = text[:-1]
    if "\n" in text or "\r" in text:
        raise InputError("the password file holds more than one line", where)
    if not text:
        raise InputError("the password file is empty", where)
    return Password(text, where)


def _password(ws: Workspace, password: Password | str) -> Password:
    pw = password if isinstance(password, Password) else Password(password, Where(field="password"))
    return pw.check(int(ws.settings["auth.password_min_length"]))


def view(ws: Workspace, account: Account, at: dt.datetime | None = None) -> AccountView:
    at = utc(at or now_utc())
    st = store(ws)
    active = sum(1 for t in st.tokens(account.name) if t.refusal_at(at) is None)
    ext = account.external
    return AccountView(
        name=account.name,
        roles=sorted_roles(account.roles),
        disabled=account.disabled,
        has_password=account.has_password,
        totp_enrolled=account.totp_enrolled,
        totp_required=account.needs_totp(totp_roles(ws)),
        external_issuer=ext.issuer if ext else None,
        external_subject=ext.subject if ext else None,
        created_at=iso(account.created_at),
        created_by=account.created_by,
        active_tokens=active,
        sessions=st.count_sessions(account.name),
    )


def create_user(
    ws: Workspace,
    name: str,
    roles: Iterable[Role | str],
    password: Password | str | None = None,
    *,
    external: ExternalIdentity | None = None,
    at: dt.datetime | None = None,
) -> AccountView:
    """Create an account with ``roles``; a custodian only (locally: whoever opens the files)."""
    access.can_administer(ws.actor, "add a user account").require()
    check_account_name(name)
    held = account_roles(roles)
    pw = _password(ws, password) if password is not None else None
    at = utc(at or now_utc())
    account = Account(name, held, at, ws.actor.name, has_password=pw is not None, external=external)
    digest = hash_password(pw) if pw is not None else None  # slow: before the lock
    with ws.write_lock(), ws.catalog.transaction():
        store(ws).add_account(account, digest)
        ws.emit(
            ev.AccountCreated(
                actor=ws.actor,
                target=f"account:{name}",
                details={
                    "roles": sorted_roles(held),
                    "password_set": pw is not None,
                    "external_issuer": external.issuer if external else None,
                },
            )
        )
    return view(ws, store(ws).get(name), at)


def list_users(ws: Workspace) -> list[AccountView]:
    """Every account (a custodian only: the list says who holds which role)."""
    access.can_administer(ws.actor, "list user accounts").require()
    at = now_utc()
    return [view(ws, a, at) for a in store(ws).accounts()]


def get_user(ws: Workspace, name: str) -> AccountView:
    """One account: a custodian, or the person themself."""
    if ws.actor.name != name:
        access.can_administer(ws.actor, "see another user's account").require()
    return view(ws, store(ws).get(name))


def disable_user(ws: Workspace, name: str, *, at: dt.datetime | None = None) -> AccountDisabling:
    """Disable an account: its sessions end now, its tokens and its sign-ins are refused."""
    access.can_administer(ws.actor, "disable a user account").require()
    at = utc(at or now_utc())
    st = store(ws)
    with ws.write_lock(), ws.catalog.transaction():
        account = st.get(name)
        ended = st.end_sessions_of(name)
        if not account.disabled:
            st.set_disabled(name, True, at)
        ws.emit(
            ev.AccountDisabled(
                actor=ws.actor, target=f"account:{name}", details={"sessions_ended": ended}
            )
        )
    return AccountDisabling(name, ended, account.disabled)


def enable_user(ws: Workspace, name: str) -> AccountView:
    """Enable a disabled account again (its old sessions stay ended; its tokens work again)."""
    access.can_administer(ws.actor, "enable a user account").require()
    st = store(ws)
    with ws.write_lock(), ws.catalog.transaction():
        account = st.get(name)
        if account.disabled:
            st.set_disabled(name, False, now_utc())
            at = now_utc()
            active = sum(1 for t in st.tokens(name) if t.refusal_at(at) is None)
            ws.emit(
                ev.AccountEnabled(
                    actor=ws.actor, target=f"account:{name}", details={"active_tokens": active}
                )
            )
    return view(ws, st.get(name))


def reset_password(
    ws: Workspace, name: str, password: Password | str, *, at: dt.datetime | None = None
) -> PasswordSet:
    """A custodian sets another user's password (forgotten, or first set); their sessions end."""
    access.can_administer(ws.actor, "reset a user's password").require()
    store(ws).get(name)
    return _set_password(ws, name, _password(ws, password), reset=True, at=at)


def change_password(
    ws: Workspace,
    name: str,
    old: Password | str,
    new: Password | str,
    *,
    at: dt.datetime | None = None,
) -> PasswordSet:
    """A person changes their own password, proving the old one; all their sessions end."""
    access.can_change_own_password(ws.actor, name).require()
    old_value = old.value if isinstance(old, Password) else old
    ok, _ = verify_password(store(ws).password_hash(name), old_value)
    if not ok:
        raise Unauthenticated("the current password is wrong", Where(field="old_password"))
    return _set_password(ws, name, _password(ws, new), reset=False, at=at)


def _set_password(
    ws: Workspace, name: str, password: Password, *, reset: bool, at: dt.datetime | None
) -> PasswordSet:
    at = utc(at or now_utc())
    digest = hash_password(password)
    st = store(ws)
    with ws.write_lock(), ws.catalog.transaction():
        st.get(name)
        st.set_password_hash(name, digest, at)
        ended = st.end_sessions_of(name)
        ws.emit(
            ev.PasswordChanged(
                actor=ws.actor,
                target=f"account:{name}",
                details={"reset": reset, "sessions_ended": ended},
            )
        )
    return PasswordSet(name, reset, ended)


def enrol_totp(ws: Workspace, name: str) -> TotpEnrolment:
    """Issue a new one-time-code secret for ``name`` (replacing any earlier one).

    The secret is kept in the workspace's key folder (``keys/totp-<ref>.key``, owner-only, exported
    only with the keys) and the account names it; the returned URI is the only time it is shown.
    A custodian enrols anyone (a lost phone is a re-enrolment); a person may enrol themself.
    """
    if ws.actor.name != name:
        access.can_administer(ws.actor, "enrol another user's one-time codes").require()
    st = store(ws)
    account = st.get(name)
    secret = totp.new_secret()
    ref = uuid.uuid4().hex
    path = totp_path(ws, ref)
    write_secret(path, secret.encode("ascii"))
    try:
        with ws.write_lock(), ws.catalog.transaction():
            st.set_totp(name, ref)
            ws.emit(
                ev.TotpEnrolled(
                    actor=ws.actor,
                    target=f"account:{name}",
                    details={"replaced": account.totp_ref is not None},
                )
            )
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    if account.totp_ref is not None:
        totp_path(ws, account.totp_ref).unlink(missing_ok=True)
    return TotpEnrolment(
        name, totp.otpauth_uri(secret, name, TOTP_ISSUER), account.totp_ref is not None
    )


def totp_path(ws: Workspace, ref: str) -> Path:
    if not ref.isalnum():
        raise InputError(f"invalid one-time-code reference {ref!r}")
    return ws.keys_dir / f"totp-{ref}.key"


def totp_secret(ws: Workspace, account: Account) -> bytes | None:
    """The account's TOTP key, or None when it is not enrolled or its key file is missing."""
    if account.totp_ref is None:
        return None
    try:
        return totp.decode_secret(totp_path(ws, account.totp_ref).read_text(encoding="ascii"))
    except (FileNotFoundError, ValueError):
        return None


def check_members(ws: Workspace, members: Iterable[Member]) -> None:
    """Once a workspace has accounts, a project's members name enabled accounts holding the role.

    A workspace without accounts (worked on locally only) keeps naming members freely; from the
    first account on, a member who is not an account could never sign in to use the project, and
    a typo would silently grant nothing, so both are refused with every problem listed.
    """
    st = store(ws)
    if not st.has_accounts():
        return
    problems: list[Problem] = []
    for i, m in enumerate(members):
        where = Where(field=f"members[{i}]")
        account = st.find(m.name)
        if account is None:
            problems.append(
                Problem(f"{m.name!r} is not an account of this workspace (`bulle user add`)", where)
            )
        elif account.disabled:
            problems.append(Problem(f"account {m.name!r} is disabled", where))
        elif m.role not in account.roles:
            problems.append(
                Problem(
                    f"account {m.name!r} does not hold role {m.role.value} "
                    f"(it holds {', '.join(sorted_roles(account.roles))})",
                    where,
                )
            )
    if problems:
        raise ValidationError.from_problems("project members", problems)


def principal_actor(account: Account) -> Actor:
    """The actor an account's own sign-in events name: its least powerful role."""
    role = next(r for r in LEAST_POWERFUL_FIRST if r in account.roles)
    return Actor(account.name, role)
