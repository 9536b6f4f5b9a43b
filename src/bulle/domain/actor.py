"""Who does something. Every service call carries an actor, and every audit event names one."""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from enum import StrEnum

from bulle.errors import InputError


class Role(StrEnum):
    CUSTODIAN = "custodian"  # holds the data and the keys, approves projects and releases
    ANALYST = "analyst"  # works inside a project, sees only what the project allows
    DPO = "dpo"  # data protection officer / auditor: reads the audit log, reviews
    CHECKER = "checker"  # output checker: reviews outputs leaving the analysis bubble
    SUBJECT = "subject"  # a data subject exercising their rights
    SYSTEM = "system"  # Bulle itself (migrations, recomputation after erasure)


@dataclass(frozen=True)
class Actor:
    name: str
    role: Role

    def __post_init__(self) -> None:
        if not self.name or not self.name.strip():
            raise InputError("an actor needs a non-empty user name")
        if not isinstance(self.role, Role):
            try:
                object.__setattr__(self, "role", Role(self.role))
            except ValueError:
                raise InputError(
                    f"unknown role {self.role!r}: expected one of {', '.join(r.value for r in Role)}"
                ) from None

    @classmethod
    def from_cli(cls, user: str | None, role: str) -> Actor:
        return cls(user or _login_name(), Role(role))

    @classmethod
    def system(cls) -> Actor:
        return cls("bulle", Role.SYSTEM)

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "role": self.role.value}


def _login_name() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return os.environ.get("USER", "unknown")
