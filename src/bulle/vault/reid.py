"""Encrypted re-identification tables: token -> original value, readable only with the custodian key.

File format (version 1): ``BULLE-REID1\\n`` then the ephemeral X25519 public key (32 bytes), a
96-bit nonce, and AES-256-GCM ciphertext of a JSON document
``{"version", "dataset", "columns": {column: {token: original}}}``. The AES key is
HKDF-SHA-256(ECDH(ephemeral, custodian public key), info="bulle-reid-v1"). The header, workspace
id and version reference are authenticated as associated data, so a table cannot be moved to
another version unnoticed.
"""

from __future__ import annotations

import json
import os

from bulle.errors import AccessDenied, InputError, Where

MAGIC = b"BULLE-REID1\n"


def _derive(shared: bytes) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"bulle-reid-v1").derive(
        shared
    )


def _raw_public(key) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def encrypt_table(
    columns: dict[str, dict[str, str]], custodian_public, workspace_id: str, ref: str
) -> bytes:
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    ephemeral = X25519PrivateKey.generate()
    key = _derive(ephemeral.exchange(custodian_public))
    nonce = os.urandom(12)
    eph_pub = _raw_public(ephemeral.public_key())
    plaintext = json.dumps(
        {"version": 1, "dataset": ref, "columns": columns}, ensure_ascii=False
    ).encode()
    aad = MAGIC + eph_pub + workspace_id.encode() + b"\x00" + ref.encode()
    return MAGIC + eph_pub + nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def decrypt_table(
    blob: bytes, custodian_private, workspace_id: str, ref: str, where: str
) -> dict[str, dict[str, str]]:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if not blob.startswith(MAGIC) or len(blob) < len(MAGIC) + 44:
        raise InputError("not a Bulle re-identification table", Where(file=where))
    body = blob[len(MAGIC) :]
    eph_pub, nonce, ciphertext = body[:32], body[32:44], body[44:]
    key = _derive(custodian_private.exchange(X25519PublicKey.from_public_bytes(eph_pub)))
    aad = MAGIC + eph_pub + workspace_id.encode() + b"\x00" + ref.encode()
    try:
        plaintext = AESGCM(key).decrypt(nonce, ciphertext, aad)
    except InvalidTag:
        raise AccessDenied(
            "the re-identification table cannot be read with this custodian key "
            "(wrong key, or the table was altered or moved)",
            Where(file=where),
        ) from None
    return json.loads(plaintext)["columns"]
