"""Bulle's error hierarchy: one place maps each kind of failure to an exit code and an HTTP status.

User errors (bad input, unknown names, refused access) are expected: interfaces show them as one
clear line (or one JSON object) and never a traceback. Anything else is a bug.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Where:
    """Where a problem is: a file, a line (1-based), a column (name or 1-based number), a field."""

    file: str | None = None
    line: int | None = None
    column: str | int | None = None
    field: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}

    def __str__(self) -> str:
        parts = []
        if self.file is not None:
            parts.append(str(self.file))
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.column is not None:
            parts.append(f"column {self.column}")
        if self.field is not None:
            parts.append(f"field {self.field}")
        return ", ".join(parts)


@dataclass
class Problem:
    """One validation problem; validators collect all of them before raising."""

    message: str
    where: Where = field(default_factory=Where)

    def __str__(self) -> str:
        loc = str(self.where)
        return f"{loc}: {self.message}" if loc else self.message


class BulleError(Exception):
    """Base of every error Bulle raises on purpose."""

    code = "error"
    exit_code = 1
    http_status = 500

    def __init__(
        self, message: str, where: Where | None = None, problems: list[Problem] | None = None
    ):
        super().__init__(message)
        self.message = message
        self.where = where or Where()
        self.problems = list(problems or [])

    def __str__(self) -> str:
        loc = str(self.where)
        head = f"{loc}: {self.message}" if loc else self.message
        if self.problems:
            head += "".join(f"\n  - {p}" for p in self.problems)
        return head

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "code": self.code,
            "message": self.message,
            "where": self.where.to_dict() or None,
        }
        if self.problems:
            d["problems"] = [
                {"message": p.message, "where": p.where.to_dict() or None} for p in self.problems
            ]
        return d


class UserError(BulleError):
    """The user asked for something that cannot be done as asked."""

    code = "user_error"
    exit_code = 2
    http_status = 400


class InputError(UserError):
    """Bad input data or arguments (a file, a line, a column, an option)."""

    code = "bad_input"
    exit_code = 2
    http_status = 400


class ValidationError(InputError):
    """Several problems found at once by a validator."""

    code = "invalid"

    @classmethod
    def from_problems(cls, what: str, problems: list[Problem]) -> ValidationError:
        n = len(problems)
        return cls(f"{what}: {n} problem{'s' if n != 1 else ''}", problems=problems)


class NotFoundError(UserError):
    """A named thing (dataset, version, workspace, project...) does not exist."""

    code = "not_found"
    exit_code = 3
    http_status = 404


class ConflictError(UserError):
    """The request conflicts with the current state (already exists, locked, in use)."""

    code = "conflict"
    exit_code = 4
    http_status = 409


class AccessDenied(UserError):
    """The actor may not do this (role, purpose, consent, project validity)."""

    code = "access_denied"
    exit_code = 5
    http_status = 403


class IntegrityError(BulleError):
    """Stored state failed a check (audit chain broken, hash mismatch): not the user's input."""

    code = "integrity"
    exit_code = 6
    http_status = 500


class WithheldError(UserError):
    """An artefact exists but is withheld from use (e.g. needs recomputation after erasure)."""

    code = "withheld"
    exit_code = 7
    http_status = 409


class ResourceLimit(UserError):
    """The request ran past a limit set for it (time, memory, result size): ask for less."""

    code = "resource_limit"
    exit_code = 8
    http_status = 422


class PluginError(BulleError):
    """An installed plug-in failed to load or clashes with another extension's name."""

    code = "plugin"
    exit_code = 9
    http_status = 500


class ServerUnreachable(BulleError):
    """The Bulle server named by ``--server`` (or BULLE_SERVER) could not be reached."""

    code = "server_unreachable"
    exit_code = 10
    http_status = 502


class SandboxUnavailable(BulleError):
    """Jobs cannot run on this machine: the sandbox cannot be built (no bubblewrap, no user
    namespaces, no job user or job Python). Jobs are refused, never run unconfined."""

    code = "sandbox_unavailable"
    exit_code = 11
    http_status = 503


INTERNAL_EXIT_CODE = 70  # EX_SOFTWARE: a bug in Bulle

EXIT_CODES = {
    cls.code: cls.exit_code
    for cls in (
        BulleError,
        UserError,
        InputError,
        ValidationError,
        NotFoundError,
        ConflictError,
        AccessDenied,
        IntegrityError,
        WithheldError,
        ResourceLimit,
        PluginError,
        ServerUnreachable,
        SandboxUnavailable,
    )
}


def as_resource_limit(exc: BaseException) -> ResourceLimit | None:
    """Running out of memory is the machine's limit, not a bug: a ResourceLimit saying what to do.

    DuckDB raises its own ``OutOfMemoryException`` when its memory limit is reached; Python raises
    ``MemoryError`` when the process's address space is exhausted. Matched by name so that this
    module does not import DuckDB.
    """
    name = type(exc).__name__
    if isinstance(exc, MemoryError) or (
        type(exc).__module__.lstrip("_").startswith("duckdb") and name == "OutOfMemoryException"
    ):
        return ResourceLimit(
            "out of memory: the operation needed more memory than this process may "
            "use (its memory limit or address-space limit); free memory, raise the "
            "limit, or work on a smaller input"
        )
    return None


class Unauthenticated(AccessDenied):
    """No valid credential: a missing, bad, expired or revoked token or session, a failed sign-in.

    An ``AccessDenied`` (same exit code) so that scripts testing for a refusal keep working; its
    HTTP status is 401, which tells a client to authenticate rather than to ask for less.
    """

    code = "unauthenticated"
    exit_code = 5
    http_status = 401


class SecondFactorRequired(Unauthenticated):
    """The password was not enough: this account signs in with a one-time code (TOTP) as well."""

    code = "totp_required"
    http_status = 401


class RateLimited(Unauthenticated):
    """Too many failed sign-ins for this account or from this address: wait before trying again."""

    code = "rate_limited"
    http_status = 429


EXIT_CODES.update(
    {cls.code: cls.exit_code for cls in (Unauthenticated, SecondFactorRequired, RateLimited)}
)
