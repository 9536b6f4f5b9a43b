"""Accounts and the credentials that prove who sends a request: frozen, validated, no I/O.

A server cannot take a role from what a request says (the CLI's ``--role`` only works because
whoever opens the workspace files already holds everything). An :class:`Account` is a person
with one or more roles; a request proves it is that person with a :class:`BrowserSession` (a
sign-in by password, and a one-time code when required) or an :class:`ApiToken` (a script's
credential, limited to some of the account's roles and possibly one project). Either yields a
:class:`Principal`, and a request acts as ``principal.actor_for(role)``: the ``Actor`` that
services and audit events already know, refused for a role the principal does not hold.

Only hashes of session ids and tokens are kept; the plain values exist once, in the answer to
the sign-in or to ``token create``. An account may name an external identity (an OpenID Connect
issuer and subject) so that single sign-on can map onto the same accounts later.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bulle.domain.actor import Actor, Role
from bulle.errors import AccessDenied, InputError, Problem, ValidationError, Where

# The roles a person's account may hold (data subjects and Bulle itself are not accounts).
ACCOUNT_ROLES = (Role.CUSTODIAN, Role.ANALYST, Role.CHECKER, Role.DPO)
# When one role must be chosen without being asked for, the least powerful one acts.
LEAST_POWERFUL_FIRST = (Role.ANALYST, Role.CHECKER, Role.DPO, Role.CUSTODIAN)
ACCOUNT_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}")
TOKEN_ID_RE = re.compile(r"[0-9a-f]{16}")


class AuthMethod(StrEnum):
    """How a principal proved who it is."""

    SESSION = "session"  # a browser's sign-in (password, and a TOTP code when required)
    TOKEN = "token"  # an API token sent as ``Authorization: Bearer``
    LOCAL = "local"  # whoever opens the workspace files (custodian-equivalent)


def utc(value: dt.datetime, what: str = "instant") -> dt.datetime:
    """``value`` as an aware UTC datetime; a naive one is refused (its zone would be a guess)."""
    if not isinstance(value, dt.datetime) or value.tzinfo is None:
        raise InputError(f"{what} must be a timezone-aware datetime, got {value!r}")
    return value.astimezone(dt.UTC)


def iso(value: dt.datetime) -> str:
    """The one text form of instants in the accounts tables (sorts as it compares)."""
    return utc(value).isoformat(timespec="microseconds")


def parse_iso(text: str) -> dt.datetime:
    return utc(dt.datetime.fromisoformat(text))


def check_account_name(name: object, where: Where | None = None) -> str:
    if not isinstance(name, str) or not ACCOUNT_NAME_RE.fullmatch(name):
        raise InputError(
            f"invalid account name {name!r}: 1-128 letters, digits and . _ @ + -, "
            "starting with a letter or a digit",
            where or Where(field="name"),
        )
    return name


def account_roles(roles: Iterable[Role | str], where: Where | None = None) -> frozenset[Role]:
    """Roles an account may hold, every bad one named at once; at least one is needed."""
    problems: list[Problem] = []
    out: set[Role] = set()
    allowed = ", ".join(r.value for r in ACCOUNT_ROLES)
    for r in roles:
        try:
            role = Role(r)
        except ValueError:
            problems.append(
                Problem(
                    f"unknown role {r!r}: expected one of {allowed}", where or Where(field="role")
                )
            )
            continue
        if role not in ACCOUNT_ROLES:
            problems.append(
                Problem(
                    f"an account cannot hold role {role.value!r}: expected one of {allowed}",
                    where or Where(field="role"),
                )
            )
        out.add(role)
    if not out and not problems:
        problems.append(Problem("an account needs at least one role", where or Where(field="role")))
    if problems:
        raise ValidationError.from_problems("roles", problems)
    return frozenset(out)


def sorted_roles(roles: Iterable[Role]) -> list[str]:
    held = set(roles)
    return [r.value for r in Role if r in held]


@dataclass(frozen=True)
class ExternalIdentity:
    """Who the account is at an identity provider (OpenID Connect ``iss`` and ``sub``)."""

    issuer: str
    subject: str

    def __post_init__(self) -> None:
        if not isinstance(self.issuer, str) or not re.fullmatch(r"https://\S{1,500}", self.issuer):
            raise InputError(
                f"an identity issuer is an https URL, got {self.issuer!r}", Where(field="issuer")
            )
        if not isinstance(self.subject, str) or not 0 < len(self.subject) <= 255:
            raise InputError("an identity subject is 1-255 characters", Where(field="subject"))


@dataclass(frozen=True)
class Account:
    """A person who signs in. ``totp_ref`` names their one-time-code secret (None: not enrolled)."""

    name: str
    roles: frozenset[Role]
    created_at: dt.datetime
    created_by: str
    disabled: bool = False
    has_password: bool = False
    totp_ref: str | None = None
    external: ExternalIdentity | None = None

    def __post_init__(self) -> None:
        check_account_name(self.name)
        object.__setattr__(self, "roles", account_roles(self.roles))
        object.__setattr__(self, "created_at", utc(self.created_at, "created_at"))

    @property
    def totp_enrolled(self) -> bool:
        return self.totp_ref is not None

    def needs_totp(self, required_for: Iterable[Role]) -> bool:
        """A one-time code is needed once enrolled, or when one of the roles requires it."""
        return self.totp_enrolled or bool(self.roles & set(required_for))

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "roles": sorted_roles(self.roles),
            "disabled": self.disabled,
            "has_password": self.has_password,
            "totp_enrolled": self.totp_enrolled,
            "external": None
            if self.external is None
            else {"issuer": self.external.issuer, "subject": self.external.subject},
            "created_at": iso(self.created_at),
            "created_by": self.created_by,
        }


@dataclass(frozen=True)
class ApiToken:
    """A script's credential (the token itself is never stored: its SHA-256 is)."""

    id: str
    account: str
    roles: frozenset[Role]
    created_at: dt.datetime
    expires_at: dt.datetime
    project: str | None = None
    revoked_at: dt.datetime | None = None
    last_used_at: dt.datetime | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not TOKEN_ID_RE.fullmatch(self.id):
            raise InputError(
                f"invalid token id {self.id!r}: 16 hexadecimal digits", Where(field="id")
            )
        check_account_name(self.account, Where(field="account"))
        object.__setattr__(self, "roles", account_roles(self.roles))
        if utc(self.expires_at) <= utc(self.created_at):
            raise InputError("a token expires after it is created", Where(field="expires_at"))

    def refusal_at(self, at: dt.datetime) -> str | None:
        """Why this token cannot be used at ``at`` (None: it can)."""
        if self.revoked_at is not None and utc(self.revoked_at) <= utc(at):
            return f"token {self.id} was revoked"
        if utc(at) >= utc(self.expires_at):
            return f"token {self.id} expired at {iso(self.expires_at)}"
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "account": self.account,
            "roles": sorted_roles(self.roles),
            "project": self.project,
            "created_at": iso(self.created_at),
            "expires_at": iso(self.expires_at),
            "revoked_at": None if self.revoked_at is None else iso(self.revoked_at),
            "last_used_at": None if self.last_used_at is None else iso(self.last_used_at),
        }


