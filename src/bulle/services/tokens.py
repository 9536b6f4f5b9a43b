"""API tokens: how scripts (and the CLI as a client) prove who they are, without a password.

Interface for the server and the CLI (stable):

* ``create_token(ws, account, roles=None, project=None, expires_days=None) -> TokenIssued``: the
  token is in this answer only; the catalog keeps its SHA-256. Without ``roles`` it carries all of
  the account's roles; with them, a subset (a role the account lacks is refused). ``project``
  limits it to one project. A custodian creates tokens for anyone (locally: whoever opens the
  files); a person for their own account.
* ``verify_token(ws, token, *, at=None) -> Principal``: a missing, malformed, unknown, expired or
  revoked token, or one of a disabled account, raises ``Unauthenticated`` (401, exit code 5). The
  principal holds the token's roles that the account still holds.
* ``list_tokens(ws, account=None) -> list[TokenView]``, ``revoke_token(ws, token_id)``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bulle.audit import events as ev
from bulle.auth import credentials
from bulle.domain.accounts import (
    TOKEN_ID_RE,
    ApiToken,
    AuthMethod,
    Principal,
    account_roles,
    iso,
    sorted_roles,
    utc,
)
from bulle.errors import AccessDenied, InputError, NotFoundError, Unauthenticated, Where
from bulle.governance import access
from bulle.services.accounts import now_utc, store
from bulle.services.results import Result

if TYPE_CHECKING:
    from bulle.domain.actor import Role
    from bulle.workspace import Workspace


LAST_USE_PRECISION = dt.timedelta(minutes=1)  # how fresh ``last_used_at`` is kept


@dataclass(frozen=True)
class TokenIssued(Result):
    token: str  # shown once: only its hash is kept
    id: str
    account: str
    roles: list[str]
    project: str | None
    expires_at: str


@dataclass(frozen=True)
class TokenView(Result):
    id: str
    account: str
    roles: list[str]
    project: str | None
    created_at: str
    expires_at: str
    revoked_at: str | None
    last_used_at: str | None
    state: str  # active, expired or revoked


@dataclass(frozen=True)
class TokenRevocation(Result):
    id: str
    account: str
    already_revoked: bool


def create_token(
    ws: Workspace,
    account: str,
    roles: Iterable[Role | str] | None = None,
    project: str | None = None,
    expires_days: int | None = None,
    *,
    at: dt.datetime | None = None,
) -> TokenIssued:
    access.can_manage_tokens(ws.actor, account).require()
    at = utc(at or now_utc())
    st = store(ws)
    owner = st.get(account)
    if owner.disabled:
        raise AccessDenied(f"account {account!r} is disabled", Where(field="account"))
    wanted = owner.roles if roles is None or not list(roles) else account_roles(roles)
    lacking = wanted - owner.roles
    if lacking:
        raise AccessDenied(
            f"account {account!r} does not hold role(s) {', '.join(sorted_roles(lacking))}: a "
            f"token carries only roles of its account ({', '.join(sorted_roles(owner.roles))})",
            Where(field="role"),
        )
    if project is not None:
        from bulle.services.governance import store as governance_store

        governance_store(ws).project(project)  # NotFoundError when there is no such project
    most = int(ws.settings["auth.token_max_days"])
    if expires_days is None:
        days = min(int(ws.settings["auth.token_default_days"]), most)
    elif isinstance(expires_days, bool) or not isinstance(expires_days, int) or expires_days < 1:
        raise InputError(
            f"--expires-days must be a whole number of days >= 1, got {expires_days!r}",
            Where(field="expires_days"),
        )
    elif expires_days > most:
        raise InputError(
            f"a token may live at most {most} days (setting auth.token_max_days), "
            f"not {expires_days}",
            Where(field="expires_days"),
        )
    else:
        days = expires_days
    token_id, token = credentials.new_api_token()
    record = ApiToken(token_id, account, wanted, at, at + dt.timedelta(days=days), project=project)
    with ws.write_lock(), ws.catalog.transaction():
        st.add_token(record, credentials.sha256_hex(token), ws.actor.name)
        ws.emit(
            ev.TokenCreated(
                actor=ws.actor,
                target=f"account:{account}",
                details={
                    "token_id": token_id,
                    "account": account,
                    "roles": sorted_roles(wanted),
                    "project": project,
                    "expires_at": iso(record.expires_at),
                },
            )
        )
    return TokenIssued(
        token, token_id, account, sorted_roles(wanted), project, iso(record.expires_at)
    )


def verify_token(
    ws: Workspace, token: str | None, *, at: dt.datetime | None = None, touch: bool = True
) -> Principal:
    """The principal a bearer token stands for; refused (401) unless it is valid now."""
    at = utc(at or now_utc())
    token_id = credentials.token_id_of(token) if isinstance(token, str) else None
    if token_id is None:
        raise Unauthenticated("missing or malformed API token", Where(field="token"))
    st = store(ws)
    found = st.token(token_id)
    # the hash is compared even for an unknown id, so both refusals take the same time
    stored = found[1] if found else "0" * 64
    matches = credentials.same_hash(credentials.sha256_hex(token or ""), stored)
    if found is None or not matches:
        raise Unauthenticated("unknown API token", Where(field="token"))
    record = found[0]
    why = record.refusal_at(at)
    if why is not None:
        raise Unauthenticated(why, Where(field="token"))
    account = st.find(record.account)
    if account is None or account.disabled:
        raise Unauthenticated(f"the account of token {record.id} is disabled", Where(field="token"))
    roles = record.roles & account.roles  # a role the account lost is lost by its tokens too
    last = record.last_used_at
    if touch and (last is None or at - last >= LAST_USE_PRECISION or at < last):
        with ws.catalog.transaction():  # a write per minute at most: a check is mostly a read
            st.token_used(record.id, at)
    return Principal(account.name, roles, AuthMethod.TOKEN, record.project, record.id)


def list_tokens(ws: Workspace, account: str | None = None) -> list[TokenView]:
    """Tokens of ``account`` (a custodian or its owner) or of everyone (a custodian)."""
    if account is None:
        access.can_administer(ws.actor, "list every account's tokens").require()
    else:
        access.can_manage_tokens(ws.actor, account).require()
        store(ws).get(account)
    at = now_utc()
    return [_view(t, at) for t in store(ws).tokens(account)]


def revoke_token(ws: Workspace, token_id: str, *, at: dt.datetime | None = None) -> TokenRevocation:
    if not isinstance(token_id, str) or not TOKEN_ID_RE.fullmatch(token_id):
        raise InputError(
            f"invalid token id {token_id!r}: 16 hexadecimal digits (see `bulle token list`)",
            Where(field="id"),
        )
    at = utc(at or now_utc())
    st = store(ws)
    found = st.token(token_id)
    if found is None:
        raise NotFoundError(f"no token {token_id}", Where(field="id"))
    record = found[0]
    access.can_manage_tokens(ws.actor, record.account).require()
    already = record.revoked_at is not None
    with ws.write_lock(), ws.catalog.transaction():
        st.revoke_token(token_id, at)
        if not already:
            ws.emit(
                ev.TokenRevoked(
                    actor=ws.actor,
                    target=f"account:{record.account}",
                    details={"token_id": token_id, "account": record.account},
                )
            )
    return TokenRevocation(token_id, record.account, already)


def _view(t: ApiToken, at: dt.datetime) -> TokenView:
    d = t.to_dict()
    if t.revoked_at is not None:
        state = "revoked"
    elif t.refusal_at(at) is not None:
        state = "expired"
    else:
        state = "active"
    return TokenView(**d, state=state)
