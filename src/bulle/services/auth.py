"""Signing in: passwords and one-time codes, rate limits and lockout; then a browser session.

Interface for the server (stable; every function takes ``at`` so tests inject the clock):

* ``authenticate(ws, username, password, *, address=None, totp_code=None, at=None) -> Account``
  checks a sign-in and records it; refusals raise :class:`bulle.errors.Unauthenticated` (401),
  :class:`~bulle.errors.SecondFactorRequired` (``totp_required``, 401: ask for the code) or
  :class:`~bulle.errors.RateLimited` (429), all ``AccessDenied`` (exit code 5).
* ``login(...)`` (same arguments) ``-> SignIn``: authenticate, then begin a session. The answer
  holds the session id, to be set as an HttpOnly, SameSite=Strict cookie and never shown again,
  and the session's CSRF token, which state-changing requests must echo.
* ``lookup_session(ws, session_id, *, at=None) -> Principal`` (and touches the session),
  ``check_csrf(principal, presented)``, ``logout(ws, session_id, *, at=None)``: defined in
  :mod:`bulle.services.sessions`, re-exported here.
* ``account_for_identity(ws, issuer, subject) -> Account``: the account an identity provider's
  verified identity (OpenID Connect ``iss`` and ``sub``) maps to, for single sign-on; the caller
  has verified the ID token, then begins a session with ``begin_session(ws, account, ...)``.

Rate limiting. Every refused sign-in is recorded (the typed name hashed, the address) and counts:
``auth.lockout_failures`` failures on one name within ``auth.lockout_window_s`` and since its last
successful sign-in lock the name for ``auth.lockout_s``; ``auth.address_failures`` failures from
one address within the window refuse that address. Unknown names are counted and locked like
accounts, a refusal never says whether the name exists, and an unknown name costs one Argon2id
verification like a known one. A correct password without the required code is a failure too
(otherwise it would be a free password oracle); a successful sign-in clears the count.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import TYPE_CHECKING

from bulle.audit import events as ev
from bulle.auth import totp
from bulle.auth.passwords import MAX_LENGTH, Password, hash_password, verify_password
from bulle.domain.accounts import (
    Account,
    iso,
    sorted_roles,
    utc,
)
from bulle.domain.actor import Actor
from bulle.errors import RateLimited, SecondFactorRequired, Unauthenticated, Where
from bulle.services.accounts import (
    now_utc,
    principal_actor,
    store,
    totp_roles,
    totp_secret,
)
from bulle.services.sessions import (  # re-exported: the server signs in and out through here
    SignIn,
    begin_session,
    check_csrf,
    logout,
    lookup_session,
)

__all__ = [
    "SignIn",
    "account_for_identity",
    "authenticate",
    "begin_session",
    "check_csrf",
    "login",
    "logout",
    "lookup_session",
    "username_hash",
]

if TYPE_CHECKING:
    from bulle.workspace import Workspace

# Outcomes that count as failures (a refusal because of a lockout or an address limit does not:
# it would keep a lockout going forever for the account's owner).
FAILURES = ("bad_credentials", "disabled", "totp_missing", "totp_bad", "totp_not_enrolled")
BAD_CREDENTIALS = "bad user name or password"


def username_hash(ws: Workspace, username: str) -> str:
    """How attempts on a typed name are counted and logged: a workspace-bound SHA-256."""
    return hashlib.sha256(f"bulle-username-v1\x00{ws.id}\x00{username}".encode()).hexdigest()


def _refuse(
    ws: Workspace,
    username: str,
    account: Account | None,
    reason: str,
    address: str | None,
    at: dt.datetime,
    error: Unauthenticated,
) -> Unauthenticated:
    """Record a refused sign-in (attempt, event, lockout when due) and return the error to raise."""
    st = store(ws)
    key = username_hash(ws, username)
    window = dt.timedelta(seconds=float(ws.settings["auth.lockout_window_s"]))
    counted = reason in FAILURES
    with ws.catalog.transaction():
        st.forget_attempts_before(at - window)
        st.add_attempt(key, address, at, reason)
        since = at - window
        lock = st.lockout(key)
        if lock is not None and lock[1] > since:
            since = lock[1]  # failures before the end of the last lockout were paid for
        failures = st.failures_by_name(key, since, FAILURES)
        limit = int(ws.settings["auth.lockout_failures"])
        locked_until = None
        if counted and failures >= limit:
            locked_until = at + dt.timedelta(seconds=float(ws.settings["auth.lockout_s"]))
            st.set_lockout(key, at, locked_until)
    actor = principal_actor(account) if account else Actor.system()
    who = {"known": account is not None, "username_sha256": None if account else key}
    ws.emit(
        ev.LoginFailed(
            actor=actor,
            target=f"account:{account.name}" if account else None,
            details={"reason": reason, **who, "address": address, "failures": failures},
        )
    )
    if locked_until is not None:
        ws.emit(
            ev.AccountLocked(
                actor=actor,
                target=f"account:{account.name}" if account else None,
                details={
                    **who,
                    "failures": failures,
                    "window_s": window.total_seconds(),
                    "until": iso(locked_until),
                    "address": address,
                },
            )
        )
        from bulle.services import alerts

        alerts.lockout(ws, at)
    return error


def authenticate(
    ws: Workspace,
    username: str,
    password: Password | str,
    *,
    address: str | None = None,
    totp_code: str | None = None,
    at: dt.datetime | None = None,
) -> Account:
    """The account ``username`` signs in as, or the refusal (recorded and audited either way)."""
    at = utc(at or now_utc())
    if not isinstance(username, str) or not username or len(username) > MAX_LENGTH:
        raise Unauthenticated(BAD_CREDENTIALS, Where(field="username"))
    secret = password.value if isinstance(password, Password) else password
    st = store(ws)
    window = dt.timedelta(seconds=float(ws.settings["auth.lockout_window_s"]))
    key = username_hash(ws, username)
    account = st.find(username)
    if address is not None:
        recent = st.failures_by_address(address, at - window, FAILURES)
        if recent >= int(ws.settings["auth.address_failures"]):
            raise _refuse(
                ws,
                username,
                account,
                "address_limited",
                address,
                at,
                RateLimited(
                    "too many failed sign-ins from this address: try again later",
                    Where(field="address"),
                ),
            )
    lock = st.lockout(key)
    if lock is not None and at < lock[1]:
        raise _refuse(
            ws,
            username,
            account,
            "locked",
            address,
            at,
            RateLimited(
                f"too many failed sign-ins for this name: try again after {iso(lock[1])}",
                Where(field="username"),
            ),
        )
    ok, rehash = verify_password(st.password_hash(username) if account else None, secret)
    if not ok or account is None:
        raise _refuse(
            ws,
            username,
            account,
            "bad_credentials",
            address,
            at,
            Unauthenticated(BAD_CREDENTIALS, Where(field="password")),
        )
    if account.disabled:
        raise _refuse(
            ws,
            username,
            account,
            "disabled",
            address,
            at,
            Unauthenticated(f"account {account.name!r} is disabled", Where(field="username")),
        )
    used_totp = account.needs_totp(totp_roles(ws))
    if used_totp:
        _check_totp(ws, account, totp_code, address, at)
    with ws.catalog.transaction():
        st.add_attempt(key, address, at, "ok")
        st.clear_lockout(key)
        if rehash:
            st.set_password_hash(account.name, hash_password(Password(secret)), at)
    return account


def _check_totp(
    ws: Workspace, account: Account, code: str | None, address: str | None, at: dt.datetime
) -> None:
    key = totp_secret(ws, account)
    if key is None:
        held = ", ".join(sorted_roles(account.roles & totp_roles(ws))) or "this account"
        raise _refuse(
            ws,
            account.name,
            account,
            "totp_not_enrolled",
            address,
            at,
            Unauthenticated(
                f"a one-time code is required for {held} and {account.name!r} has none enrolled: "
                f"a custodian runs `bulle -w DIR user totp {account.name}`",
                Where(field="totp"),
            ),
        )
    if not code:
        raise _refuse(
            ws,
            account.name,
            account,
            "totp_missing",
            address,
            at,
            SecondFactorRequired("a one-time code (TOTP) is required", Where(field="totp")),
        )
    st = store(ws)
    step = totp.verify(
        key,
        code,
        at,
        window=int(ws.settings["auth.totp_window"]),
        last_step=st.totp_last_step(account.name),
    )
    if step is None or not st.use_totp_step(account.name, step):
        raise _refuse(
            ws,
            account.name,
            account,
            "totp_bad",
            address,
            at,
            Unauthenticated("wrong or already used one-time code", Where(field="totp")),
        )


def login(
    ws: Workspace,
    username: str,
    password: Password | str,
    *,
    address: str | None = None,
    totp_code: str | None = None,
    at: dt.datetime | None = None,
) -> SignIn:
    """Authenticate, then begin a browser session (audited as ``auth.login``)."""
    at = utc(at or now_utc())
    account = authenticate(ws, username, password, address=address, totp_code=totp_code, at=at)
    return begin_session(ws, account, address=address, at=at, method="password")


def account_for_identity(ws: Workspace, issuer: str, subject: str) -> Account:
    """The enabled account bound to an external identity; refused (401) when there is none."""
    account = store(ws).by_external(issuer, subject)
    if account is None or account.disabled:
        raise Unauthenticated(
            "this identity is not bound to an enabled account of this workspace: a custodian "
            "creates one with its issuer and subject",
            Where(field="identity"),
        )
    return account
