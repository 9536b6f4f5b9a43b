"""Passwords are Argon2id hashes with RFC 9106's parameters and never shown; session ids and API
tokens are random and kept as SHA-256; CSRF tokens derive from the session id."""

from __future__ import annotations

import pytest

from bulle.auth import credentials
from bulle.auth.passwords import Password, hash_password, verify_password
from bulle.errors import InputError, Where


def test_hashes_are_argon2id_with_rfc9106_parameters_and_a_fresh_salt():
    pw = Password("correct horse battery staple")
    a, b = hash_password(pw), hash_password(pw)
    assert a.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert a != b  # salted
    assert "correct horse" not in a
    assert verify_password(a, "correct horse battery staple") == (True, False)
    assert verify_password(a, "correct horse battery stapl") == (False, False)


def test_an_older_cheaper_hash_still_verifies_and_asks_to_be_rehashed():
    from argon2 import PasswordHasher

    old = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("an older password")
    assert verify_password(old, "an older password") == (True, True)


def test_no_password_never_matches_even_an_empty_one():
    assert verify_password(None, "") == (False, False)
    assert verify_password(None, "bulle: no such account") == (False, False)
    assert verify_password("not a hash", "x") == (False, False)


def test_a_password_hides_its_value():
    pw = Password("s3cret-value-here", Where(file="pw.txt"))
    assert "s3cret" not in repr(pw) and "s3cret" not in str(pw)
    assert "s3cret" not in repr([pw]) and "s3cret" not in f"{pw}"


@pytest.mark.parametrize(("value", "message"), [("", "empty"), ("short", "too short")])
def test_a_bad_password_is_refused_naming_where_it_came_from(value, message):
    with pytest.raises(InputError, match=message) as err:
        Password(value, Where(file="pw.txt")).check(12)
    assert err.value.where.file == "pw.txt"


def test_tokens_are_random_and_name_their_id():
    (id1, t1), (id2, t2) = credentials.new_api_token(), credentials.new_api_token()
    assert id1 != id2 and t1 != t2
    assert credentials.token_id_of(t1) == id1
    assert credentials.TOKEN_RE.fullmatch(t1)
    for bad in ("", t1 + "x", t1[:-1], t1.replace("bulle_", "bulla_"), "Bearer " + t1):
        assert credentials.token_id_of(bad) is None


def test_csrf_tokens_are_bound_to_their_session():
    s1, s2 = credentials.new_session_id(), credentials.new_session_id()
    assert len(s1) == 43 and s1 != s2
    assert credentials.csrf_token(s1) == credentials.csrf_token(s1)
    assert credentials.csrf_token(s1) != credentials.csrf_token(s2)
    assert s1 not in credentials.csrf_token(s1)


def test_password_files_are_read_as_one_line_and_refused_naming_the_file(tmp_path):
    from bulle.services.accounts import read_password_file

    cases = {
        "lf": ("a password\n", "a password"),
        "crlf": ("a password\r\n", "a password"),
        "none": ("a password", "a password"),
        "spaces": ("  kept as typed  \n", "  kept as typed  "),
    }
    for name, (content, expected) in cases.items():
        (tmp_path / name).write_text(content, newline="")
        pw = read_password_file(tmp_path / name)
        assert pw.value == expected and pw.where.file == str(tmp_path / name)
    refusals = {
        "two": ("one\ntwo\n", "more than one line"),
        "empty": ("", "empty"),
        "newline": ("\n", "empty"),
        "long": ("x" * 20_000, "longer than 4096"),
    }
    for name, (content, message) in refusals.items():
        (tmp_path / name).write_text(content)
        with pytest.raises(InputError, match=message) as err:
            read_password_file(tmp_path / name)
        assert err.value.where.file == str(tmp_path / name)
    (tmp_path / "latin1").write_bytes("mot de passe é".encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8"):
        read_password_file(tmp_path / "latin1")
    with pytest.raises(InputError, match="directory"):
        read_password_file(tmp_path)
    with pytest.raises(InputError, match="not found"):
        read_password_file(tmp_path / "missing")
    with pytest.raises(InputError, match="longer than"):
        read_password_file("/dev/zero")  # never read whole
