"""Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP), written with ``hmac``.

The defaults are what every authenticator application assumes (SHA-1, 6 digits, 30-second
steps); SHA-256 and SHA-512 are there for RFC 6238's test vectors. A code is accepted within
``window`` steps either side of now (clocks drift) and never twice: the caller keeps the last
step accepted and passes it back, so a code seen over a shoulder cannot be replayed (RFC 6238,
section 5.2).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
import struct
from urllib.parse import quote, urlencode

STEP_S = 30
DIGITS = 6
DIGESTS = {"SHA1": hashlib.sha1, "SHA256": hashlib.sha256, "SHA512": hashlib.sha512}
SECRET_BYTES = 20  # RFC 4226 recommends 160 bits


def new_secret() -> str:
    """A fresh shared secret, in base32 without padding (what otpauth URIs carry)."""
    return base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii").rstrip("=")


def decode_secret(secret_b32: str) -> bytes:
    s = secret_b32.strip().replace(" ", "").upper()
    return base64.b32decode(s + "=" * (-len(s) % 8))


def hotp(key: bytes, counter: int, digits: int = DIGITS, algorithm: str = "SHA1") -> str:
    """RFC 4226, section 5.3: dynamic truncation of HMAC(key, counter)."""
    mac = hmac.new(key, struct.pack(">Q", counter), DIGESTS[algorithm]).digest()
    offset = mac[-1] & 0x0F
    binary = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(binary % 10**digits).zfill(digits)


def step_at(at: dt.datetime, step_s: int = STEP_S) -> int:
    return int(at.timestamp()) // step_s


def totp(
    key: bytes, at: dt.datetime, digits: int = DIGITS, algorithm: str = "SHA1", step_s: int = STEP_S
) -> str:
    return hotp(key, step_at(at, step_s), digits, algorithm)


def verify(
    key: bytes,
    code: str,
    at: dt.datetime,
    *,
    window: int,
    last_step: int | None = None,
    digits: int = DIGITS,
) -> int | None:
    """The step ``code`` belongs to, within ``window`` steps of ``at`` and after ``last_step``.

    None when the code is malformed, outside the window, or of a step already used. Every
    candidate is compared in constant time.
    """
    code = (code or "").strip().replace(" ", "")
    if len(code) != digits or not code.isdigit():
        return None
    now = step_at(at)
    found = None
    for step in range(now - window, now + window + 1):
        if hmac.compare_digest(hotp(key, step, digits), code) and found is None:
            found = step
    if found is None or (last_step is not None and found <= last_step):
        return None
    return found


def otpauth_uri(secret_b32: str, account: str, issuer: str = "Bulle") -> str:
    """The URI an authenticator application reads (usually from a QR code)."""
    label = quote(f"{issuer}:{account}", safe=":@")
    query = urlencode(
        {
            "secret": secret_b32,
            "issuer": issuer,
            "algorithm": "SHA1",
            "digits": DIGITS,
            "period": STEP_S,
        }
    )
    return f"otpauth://totp/{label}?{query}"
