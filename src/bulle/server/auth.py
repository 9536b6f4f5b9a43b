"""Who is calling: a bearer token for scripts, a session cookie (with CSRF) for browsers.

The accounts themselves (passwords, sessions, tokens, lockout, TOTP) are
``bulle.services.accounts``'; this module only carries credentials from HTTP to it and back:

* ``Authorization: Bearer TOKEN`` authenticates a script; no cookie is looked at then, and no CSRF
  token is needed (a browser never adds that header by itself).
* A browser signs in at ``/login`` and gets an opaque session id in an ``HttpOnly``,
  ``SameSite=Strict`` cookie (``Secure`` under TLS). Every state-changing request the cookie
  authenticates must also carry the session's CSRF secret in ``X-CSRF-Token``: a page of another
  site can make the browser send the cookie, never read the secret.

The accounts service is reached through :class:`Authenticator`, the seam between the two halves of
the server work (an implementation is chosen when the application is built).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any, Protocol

from fastapi import Request

from bulle.errors import AccessDenied, Unauthenticated

SESSION_COOKIE = "bulle_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Principal(Protocol):
    """An authenticated account as the accounts service describes it."""

    name: str

    def actor_for(self, role: Any) -> Any: ...


@dataclass(frozen=True)
class SignedIn:
    """A browser session just opened: the id for the cookie, the CSRF secret for the page."""

    session_id: str
    csrf: str
    max_age_s: int


@dataclass(frozen=True)
class Caller:
    """The principal of a request and how it was authenticated."""

    principal: Any
    via: str  # "token" or "session"
    csrf: str | None = None
    session_id: str | None = None

    @property
    def roles(self) -> frozenset:
        return frozenset(getattr(self.principal, "roles", ()))

    @property
    def project(self) -> str | None:
        return getattr(self.principal, "project", None)


class Authenticator(Protocol):
    def from_token(self, token: str, address: str) -> Any: ...

    def from_session(self, session_id: str, address: str) -> tuple[Any, str]: ...

    def sign_in(self, username: str, password: str, totp: str | None, address: str) -> SignedIn: ...

    def sign_out(self, session_id: str) -> None: ...


def bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("the Authorization header must be `Bearer TOKEN`")
    return token.strip()


def address_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def caller(request: Request, auth: Authenticator) -> Caller:
    """The authenticated caller of ``request``, or :class:`Unauthenticated`."""
    token = bearer(request)
    if token is not None:
        return Caller(auth.from_token(token, address_of(request)), "token")
    session_id = request.cookies.get(SESSION_COOKIE)
    if not session_id:
        raise Unauthenticated(
            "sign in first: send `Authorization: Bearer TOKEN` or sign in at /login"
        )
    principal, csrf = auth.from_session(session_id, address_of(request))
    found = Caller(principal, "session", csrf, session_id)
    if request.method not in SAFE_METHODS:
        require_csrf(request, found)
    return found


def require_csrf(request: Request, found: Caller) -> None:
    """A cookie-authenticated change must carry the session's CSRF secret (constant-time check)."""
    sent = request.headers.get(CSRF_HEADER, "")
    if not found.csrf or not hmac.compare_digest(sent.encode(), found.csrf.encode()):
        err = AccessDenied(
            f"missing or wrong {CSRF_HEADER} header: a change made with a session cookie must "
            "carry the session's CSRF token"
        )
        err.code = "csrf"
        raise err


def same_origin(request: Request) -> bool:
    """A sign-in form post must come from this server's own page (no login CSRF)."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        referer = request.headers.get("referer")
        if referer is None:
            return origin is None  # a non-browser client sends neither
        origin = referer
    host = request.headers.get("host", "")
    return origin.split("://", 1)[-1].split("/", 1)[0] == host


def set_session_cookie(response: Any, signed: SignedIn, secure: bool) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        signed.session_id,
        max_age=signed.max_age_s,
        httponly=True,
        samesite="strict",
        secure=secure,
        path="/",
    )


def clear_session_cookie(response: Any, secure: bool) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="strict", secure=secure
    )
