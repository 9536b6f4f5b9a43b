"""Keyed pseudonyms for direct identifiers.

Token format (version 1): ``bp1_<key id, 8 hex>_<26 base32 chars>`` where the last part is the
first 128 bits of HMAC-SHA-256(workspace key, "bulle-pseudonym-v1" NUL normalized value), base32,
lower case, unpadded. The same normalized value gives the same token in every dataset of a
workspace (so tables still link) and a different one in any other workspace or after a key
rotation. Normalization (documented in docs/pseudonymization.md):

* every value: Unicode NFC, trimmed, inner white space collapsed to one space;
* ``email``: lower-cased;  ``name``: case-folded;
* ``phone``: digits only, a leading international 33 / 0033 turned into 0;
* ``nir``: digits only, Corsica's 2A / 2B kept upper-case.

Pseudonymized data is still personal data (GDPR recital 26): the catalog records it as such.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import unicodedata
from collections.abc import Callable

from bulle.vault.patterns import nir_digits

TOKEN_PREFIX = "bp1"
_DOMAIN = b"bulle-pseudonym-v1\x00"
_WS = re.compile(r"\s+")


def _base(v: str) -> str:
    return _WS.sub(" ", unicodedata.normalize("NFC", v)).strip()


def _phone(v: str) -> str:
    d = re.sub(r"\D", "", v)
    if d.startswith("0033"):
        d = "0" + d[4:]
    elif d.startswith("33") and len(d) == 11:
        d = "0" + d[2:]
    return d


NORMALIZERS: dict[str, Callable[[str], str]] = {
    "text": _base,
    "name": lambda v: _base(v).casefold(),
    "email": lambda v: _base(v).lower(),
    "phone": _phone,
    "nir": nir_digits,
}


def normalize(value: str, kind: str | None) -> str:
    return NORMALIZERS.get(kind or "text", _base)(value)


def token(key: bytes, key_id: str, normalized: str) -> str:
    mac = hmac.new(key, _DOMAIN + normalized.encode("utf-8"), hashlib.sha256).digest()
    return f"{TOKEN_PREFIX}_{key_id}_{base64.b32encode(mac[:16]).decode().rstrip('=').lower()}"


class Tokenizer:
    """Tokenizes one column's values, remembering originals when a re-identification table is kept."""

    def __init__(self, key: bytes, key_id: str, kind: str | None, keep_mapping: bool):
        self.key, self.key_id, self.kind = key, key_id, kind
        self.cache: dict[str, str] = {}
        self.keep_mapping = keep_mapping

    def __call__(self, value: str | None) -> str | None:
        if value is None:
            return None
        tok = self.cache.get(value)
        if tok is None:
            tok = token(self.key, self.key_id, normalize(value, self.kind))
            if len(self.cache) < 2_000_000 or self.keep_mapping:
                self.cache[value] = tok
        return tok

    def mapping(self) -> dict[str, str]:
        return self.cache

    def arrow_udf(self):
        """A vectorized DuckDB UDF body (Arrow in, Arrow out): order-preserving by construction."""
        import pyarrow as pa

        def apply(values):
            return pa.array([self(v) for v in values.to_pylist()], type=pa.string())

        return apply
