"""The sealed key file and the passphrase file: every way they can be wrong gets a clear refusal."""

from __future__ import annotations

import base64
import json
import os

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from bulle.errors import AccessDenied, InputError, IntegrityError
from bulle.vault import custodian_key as ck

PASS = b"a long enough passphrase"


@pytest.fixture
def sealed():
    return json.loads(ck.seal(X25519PrivateKey.generate(), PASS, log2_n=10))


def _unseal(doc, passphrase=PASS):
    return ck.unseal(json.dumps(doc).encode(), passphrase, "custodian.key")


def test_a_flipped_ciphertext_byte_is_refused(sealed):
    raw = bytearray(base64.b64decode(sealed["ciphertext"]))
    raw[3] ^= 1
    sealed["ciphertext"] = base64.b64encode(bytes(raw)).decode()
    with pytest.raises(AccessDenied):
        _unseal(sealed)


def test_a_swapped_public_key_is_refused(sealed):
    sealed["public_key"] = "00" * 32  # authenticated: the cipher refuses
    with pytest.raises(AccessDenied):
        _unseal(sealed)


@pytest.mark.parametrize("log2_n", [30, 5])
def test_a_cost_out_of_range_is_refused_before_any_work(sealed, log2_n):
    sealed["kdf"]["log2_n"] = log2_n
    with pytest.raises(IntegrityError, match="out-of-range cost"):
        _unseal(sealed)


def test_a_damaged_file_is_an_integrity_error(sealed):
    del sealed["nonce"]
    with pytest.raises(IntegrityError, match="unreadable"):
        _unseal(sealed)


def test_passphrase_files(tmp_path):
    p = tmp_path / "pass"
    p.write_bytes(PASS + b"\r\n")
    os.chmod(p, 0o600)
    assert ck.read_passphrase_file(p) == PASS
    p.write_bytes(b"\n")
    with pytest.raises(InputError, match="empty"):
        ck.read_passphrase_file(p)
    p.write_bytes(PASS)
    os.chmod(p, 0o640)
    with pytest.raises(InputError, match=f"chmod 600 {p}"):
        ck.read_passphrase_file(p)
    with pytest.raises(InputError, match="not found"):
        ck.read_passphrase_file(tmp_path / "missing")


def test_setup_checks_before_anything_is_written(tmp_path):
    with pytest.raises(InputError, match="--custodian-key-out"):
        ck.CustodianKeySetup().check(tmp_path / "ws")
    with pytest.raises(InputError, match="too short"):
        ck.CustodianKeySetup(passphrase=b"short").check(tmp_path / "ws")
    (tmp_path / "taken").write_text("x")
    with pytest.raises(InputError, match="already exists"):
        ck.CustodianKeySetup(key_out=tmp_path / "taken").check(tmp_path / "ws")
    with pytest.raises(InputError, match="does not exist"):
        ck.CustodianKeySetup(key_out=tmp_path / "nowhere" / "k").check(tmp_path / "ws")
    assert PASS.decode() not in repr(ck.CustodianKeySetup(passphrase=PASS))  # never in a traceback