@dataclass(frozen=True)
class BrowserSession:
    """A signed-in browser. ``id_sha256`` is the hash of the cookie's value, which is not kept."""

    id_sha256: str
    account: str
    created_at: dt.datetime
    last_seen_at: dt.datetime
    expires_at: dt.datetime  # absolute: the session ends then, however active

    def refusal_at(self, at: dt.datetime, idle: dt.timedelta) -> str | None:
        """``"idle"`` or ``"absolute"`` when the session has expired at ``at``, else None."""
        at = utc(at)
        if at >= utc(self.expires_at):
            return "absolute"
        if at - utc(self.last_seen_at) >= idle:
            return "idle"
        return None


@dataclass(frozen=True)
class Principal:
    """Who is authenticated, with which roles and project scope, and how.

    ``credential`` is the token id or the first characters of the session hash (for audit events
    and for logout); ``csrf_token`` is set for a browser session: a state-changing request
    authenticated by the session cookie must echo it (:func:`bulle.services.auth.check_csrf`).
    """

    name: str
    roles: frozenset[Role]
    method: AuthMethod
    project: str | None = None
    credential: str | None = None
    csrf_token: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "roles", frozenset(Role(r) for r in self.roles))
        object.__setattr__(self, "method", AuthMethod(self.method))

    @classmethod
    def local(cls, actor: Actor) -> Principal:
        """Whoever opened the workspace files, acting as ``actor`` (the CLI without a server)."""
        return cls(actor.name, frozenset({actor.role}), AuthMethod.LOCAL)

    def has(self, role: Role | str) -> bool:
        return Role(role) in self.roles

    def actor_for(self, role: Role | str | None = None) -> Actor:
        """The actor a request acts as: ``role`` if the principal holds it.

        Without ``role``, the least powerful role the principal holds acts (an analyst who is also
        a custodian reads as an analyst unless they ask for more).
        """
        if not self.roles:
            raise AccessDenied(f"{self.name!r} holds no role here", Where(field="role"))
        if role is None:
            ranked = [r for r in LEAST_POWERFUL_FIRST if r in self.roles]
            return Actor(self.name, ranked[0] if ranked else min(self.roles))
        try:
            wanted = Role(role)
        except ValueError:
            raise InputError(f"unknown role {role!r}", Where(field="role")) from None
        if wanted not in self.roles:
            how = {AuthMethod.TOKEN: "this token carries", AuthMethod.SESSION: "this account holds"}
            held = ", ".join(sorted_roles(self.roles)) or "none"
            raise AccessDenied(
                f"{self.name!r} may not act as {wanted.value}: {how.get(self.method, 'it holds')} {held}",
                Where(field="role"),
            )
        return Actor(self.name, wanted)

    def allows_project(self, project: str) -> bool:
        return self.project is None or self.project == project

    def require_project(self, project: str) -> None:
        """A token scoped to one project may not be used for another."""
        if not self.allows_project(project):
            raise AccessDenied(
                f"this token is limited to project {self.project!r}, not {project!r}",
                Where(field="project"),
            )

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "roles": sorted_roles(self.roles),
            "method": self.method.value,
            "project": self.project,
            "credential": self.credential,
        }
