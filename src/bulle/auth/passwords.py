"""Passwords: Argon2id hashes with RFC 9106's second recommended parameters, never kept in clear.

Argon2id (winner of the Password Hashing Competition) is memory-hard, so guessing passwords from
a stolen catalog costs 64 MiB and three passes per guess. The parameters are recorded inside each
hash (``$argon2id$v=19$m=65536,t=3,p=4$...``), so a later change of them still verifies older
hashes and rehashes them at the next successful sign-in.

A :class:`Password` hides its value from ``repr`` and ``str``, so that a traceback, a log line or
an event built by mistake from one shows ``Password(***)`` and never the secret.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from bulle.errors import InputError, Where

# RFC 9106, section 4, second recommended option (for when 2 GiB per hash is too much).
TIME_COST = 3
MEMORY_COST_KIB = 64 * 1024
PARALLELISM = 4
HASH_LEN = 32
SALT_LEN = 16
MAX_LENGTH = 4096  # longer input is refused: hashing it is a denial of service, not security

_HASHER = PasswordHasher(
    time_cost=TIME_COST,
    memory_cost=MEMORY_COST_KIB,
    parallelism=PARALLELISM,
    hash_len=HASH_LEN,
    salt_len=SALT_LEN,
    type=Type.ID,
)


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the account is unknown or has no password: the answer then takes as
    long as a real check, so the time of a refusal does not tell which names are accounts. Made
    on first use (hashing costs a quarter of a second: not at import)."""
    return _HASHER.hash("bulle: no such account")


@dataclass(frozen=True)
class Password:
    """A password and where it came from (a file, a form field), for messages that name it."""

    value: str = field(repr=False)
    where: Where = field(default_factory=Where)

    def __repr__(self) -> str:
        return "Password(***)"

    __str__ = __repr__

    def check(self, min_length: int) -> Password:
        """Refuse an empty, too short or too long password, naming where it came from."""
        if not isinstance(self.value, str) or not self.value:
            raise InputError("the password is empty", self.where)
        if len(self.value) < min_length:
            raise InputError(
                f"the password is too short: at least {min_length} characters are needed "
                "(setting auth.password_min_length)",
                self.where,
            )
        if len(self.value) > MAX_LENGTH:
            raise InputError(f"the password is longer than {MAX_LENGTH} characters", self.where)
        return self


def hash_password(password: Password) -> str:
    return _HASHER.hash(password.value)


def verify_password(stored: str | None, password: str) -> tuple[bool, bool]:
    """(matches, needs a new hash). ``stored`` None (no password set) never matches."""
    if not isinstance(password, str) or len(password) > MAX_LENGTH:
        password = ""
    try:
        _HASHER.verify(stored if stored is not None else _dummy_hash(), password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False, False
    if stored is None:
        return False, False
    return True, _HASHER.check_needs_rehash(stored)
