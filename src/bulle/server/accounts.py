"""The bridge from HTTP credentials to the accounts service (``bulle.services.accounts``).

Until that service is part of this Bulle, every credential is refused: the server denies by
default rather than letting anyone in.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bulle.errors import Unauthenticated
from bulle.server.auth import SignedIn

NO_ACCOUNTS = (
    "this Bulle has no accounts service: create accounts and tokens with `bulle user` and "
    "`bulle token` in a version that has them"
)


class AccountsAuthenticator:
    def __init__(self, root: Path):
        self.root = root

    def _service(self) -> Any:
        try:
            from bulle.services import accounts  # type: ignore[attr-defined]
        except ImportError:
            raise Unauthenticated(NO_ACCOUNTS) from None
        return accounts

    def from_token(self, token: str, address: str) -> Any:
        return self._service().authenticate_token(self.root, token, address)

    def from_session(self, session_id: str, address: str) -> tuple[Any, str]:
        return self._service().authenticate_session(self.root, session_id, address)

    def sign_in(self, username: str, password: str, totp: str | None, address: str) -> SignedIn:
        session_id, csrf, max_age = self._service().sign_in(
            self.root, username, password, totp, address
        )
        return SignedIn(session_id, csrf, max_age)

    def sign_out(self, session_id: str) -> None:
        self._service().sign_out(self.root, session_id)
