"""Sealing the custodian's key: any passphrase opens exactly what it sealed, and nothing else."""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from bulle.errors import AccessDenied
from bulle.vault import custodian_key as ck


def _raw(key) -> bytes:
    return key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                             serialization.NoEncryption())


@settings(max_examples=25, deadline=None)
@given(passphrase=st.text(min_size=12, max_size=40), other=st.text(min_size=1, max_size=5))
def test_only_the_sealing_passphrase_opens_it(passphrase, other):
    key = X25519PrivateKey.generate()
    sealed = ck.seal(key, passphrase.encode(), log2_n=10)
    assert ck.is_sealed(sealed) and _raw(key) not in sealed and _raw(key).hex().encode() not in sealed
    assert _raw(ck.unseal(sealed, passphrase.encode(), "k")) == _raw(key)
    try:
        ck.unseal(sealed, (passphrase + other).encode(), "k")
    except AccessDenied:
        pass
    else:
        raise AssertionError("another passphrase opened the key")
