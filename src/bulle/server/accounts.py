"""The bridge from HTTP credentials to the accounts service (``bulle.services.auth``, ``tokens``).

Each check makes a session of the server's store acting as the system (the accounts service records sign-ins,
failures and lockouts in the catalog and the audit log itself) and returns the service's
``Principal``; a session's CSRF token is the principal's.
"""

from __future__ import annotations

from typing import Any

from bulle.server.auth import SignedIn


class AccountsAuthenticator:
    def __init__(self, store: Any):
        self.store = store

    def _session(self) -> Any:
        from bulle.domain.actor import Actor

        return self.store.session(Actor.system())

    def from_token(self, token: str, address: str) -> Any:
        from bulle.services.tokens import verify_token

        with self._session() as ws:
            return verify_token(ws, token)

    def from_session(self, session_id: str, address: str) -> tuple[Any, str]:
        from bulle.services.auth import lookup_session

        with self._session() as ws:
            principal = lookup_session(ws, session_id)
        return principal, principal.csrf_token or ""

    def sign_in(self, username: str, password: str, totp: str | None, address: str) -> SignedIn:
        from bulle.services.auth import login

        with self._session() as ws:
            signed = login(ws, username, password, address=address, totp_code=totp)
            max_age = int(ws.settings["auth.session_max_s"])
        return SignedIn(signed.session_id, signed.csrf_token, max_age)

    def sign_out(self, session_id: str) -> None:
        from bulle.services.auth import logout

        with self._session() as ws:
            logout(ws, session_id)
