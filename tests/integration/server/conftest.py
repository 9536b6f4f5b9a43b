"""A served workspace for the API tests: the ASGI application in-process (Starlette's client).

Accounts are the accounts service's; these tests reach the server through its
:class:`~bulle.server.auth.Authenticator` seam with a small book of tokens and sessions
(:class:`TokenBook`), so that what they check is the server's part: the permission table, the
actor each request acts as, CSRF, the error shape, headers and limits.
"""

from __future__ import annotations

import datetime as dt
import secrets
import warnings
from dataclasses import dataclass, field

import pytest

with warnings.catch_warnings():  # Starlette's client still runs on httpx, which it deprecates
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from bulle.domain.actor import Actor, Role
from bulle.errors import AccessDenied, Unauthenticated
from bulle.server.auth import SignedIn

NOW = dt.datetime.now(dt.UTC)
CSV = "patient_id,age,zip,diagnosis\n" + "".join(
    f"P{i:03d},{20 + i % 50},{75000 + i % 7},{['flu', 'asthma', 'diabetes'][i % 3]}\n"
    for i in range(60)
)


@dataclass(frozen=True)
class Principal:
    name: str
    roles: frozenset[Role]
    project: str | None = None

    def actor_for(self, role: Role) -> Actor:
        if role not in self.roles:
            raise AccessDenied(f"{self.name} does not hold the role {role.value}")
        return Actor(self.name, role)


@dataclass
class TokenBook:
    """Tokens and sessions of the tests' accounts (what the accounts service will hold)."""

    tokens: dict[str, Principal] = field(default_factory=dict)
    passwords: dict[str, tuple[str, Principal]] = field(default_factory=dict)
    sessions: dict[str, tuple[Principal, str]] = field(default_factory=dict)

    def add(self, principal: Principal, password: str | None = None) -> str:
        token = secrets.token_urlsafe(32)
        self.tokens[token] = principal
        if password:
            self.passwords[principal.name] = (password, principal)
        return token

    def from_token(self, token: str, address: str) -> Principal:
        try:
            return self.tokens[token]
        except KeyError:
            raise Unauthenticated("unknown, expired or revoked token") from None

    def from_session(self, session_id: str, address: str) -> tuple[Principal, str]:
        try:
            return self.sessions[session_id]
        except KeyError:
            raise Unauthenticated("no such session, or it expired") from None

    def sign_in(self, username: str, password: str, totp: str | None, address: str) -> SignedIn:
        known = self.passwords.get(username)
        if known is None or not secrets.compare_digest(known[0], password):
            raise Unauthenticated("wrong user name or password")
        sid, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        self.sessions[sid] = (known[1], csrf)
        return SignedIn(sid, csrf, 3600)

    def sign_out(self, session_id: str) -> None:
        self.sessions.pop(session_id, None)


def make_workspace(root, tmp_path) -> None:
    from bulle.services import governance as gov
    from bulle.services.vault import import_table, set_roles
    from bulle.workspace import Workspace

    csv = tmp_path / "patients.csv"
    csv.write_text(CSV)
    ws = Workspace.init(root, Actor("alice", Role.CUSTODIAN))
    try:
        import_table(ws, csv, "patients")
        set_roles(ws, "patients", {"patient_id": "subject_id"}, confirm_all=True)
        gov.declare_purpose(
            ws,
            "care",
            "Soins",
            "public_task",
            special_categories=True,
            art9_condition="health_care",
        )
        gov.set_dataset_purpose(ws, "patients", "care")
        for name, who, rows in (("study", "bob", "view"), ("other", "carol", "view")):
            gov.create_project(
                ws,
                name,
                "care",
                {"patients@1": ["patient_id", "age", "zip", "diagnosis"]},
                [(who, "analyst")],
                NOW - dt.timedelta(days=1),
                NOW + dt.timedelta(days=30),
            )
            gov.approve_project(ws, name, allow_raw=True, row_access=rows)
    finally:
        ws.close()


@dataclass
class Served:
    client: TestClient
    book: TokenBook
    tokens: dict[str, str]
    root: object

    def as_(self, who: str | None) -> dict[str, str]:
        return {} if who is None else {"Authorization": f"Bearer {self.tokens[who]}"}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    from bulle.server.app import create_app

    tmp = tmp_path_factory.mktemp("served")
    root = tmp / "ws"
    make_workspace(root, tmp)
    book = TokenBook()
    tokens = {
        "custodian": book.add(Principal("alice", frozenset({Role.CUSTODIAN})), "alice-password"),
        "analyst": book.add(Principal("bob", frozenset({Role.ANALYST})), "bob-password"),
        "dpo": book.add(Principal("dora", frozenset({Role.DPO}))),
        "other_analyst": book.add(Principal("carol", frozenset({Role.ANALYST}))),
        "checker": book.add(Principal("cleo", frozenset({Role.CHECKER}))),
        "scoped_analyst": book.add(Principal("bob", frozenset({Role.ANALYST}), "study")),
    }
    app = create_app(root, authenticator=book)
    with TestClient(app, base_url="http://testserver") as client:
        yield Served(client, book, tokens, root)
