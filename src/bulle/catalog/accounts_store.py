"""The accounts tables of the catalog: accounts and roles, API tokens, sessions, sign-in attempts.

SQL for accounts lives here only. Instants are stored in one text form (``domain.accounts.iso``:
UTC, microseconds) so that comparing them as text compares them as instants. Secrets never
arrive here: callers pass the Argon2id hash of a password, the SHA-256 of a token or session id,
and the SHA-256 of a typed user name for the attempts table.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from typing import Any

from bulle.catalog.store import Catalog
from bulle.domain.accounts import (
    Account,
    ApiToken,
    BrowserSession,
    ExternalIdentity,
    iso,
    parse_iso,
    sorted_roles,
)
from bulle.domain.actor import Role
from bulle.errors import ConflictError, NotFoundError, Where


class AccountsStore:
    def __init__(self, catalog: Catalog):
        self.con: sqlite3.Connection = catalog.con

    # -- accounts ------------------------------------------------------------------------------
    def add_account(self, account: Account, password_hash: str | None) -> None:
        if self.find(account.name) is not None:
            raise ConflictError(f"account {account.name!r} already exists", Where(field="name"))
        ext = account.external
        try:
            self.con.execute(
                "INSERT INTO accounts(name, password_hash, disabled, totp_ref, oidc_issuer, "
                "oidc_subject, created_at, created_by, password_changed_at) "
                "VALUES(?, ?, 0, NULL, ?, ?, ?, ?, ?)",
                (
                    account.name,
                    password_hash,
                    ext.issuer if ext else None,
                    ext.subject if ext else None,
                    iso(account.created_at),
                    account.created_by,
                    iso(account.created_at) if password_hash else None,
                ),
            )
        except sqlite3.IntegrityError:
            raise ConflictError(
                "another account already has this external identity", Where(field="external")
            ) from None
        self.con.executemany(
            "INSERT INTO account_roles(account, role) VALUES(?, ?)",
            [(account.name, r) for r in sorted_roles(account.roles)],
        )

    def has_accounts(self) -> bool:
        return self.con.execute("SELECT 1 FROM accounts LIMIT 1").fetchone() is not None

    def find(self, name: str) -> Account | None:
        row = self.con.execute(
            "SELECT name, password_hash IS NOT NULL, disabled, totp_ref, oidc_issuer, oidc_subject, "
            "created_at, created_by FROM accounts WHERE name=?",
            (name,),
        ).fetchone()
        return None if row is None else self._account(row)

    def get(self, name: str) -> Account:
        found = self.find(name)
        if found is None:
            raise NotFoundError(f"unknown account {name!r}", Where(field="name"))
        return found

    def by_external(self, issuer: str, subject: str) -> Account | None:
        row = self.con.execute(
            "SELECT name FROM accounts WHERE oidc_issuer=? AND oidc_subject=?", (issuer, subject)
        ).fetchone()
        return None if row is None else self.find(row[0])

    def accounts(self) -> list[Account]:
        rows = self.con.execute(
            "SELECT name, password_hash IS NOT NULL, disabled, totp_ref, oidc_issuer, oidc_subject, "
            "created_at, created_by FROM accounts ORDER BY name"
        ).fetchall()
        return [self._account(r) for r in rows]

    def _account(self, row: tuple[Any, ...]) -> Account:
        name, has_pw, disabled, totp_ref, issuer, subject, created_at, created_by = row
        roles = [
            Role(r[0])
            for r in self.con.execute("SELECT role FROM account_roles WHERE account=?", (name,))
        ]
        return Account(
            name=name,
            roles=frozenset(roles),
            created_at=parse_iso(created_at),
            created_by=created_by,
            disabled=bool(disabled),
            has_password=bool(has_pw),
            totp_ref=totp_ref,
            external=ExternalIdentity(issuer, subject) if issuer is not None else None,
        )

    def password_hash(self, name: str) -> str | None:
        row = self.con.execute(
            "SELECT password_hash FROM accounts WHERE name=?", (name,)
        ).fetchone()
        return None if row is None else row[0]

    def set_password_hash(self, name: str, password_hash: str, at: dt.datetime) -> None:
        self.con.execute(
            "UPDATE accounts SET password_hash=?, password_changed_at=? WHERE name=?",
            (password_hash, iso(at), name),
        )

    def set_disabled(self, name: str, disabled: bool, at: dt.datetime) -> None:
        self.con.execute(
            "UPDATE accounts SET disabled=?, disabled_at=? WHERE name=?",
            (int(disabled), iso(at) if disabled else None, name),
        )

    def set_totp(self, name: str, ref: str | None) -> None:
        self.con.execute(
            "UPDATE accounts SET totp_ref=?, totp_last_step=NULL WHERE name=?", (ref, name)
        )

    def totp_last_step(self, name: str) -> int | None:
        row = self.con.execute(
            "SELECT totp_last_step FROM accounts WHERE name=?", (name,)
        ).fetchone()
        return None if row is None else row[0]

    def use_totp_step(self, name: str, step: int) -> bool:
        """Record ``step`` as used; False when it (or a later one) was already used (a replay)."""
        cur = self.con.execute(
            "UPDATE accounts SET totp_last_step=? WHERE name=? "
            "AND (totp_last_step IS NULL OR totp_last_step < ?)",
            (step, name, step),
        )
        return cur.rowcount == 1

    # -- API tokens ----------------------------------------------------------------------------
    def add_token(self, token: ApiToken, token_sha256: str, created_by: str) -> None:
        self.con.execute(
            "INSERT INTO api_tokens(id, account, token_sha256, roles_json, project, created_at, "
            "created_by, expires_at) VALUES(?, ?, ?, ?, ?, ?, ?, ?)",
            (
                token.id,
                token.account,
                token_sha256,
                json.dumps(sorted_roles(token.roles)),
                token.project,
                iso(token.created_at),
                created_by,
                iso(token.expires_at),
            ),
        )

    def token(self, token_id: str) -> tuple[ApiToken, str] | None:
        """The token with this id and the stored hash of its value (None: no such token)."""
        row = self.con.execute(
            "SELECT id, account, roles_json, project, created_at, expires_at, revoked_at, "
            "last_used_at, token_sha256 FROM api_tokens WHERE id=?",
            (token_id,),
        ).fetchone()
        return None if row is None else (_token(row[:8]), row[8])

    def tokens(self, account: str | None = None) -> list[ApiToken]:
        sql = (
            "SELECT id, account, roles_json, project, created_at, expires_at, revoked_at, "
            "last_used_at FROM api_tokens"
        )
        args: tuple[Any, ...] = ()
        if account is not None:
            sql += " WHERE account=?"
            args = (account,)
        return [_token(r) for r in self.con.execute(sql + " ORDER BY created_at, id", args)]

    def revoke_token(self, token_id: str, at: dt.datetime) -> None:
        self.con.execute(
            "UPDATE api_tokens SET revoked_at=? WHERE id=? AND revoked_at IS NULL",
            (iso(at), token_id),
        )

    def token_used(self, token_id: str, at: dt.datetime) -> None:
        self.con.execute("UPDATE api_tokens SET last_used_at=? WHERE id=?", (iso(at), token_id))

    # -- sessions ------------------------------------------------------------------------------
    def add_session(self, session: BrowserSession) -> None:
        self.con.execute(
            "INSERT INTO sessions(id_sha256, account, created_at, last_seen_at, expires_at) "
            "VALUES(?, ?, ?, ?, ?)",
            (
                session.id_sha256,
                session.account,
                iso(session.created_at),
                iso(session.last_seen_at),
                iso(session.expires_at),
            ),
        )

    def session(self, id_sha256: str) -> BrowserSession | None:
        row = self.con.execute(
            "SELECT id_sha256, account, created_at, last_seen_at, expires_at FROM sessions "
            "WHERE id_sha256=?",
            (id_sha256,),
        ).fetchone()
        if row is None:
            return None
        return BrowserSession(row[0], row[1], *(parse_iso(t) for t in row[2:]))

    def touch_session(self, id_sha256: str, at: dt.datetime) -> None:
        self.con.execute(
            "UPDATE sessions SET last_seen_at=? WHERE id_sha256=?", (iso(at), id_sha256)
        )

    def end_session(self, id_sha256: str) -> bool:
        cur = self.con.execute("DELETE FROM sessions WHERE id_sha256=?", (id_sha256,))
        return cur.rowcount == 1

    def end_sessions_of(self, account: str) -> int:
        return self.con.execute("DELETE FROM sessions WHERE account=?", (account,)).rowcount

    def count_sessions(self, account: str) -> int:
        row = self.con.execute("SELECT count(*) FROM sessions WHERE account=?", (account,))
        return int(row.fetchone()[0])

    # -- sign-in attempts and lockouts ---------------------------------------------------------
    def add_attempt(
        self, username_sha256: str, address: str | None, at: dt.datetime, outcome: str
    ) -> None:
        self.con.execute(
            "INSERT INTO login_attempts(username_sha256, address, at, outcome) VALUES(?, ?, ?, ?)",
            (username_sha256, address, iso(at), outcome),
        )

    def failures_by_name(
        self, username_sha256: str, since: dt.datetime, counted: tuple[str, ...]
    ) -> int:
        """Failed attempts on this name since ``since`` and since its last successful sign-in."""
        marks = ",".join("?" * len(counted))
        row = self.con.execute(
            f"SELECT count(*) FROM login_attempts WHERE username_sha256=? AND at>=? "
            f"AND outcome IN ({marks}) AND at > coalesce((SELECT max(at) FROM login_attempts "
            f"WHERE username_sha256=? AND outcome='ok'), '')",
            (username_sha256, iso(since), *counted, username_sha256),
        ).fetchone()
        return int(row[0])

    def failures_by_address(
        self, address: str, since: dt.datetime, counted: tuple[str, ...]
    ) -> int:
        marks = ",".join("?" * len(counted))
        row = self.con.execute(
            f"SELECT count(*) FROM login_attempts WHERE address=? AND at>=? AND outcome IN ({marks})",
            (address, iso(since), *counted),
        ).fetchone()
        return int(row[0])

    def forget_attempts_before(self, before: dt.datetime) -> None:
        self.con.execute("DELETE FROM login_attempts WHERE at < ?", (iso(before),))

    def lockout(self, username_sha256: str) -> tuple[dt.datetime, dt.datetime] | None:
        """(locked at, until) of the name's last lockout, if any."""
        row = self.con.execute(
            "SELECT locked_at, until FROM login_lockouts WHERE username_sha256=?",
            (username_sha256,),
        ).fetchone()
        return None if row is None else (parse_iso(row[0]), parse_iso(row[1]))

    def set_lockout(self, username_sha256: str, at: dt.datetime, until: dt.datetime) -> None:
        self.con.execute(
            "INSERT INTO login_lockouts(username_sha256, locked_at, until) VALUES(?, ?, ?) "
            "ON CONFLICT(username_sha256) DO UPDATE SET locked_at=excluded.locked_at, "
            "until=excluded.until",
            (username_sha256, iso(at), iso(until)),
        )

    def lockouts_since(self, since: dt.datetime) -> int:
        """How many names were locked out at or after ``since`` (a lockout storm's size)."""
        row = self.con.execute(
            "SELECT COUNT(*) FROM login_lockouts WHERE locked_at >= ?", (iso(since),)
        ).fetchone()
        return int(row[0])

    def clear_lockout(self, username_sha256: str) -> None:
        self.con.execute("DELETE FROM login_lockouts WHERE username_sha256=?", (username_sha256,))


def _token(row: tuple[Any, ...]) -> ApiToken:
    token_id, account, roles_json, project, created, expires, revoked, used = row
    return ApiToken(
        id=token_id,
        account=account,
        roles=frozenset(Role(r) for r in json.loads(roles_json)),
        created_at=parse_iso(created),
        expires_at=parse_iso(expires),
        project=project,
        revoked_at=parse_iso(revoked) if revoked else None,
        last_used_at=parse_iso(used) if used else None,
    )
