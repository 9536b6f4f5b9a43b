"""The signing key stays private (0600, refused otherwise); the public key travels as PEM or hex."""

from __future__ import annotations

import os
import stat

import pytest

from bulle.audit.keys import (
    PUBLIC_KEY_FILE,
    SIGNING_KEY_FILE,
    KeyRing,
    ensure_workspace_key,
    generate_signing_key,
    key_id,
    load_private_key,
    load_public_key,
    parse_public_key,
    public_key_hex,
    public_key_pem,
    write_private_key,
)
from bulle.errors import ConflictError, InputError, NotFoundError


def test_the_private_key_file_is_created_0600(tmp_path):
    key = ensure_workspace_key(tmp_path / "keys")
    mode = stat.S_IMODE((tmp_path / "keys" / SIGNING_KEY_FILE).stat().st_mode)
    assert mode == 0o600
    assert key_id(load_private_key(tmp_path / "keys" / SIGNING_KEY_FILE)) == key_id(key)
    assert key_id(load_public_key(tmp_path / "keys" / PUBLIC_KEY_FILE)) == key_id(key)


def test_ensure_workspace_key_returns_the_same_key_again(tmp_path):
    assert key_id(ensure_workspace_key(tmp_path)) == key_id(ensure_workspace_key(tmp_path))


def test_a_private_key_readable_by_others_is_refused(tmp_path):
    path = tmp_path / "k.pem"
    write_private_key(path, generate_signing_key())
    os.chmod(path, 0o644)
    with pytest.raises(InputError, match="chmod 600"):
        load_private_key(path)


def test_a_private_key_is_never_overwritten_by_accident(tmp_path):
    path = tmp_path / "k.pem"
    write_private_key(path, generate_signing_key())
    with pytest.raises(ConflictError):
        write_private_key(path, generate_signing_key())


def test_missing_and_malformed_keys_are_named(tmp_path):
    with pytest.raises(NotFoundError):
        load_private_key(tmp_path / "none")
    with pytest.raises(NotFoundError):
        load_public_key(tmp_path / "none")
    bad = tmp_path / "bad.pub"
    bad.write_text("hello")
    with pytest.raises(InputError, match="PEM or 64 hex"):
        load_public_key(bad)


def test_public_keys_round_trip_as_pem_and_hex():
    key = generate_signing_key().public_key()
    assert key_id(parse_public_key(public_key_pem(key))) == key_id(key)
    assert key_id(parse_public_key(public_key_hex(key))) == key_id(key)
    assert key_id(parse_public_key(public_key_hex(key).upper() + "\n")) == key_id(key)


def test_a_key_id_is_16_hex_digits_of_the_public_key_hash():
    key = generate_signing_key()
    kid = key_id(key)
    assert len(kid) == 16 and int(kid, 16) >= 0
    assert kid == key_id(key.public_key())
    assert kid != key_id(generate_signing_key())


def test_a_key_ring_finds_keys_by_id():
    a, b = generate_signing_key(), generate_signing_key()
    ring = KeyRing([a, b.public_key()])
    assert len(ring) == 2 and key_id(a) in ring and key_id(b) in ring
    assert set(ring.raw()) == {key_id(a), key_id(b)}
    assert KeyRing.of(ring) is ring
    assert list(KeyRing.of(a)) == [key_id(a)]
