"""Browser sessions: begun after a sign-in, looked up on every request, ended by logout or expiry.

Interface for the server (stable; ``bulle.services.auth`` re-exports it):

* ``begin_session(ws, account, *, address=None, at=None, method=...) -> SignIn`` for an account
  already authenticated (``auth.login`` calls it after the password and code are checked; single
  sign-on calls it after the identity provider's token is verified).
* ``lookup_session(ws, session_id, *, at=None, touch=True) -> Principal``: the session cookie's
  principal, refused (``Unauthenticated``, 401) when unknown, idle for ``auth.session_idle_s``,
  older than ``auth.session_max_s`` or of a disabled account; an expired session is deleted and
  its end audited when it is found.
* ``check_csrf(principal, presented)``: a state-changing request authenticated by the cookie must
  echo the session's CSRF token (refused with ``access_denied``, 403).
* ``logout(ws, session_id, *, at=None) -> bool``.

The session id is 32 random bytes; the catalog keeps its SHA-256 and the CSRF token is derived
from it (``bulle.auth.credentials``), so a reader of the catalog cannot ride a session. Events
name a session by the first 16 hex digits of its hash.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bulle.audit import events as ev
from bulle.auth import credentials
from bulle.domain.accounts import (
    Account,
    AuthMethod,
    BrowserSession,
    Principal,
    iso,
    sorted_roles,
    utc,
)
from bulle.domain.actor import Actor
from bulle.errors import AccessDenied, Unauthenticated, Where
from bulle.services.accounts import now_utc, principal_actor, store, totp_roles
from bulle.services.results import Result

if TYPE_CHECKING:
    from bulle.workspace import Workspace

SESSION_PREFIX = 16  # hex digits of a session's hash that name it in events and lists


@dataclass(frozen=True)
class SignIn(Result):
    session_id: str  # the cookie's value: returned once, never stored, never logged
    csrf_token: str
    name: str
    roles: list[str]
    session: str  # the session's public name (its hash prefix, as audit events show it)
    expires_at: str
    idle_timeout_s: float


def begin_session(
    ws: Workspace,
    account: Account,
    *,
    address: str | None = None,
    at: dt.datetime | None = None,
    method: str = "identity_provider",
) -> SignIn:
    """A new browser session for an account already authenticated (by password or by an identity
    provider); audited as ``auth.login``."""
    at = utc(at or now_utc())
    if account.disabled:
        raise Unauthenticated(f"account {account.name!r} is disabled", Where(field="username"))
    session_id = credentials.new_session_id()
    digest = credentials.sha256_hex(session_id)
    expires = at + dt.timedelta(seconds=float(ws.settings["auth.session_max_s"]))
    with ws.catalog.transaction():
        store(ws).add_session(BrowserSession(digest, account.name, at, at, expires))
    ws.emit(
        ev.LoginSucceeded(
            actor=principal_actor(account),
            target=f"account:{account.name}",
            details={
                "session": digest[:SESSION_PREFIX],
                "address": address,
                "method": method,
                "totp": method == "password" and account.needs_totp(totp_roles(ws)),
                "expires_at": iso(expires),
            },
        )
    )
    return SignIn(
        session_id=session_id,
        csrf_token=credentials.csrf_token(session_id),
        name=account.name,
        roles=sorted_roles(account.roles),
        session=digest[:SESSION_PREFIX],
        expires_at=iso(expires),
        idle_timeout_s=float(ws.settings["auth.session_idle_s"]),
    )


def lookup_session(
    ws: Workspace, session_id: str | None, *, at: dt.datetime | None = None, touch: bool = True
) -> Principal:
    """The principal of a session cookie; an unknown, expired or disabled one is refused (401).

    An expired session is deleted (and its end audited) when it is found; ``touch`` moves its
    idle deadline (a request's use of it).
    """
    at = utc(at or now_utc())
    if not isinstance(session_id, str) or not session_id or len(session_id) > 256:
        raise Unauthenticated("not signed in", Where(field="session"))
    digest = credentials.sha256_hex(session_id)
    st = store(ws)
    session = st.session(digest)
    if session is None:
        raise Unauthenticated("not signed in, or the session has ended", Where(field="session"))
    idle = dt.timedelta(seconds=float(ws.settings["auth.session_idle_s"]))
    expired = session.refusal_at(at, idle)
    account = st.find(session.account)
    if expired is not None or account is None or account.disabled:
        with ws.catalog.transaction():
            st.end_session(digest)
        if expired is not None and account is not None:
            ws.emit(
                ev.LoggedOut(
                    actor=principal_actor(account),
                    target=f"account:{account.name}",
                    details={"session": digest[:SESSION_PREFIX], "reason": expired},
                )
            )
        why = {"idle": "the session expired (idle)", "absolute": "the session expired"}
        raise Unauthenticated(
            why.get(expired or "", "the account is disabled"), Where(field="session")
        )
    if touch:
        with ws.catalog.transaction():
            st.touch_session(digest, at)
    return Principal(
        account.name,
        account.roles,
        AuthMethod.SESSION,
        credential=digest[:SESSION_PREFIX],
        csrf_token=credentials.csrf_token(session_id),
    )


def check_csrf(principal: Principal, presented: str | None) -> None:
    """A state-changing request authenticated by a session cookie must echo its CSRF token."""
    if principal.method is not AuthMethod.SESSION:
        return  # a bearer token is not sent by browsers on their own: nothing to forge
    expected = principal.csrf_token or ""
    if not presented or not credentials.same_hash(
        credentials.sha256_hex(expected), credentials.sha256_hex(presented)
    ):
        raise AccessDenied(
            "missing or wrong CSRF token: a change made with a session cookie must echo the "
            "session's CSRF token",
            Where(field="csrf"),
        )


def logout(ws: Workspace, session_id: str, *, at: dt.datetime | None = None) -> bool:
    """End a session (audited); False when there was no such session (already ended)."""
    digest = credentials.sha256_hex(session_id or "")
    st = store(ws)
    session = st.session(digest)
    if session is None:
        return False
    with ws.catalog.transaction():
        st.end_session(digest)
    account = st.find(session.account)
    actor = principal_actor(account) if account else Actor.system()
    ws.emit(
        ev.LoggedOut(
            actor=actor,
            target=f"account:{session.account}",
            details={"session": digest[:SESSION_PREFIX], "reason": "logout"},
        )
    )
    return True
