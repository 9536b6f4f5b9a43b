"""The bytes that are hashed and signed: one canonical definition, refusing what is not plain JSON."""

from __future__ import annotations

import json

import pytest

from bulle.audit.format import (
    MAX_EVENT_BYTES,
    TAIL_LEN,
    FormatError,
    Header,
    canonical_json,
    decode_entry,
    decode_header,
    encode_body,
    encode_line,
    sha256_hex,
)
from bulle.errors import InputError

PREV = "a" * 64


def test_canonical_json_sorts_keys_has_no_spaces_and_keeps_unicode():
    assert (
        canonical_json({"b": 1, "a": {"d": [1, 2], "c": "é"}})
        == '{"a":{"c":"é","d":[1,2]},"b":1}'.encode()
    )


def test_canonical_json_refuses_nan():
    with pytest.raises(ValueError):
        canonical_json({"x": float("nan")})


def test_the_genesis_is_bound_to_the_workspace_and_the_creation_time():
    a = Header("ws-1", "2026-01-01T00:00:00+00:00")
    assert a.genesis == Header("ws-1", "2026-01-01T00:00:00+00:00").genesis
    assert a.genesis != Header("ws-2", "2026-01-01T00:00:00+00:00").genesis
    assert a.genesis != Header("ws-1", "2026-01-02T00:00:00+00:00").genesis


def test_a_header_round_trips_and_a_changed_one_is_refused():
    h = Header("ws-1", "2026-01-01T00:00:00+00:00")
    line = h.encode()
    assert line.endswith(b"\n")
    assert decode_header(line[:-1]) == h
    with pytest.raises(FormatError, match="genesis"):
        decode_header(line[:-1].replace(b"ws-1", b"ws-2"))
    with pytest.raises(FormatError, match="not a Bulle audit log"):
        decode_header(b'{"format":"other"}')


def test_an_entry_line_holds_its_canonical_body_verbatim():
    body = encode_body(3, {"kind": "x", "details": {"n": 1}}, PREV, "k" * 16)
    h = sha256_hex(body)
    line = encode_line(body, h, b"\x01" * 64)
    assert line[: -TAIL_LEN - 1] + b"}" == body
    data, computed = decode_entry(line[:-1])
    assert computed == h == data["hash"]
    assert data["seq"] == 3 and data["event"] == {"kind": "x", "details": {"n": 1}}


def test_a_reencoded_line_with_the_same_content_still_has_the_same_hash():
    body = encode_body(1, {"kind": "x", "details": {"name": "Zoë"}}, PREV, "k" * 16)
    h = sha256_hex(body)
    line = encode_line(body, h, b"\x01" * 64)
    other = json.dumps(
        json.loads(line), indent=None, ensure_ascii=True
    ).encode()  # spaces, \u escapes
    assert other != line[:-1]
    assert decode_entry(other)[1] == h


@pytest.mark.parametrize(
    "event, message",
    [
        ({"details": {}}, "kind"),
        ({"kind": ""}, "kind"),
        ({"kind": "x", "details": {"when": object()}}, "not plain JSON"),
        ({"kind": "x", "details": {"v": float("inf")}}, "not plain JSON"),
        ({"kind": "x", "details": {"s": "\ud800"}}, "not valid Unicode"),
        ({"kind": "x", "details": {"rows": ["x" * 100] * 1000}}, "never row values"),
    ],
)
def test_events_that_are_not_small_plain_json_are_refused(event, message):
    with pytest.raises(InputError, match=message):
        encode_body(1, event, PREV, "k" * 16)


def test_an_event_just_under_the_size_limit_is_accepted():
    filler = "x" * (MAX_EVENT_BYTES - 300)
    assert (
        len(encode_body(1, {"kind": "x", "details": {"f": filler}}, PREV, "k" * 16))
        <= MAX_EVENT_BYTES
    )


@pytest.mark.parametrize(
    "line, message",
    [
        (b"not json", "not valid JSON"),
        (b"[1,2]", "not a JSON object"),
        (b'{"seq":1}', "has fields"),
    ],
)
def test_malformed_entry_lines_are_named(line, message):
    with pytest.raises(FormatError, match=message):
        decode_entry(line)


def test_field_types_are_checked():
    body = encode_body(1, {"kind": "x"}, PREV, "k" * 16)
    good = json.loads(encode_line(body, sha256_hex(body), b"\x01" * 64))
    for field, value, message in [
        ("seq", True, "seq"),
        ("seq", 0, "seq"),
        ("hash", "XYZ", "hash"),
        ("prev", "A" * 64, "prev"),
        ("sig", "00", "sig"),
        ("event", [], "event"),
    ]:
        bad = dict(good, **{field: value})
        with pytest.raises(FormatError, match=message):
            decode_entry(json.dumps(bad).encode())


def test_hex_fields_of_the_wrong_length_are_refused_even_when_their_total_is_right():
    body = encode_body(1, {"kind": "x"}, PREV, "k" * 16)
    good = json.loads(encode_line(body, sha256_hex(body), b"\x01" * 64))
    shifted = dict(good, hash=good["hash"][:-1], prev=good["prev"] + "a")
    with pytest.raises(FormatError, match="hash"):
        decode_entry(json.dumps(shifted).encode())
