"""Random credentials and the hashes the catalog keeps of them.

A session id is 32 random bytes (``secrets.token_urlsafe(32)``) and an API token carries 32
random bytes as well: with 256 bits of entropy a single SHA-256 is enough to store them (no salt
or slow hash is needed against guessing, unlike a password), and the catalog never holds a value
that would let its reader sign in. An API token reads ``bulle_<id>_<secret>``: the id (16 hex
digits, also shown by ``token list``) finds the row, and the hash of the whole token is compared
in constant time, so the time of a refusal tells nothing about the stored hash.

The CSRF token of a session is derived from the session id (HMAC-SHA-256 with a fixed label): a
request authenticated by the session cookie must echo it in a header or form field, which a page
of another site cannot read. Nothing about it is stored.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

TOKEN_PREFIX = "bulle_"
TOKEN_RE = re.compile(r"bulle_([0-9a-f]{16})_([A-Za-z0-9_-]{43})")
_CSRF_LABEL = b"bulle-csrf-v1"


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def new_session_id() -> str:
    return secrets.token_urlsafe(32)


def csrf_token(session_id: str) -> str:
    return hmac.new(session_id.encode("utf-8"), _CSRF_LABEL, hashlib.sha256).hexdigest()


def new_api_token() -> tuple[str, str]:
    """(id, token): the token is shown once; the catalog keeps the id and ``sha256_hex(token)``."""
    token_id = secrets.token_hex(8)
    return token_id, f"{TOKEN_PREFIX}{token_id}_{secrets.token_urlsafe(32)}"


def token_id_of(token: str) -> str | None:
    """The id a well-formed token names (None: not a Bulle token)."""
    m = TOKEN_RE.fullmatch(token or "")
    return m.group(1) if m else None


def same_hash(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("ascii"), b.encode("ascii"))
