"""Sealing the custodian's key: any passphrase opens exactly what it sealed, and nothing else."""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from bulle.errors import AccessDenied
from bulle.vault import custodian_key as ck


def _raw(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )


@settings(max_examples=25, deadline=None)
@given(
    passphrase=st.text(st.characters(blacklist_characters="\x00"), min_size=12, max_size=40),
    other=st.text(min_size=1, max_size=5),
)
def test_only_the_sealing_passphrase_opens_it(passphrase, other):
    """Any longer passphrase fails, NUL characters included (scrypt's HMAC pads keys with NULs)."""
    key = X25519PrivateKey.generate()
    sealed = ck.seal(key, passphrase.encode(), log2_n=10)
    assert (
        ck.is_sealed(sealed) and _raw(key) not in sealed and _raw(key).hex().encode() not in sealed
    )
    assert _raw(ck.unseal(sealed, passphrase.encode(), "k")) == _raw(key)
    try:
        ck.unseal(sealed, (passphrase + other).encode(), "k")
    except AccessDenied:
        pass
    else:
        raise AssertionError("another passphrase opened the key")


def test_a_trailing_nul_does_not_open_the_key():
    key = X25519PrivateKey.generate()
    sealed = ck.seal(key, b"000000000000", log2_n=10)
    for other in (b"000000000000\x00", b"000000000000\x00\x00"):
        try:
            ck.unseal(sealed, other, "k")
        except AccessDenied:
            continue
        raise AssertionError(f"{other!r} opened the key")
