"""One-time codes follow RFC 4226 and RFC 6238 to the digit: their published test vectors, the
acceptance window either side of now, and the refusal of a code already used (a replay)."""

from __future__ import annotations

import datetime as dt

import pytest

from bulle.auth import totp

# RFC 6238, Appendix B: the seed is the ASCII string repeated to the digest's length.
SEEDS = {
    "SHA1": b"12345678901234567890",
    "SHA256": b"12345678901234567890123456789012",
    "SHA512": b"1234567890123456789012345678901234567890123456789012345678901234",
}
RFC6238 = [
    (59, "94287082", "46119246", "90693936"),
    (1111111109, "07081804", "68084774", "25091201"),
    (1111111111, "14050471", "67062674", "99943326"),
    (1234567890, "89005924", "91819424", "93441116"),
    (2000000000, "69279037", "90698825", "38618901"),
    (20000000000, "65353130", "77737706", "47863826"),
]
# RFC 4226, Appendix D: HOTP of the SHA-1 seed for counters 0 to 9.
RFC4226 = [
    "755224",
    "287082",
    "359152",
    "969429",
    "338314",
    "254676",
    "287922",
    "162583",
    "399871",
    "520489",
]


@pytest.mark.parametrize(("unix", "sha1", "sha256", "sha512"), RFC6238)
def test_rfc6238_vectors(unix, sha1, sha256, sha512):
    at = dt.datetime.fromtimestamp(unix, dt.UTC)
    for algorithm, expected in (("SHA1", sha1), ("SHA256", sha256), ("SHA512", sha512)):
        assert totp.totp(SEEDS[algorithm], at, digits=8, algorithm=algorithm) == expected


@pytest.mark.parametrize(("counter", "expected"), list(enumerate(RFC4226)))
def test_rfc4226_vectors(counter, expected):
    assert totp.hotp(SEEDS["SHA1"], counter) == expected


AT = dt.datetime(2026, 12, 7, 10, 0, 15, tzinfo=dt.UTC)
KEY = SEEDS["SHA1"]


def code_at(seconds_from_now: int) -> str:
    return totp.totp(KEY, AT + dt.timedelta(seconds=seconds_from_now))


def test_a_code_is_accepted_within_the_window_and_refused_outside():
    now = totp.step_at(AT)
    assert totp.verify(KEY, code_at(0), AT, window=1) == now
    assert totp.verify(KEY, code_at(-30), AT, window=1) == now - 1
    assert totp.verify(KEY, code_at(30), AT, window=1) == now + 1
    assert totp.verify(KEY, code_at(-60), AT, window=1) is None
    assert totp.verify(KEY, code_at(60), AT, window=1) is None
    assert totp.verify(KEY, code_at(-30), AT, window=0) is None
    assert totp.verify(KEY, code_at(-60), AT, window=2) == now - 2


def test_a_code_is_never_accepted_twice():
    now = totp.step_at(AT)
    assert totp.verify(KEY, code_at(0), AT, window=1, last_step=now) is None
    # an older code of the window is refused once a newer one was used
    assert totp.verify(KEY, code_at(-30), AT, window=1, last_step=now) is None
    assert totp.verify(KEY, code_at(30), AT, window=1, last_step=now) == now + 1


@pytest.mark.parametrize("bad", ["", "12345", "1234567", "abcdef", "12 34 5x", None])
def test_malformed_codes_are_refused(bad):
    assert totp.verify(KEY, bad, AT, window=10) is None


def test_the_wrong_key_is_refused():
    assert totp.verify(b"another key of twenty", code_at(0), AT, window=1) is None


def test_new_secrets_are_random_base32_and_the_uri_carries_them():
    a, b = totp.new_secret(), totp.new_secret()
    assert a != b and len(totp.decode_secret(a)) == totp.SECRET_BYTES
    uri = totp.otpauth_uri(a, "alice@chu.example")
    assert uri.startswith("otpauth://totp/Bulle:alice@chu.example?")
    assert f"secret={a}" in uri and "period=30" in uri and "digits=6" in uri
