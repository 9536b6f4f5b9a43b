"""Each kind of tampering with the audit log is detected and the first bad event is named.

Every case runs in three ways: full verification, quick verification (every hash, one signature
per run of a key) and full verification cut into one-line ranges stitched together (the path a
large log takes through worker processes).
"""

from __future__ import annotations

import json

import pytest
from tests.spec.audit.audit_tamper import N, encode, forge, rechain

from bulle.audit.keys import KeyRing

MODES = {
    "full": {},
    "quick": {"quick": True},
    "ranges": {"workers": 1, "chunk_bytes": 64},
}


@pytest.fixture(params=sorted(MODES))
def mode(request):
    return MODES[request.param]


@pytest.fixture(params=["full", "ranges"])
def every_signature_mode(request):
    """The modes that check every signature (quick mode does not: see its documented limit)."""
    return MODES[request.param]


def bad(report) -> tuple[bool, int | None]:
    return report.ok, report.first_bad


def test_an_untouched_log_is_intact(env, mode):
    report = env.verify(**mode)
    assert report.ok, report.reason
    assert report.entries == N and report.first_bad is None
    assert report.last == env.heads.get()
    assert report.keys == [{"key": env.log.key_id, "first": 1, "last": N}]


# -- modification ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path, value",
    [
        (("event", "details", "rows"), 999),
        (("event", "details", "project"), "another-project"),
        (("event", "actor", "name"), "mallory"),
        (("event", "actor", "role"), "custodian"),
        (("event", "kind"), "dataset.export"),
        (("event", "at"), "2020-01-01T00:00:00.000000+00:00"),
        (("event", "target"), "patients@99"),
        (("seq",), 40),
        (("prev",), "0" * 64),
        (("key",), "0123456789abcdef"),
        (("hash",), "f" * 64),
        (("sig",), "0" * 128),
    ],
)
def test_modifying_any_field_names_that_event(env, mode, path, value):
    if path == ("sig",) and mode.get("quick"):
        pytest.skip("quick mode checks one signature per run: see the test of its documented limit")
    entries = env.lines()
    e = json.loads(entries[4])
    target = e
    for k in path[:-1]:
        target = target[k]
    target[path[-1]] = value
    entries[4] = encode(e)
    env.write(entries)
    assert bad(env.verify(**mode)) == (False, 4)


def test_adding_a_field_to_an_event_names_that_event(env, mode):
    entries = env.lines()
    e = json.loads(entries[7])
    e["event"]["details"]["ssn"] = "1 85 05 78 006 084 36"
    entries[7] = encode(e)
    env.write(entries)
    assert bad(env.verify(**mode)) == (False, 7)


def test_an_edit_with_every_later_hash_and_link_recomputed_is_caught_by_the_signatures(env, mode):
    entries = env.lines()
    e = json.loads(entries[3])
    e["event"]["actor"]["name"] = "mallory"
    entries[3] = encode(e, rehash=True)
    env.write(rechain(entries, 4))
    report = env.verify(**mode)
    assert bad(report) == (False, 3)
    assert "signature" in report.reason


def test_a_flipped_signature_bit_names_that_event(env, every_signature_mode):
    entries = env.lines()
    e = json.loads(entries[6])
    e["sig"] = format(int(e["sig"][:2], 16) ^ 1, "02x") + e["sig"][2:]
    entries[6] = encode(e)
    env.write(entries)
    report = env.verify(**every_signature_mode)
    assert bad(report) == (False, 6) and "signature" in report.reason


def test_quick_mode_sees_a_bad_signature_at_the_end_of_a_run(env, mode):
    entries = env.lines()
    e = json.loads(entries[N])
    e["sig"] = "ab" * 64
    entries[N] = encode(e)
    env.write(entries)
    assert bad(env.verify(**mode)) == (False, N)


def test_quick_mode_does_not_check_a_signature_inside_a_run_whose_content_is_intact(env):
    """Documented limit of --quick: the chain still proves the content, only the full mode
    notices the damaged signature."""
    entries = env.lines()
    e = json.loads(entries[5])
    e["sig"] = "ab" * 64
    entries[5] = encode(e)
    env.write(entries)
    assert env.verify(quick=True).ok
    assert bad(env.verify()) == (False, 5)


def test_a_signature_made_by_an_untrusted_key_names_that_event(
    env, every_signature_mode, other_key
):
    entries = env.lines()
    e = json.loads(entries[8])
    entries[8] = encode(e, key=other_key)  # keeps the key id: the signature is simply wrong
    env.write(entries)
    assert bad(env.verify(**every_signature_mode)) == (False, 8)


# -- deletion ----------------------------------------------------------------------------------


@pytest.mark.parametrize("victim", [1, 4, N - 1])
def test_deleting_an_event_names_the_missing_number(env, mode, victim):
    entries = env.lines()
    del entries[victim]
    env.write(entries)
    report = env.verify(**mode)
    assert bad(report) == (False, victim)
    assert f"event {victim} is missing" in report.reason


def test_deleting_the_last_event_is_a_cut_tail(env, mode):
    env.write(env.lines()[:-1])
    report = env.verify(**mode)
    assert bad(report) == (False, N)
    assert "cut off" in report.reason


def test_deleting_an_event_and_renumbering_the_rest_is_caught(env, mode):
    entries = env.lines()
    del entries[4]
    env.write(rechain(entries, 4))
    assert bad(env.verify(**mode)) == (False, 4)


# -- insertion ---------------------------------------------------------------------------------


def test_inserting_an_event_signed_by_another_key_names_its_place(env, mode, other_key):
    entries = env.lines()
    prev = json.loads(entries[5])["hash"]
    forged = forge(other_key, 6, prev, {"kind": "consent.change", "details": {"given": True}})
    entries.insert(6, forged)
    env.write(entries)
    report = env.verify(**mode)
    assert bad(report) == (False, 6)
    assert "not among the trusted keys" in report.reason


def test_inserting_a_rehashed_event_and_renumbering_the_rest_names_its_place(env, mode):
    entries = env.lines()
    e = json.loads(entries[5])
    e["event"]["details"] = {"inserted": True}
    entries.insert(6, encode(e, rehash=True))
    env.write(rechain(entries, 6))
    assert bad(env.verify(**mode)) == (False, 6)


def test_replaying_an_event_names_the_copy(env, mode):
    entries = env.lines()
    entries.insert(4, entries[3])
    env.write(entries)
    report = env.verify(**mode)
    assert bad(report) == (False, 4)
    assert "event 3 appears where event 4 belongs" in report.reason


def test_appending_a_forged_event_beyond_the_recorded_head(env, mode, other_key):
    entries = env.lines()
    prev = json.loads(entries[N])["hash"]
    env.write([*entries, forge(other_key, N + 1, prev, {"kind": "dataset.export"})])
    assert bad(env.verify(**mode)) == (False, N + 1)


def test_entries_added_by_a_trusted_key_behind_the_heads_back_are_reported(env, mode):
    entries = env.lines()
    prev = json.loads(entries[N])["hash"]
    env.write([*entries, forge(env.key, N + 1, prev, {"kind": "dataset.export"})])
    report = env.verify(**mode)
    assert bad(report) == (False, N + 1)
    assert "after the chain head" in report.reason


# -- reordering --------------------------------------------------------------------------------


def test_swapping_two_neighbours_names_the_first(env, mode):
    entries = env.lines()
    entries[4], entries[5] = entries[5], entries[4]
    env.write(entries)
    assert bad(env.verify(**mode)) == (False, 4)


def test_moving_an_event_to_the_end_names_its_old_place(env, mode):
    entries = env.lines()
    moved = entries.pop(2)
    env.write([*entries, moved])
    assert bad(env.verify(**mode)) == (False, 2)


def test_reordering_and_renumbering_is_caught(env, mode):
    entries = env.lines()
    entries[4], entries[5] = entries[5], entries[4]
    env.write(rechain(entries, 4))
    assert bad(env.verify(**mode)) == (False, 4)


# -- truncation --------------------------------------------------------------------------------


@pytest.mark.parametrize("keep", [0, 1, 7, N - 1])
def test_a_cut_tail_names_the_first_event_cut_off(env, mode, keep):
    env.write(env.lines()[: keep + 1])
    report = env.verify(**mode)
    assert bad(report) == (False, keep + 1)
    assert "cut off" in report.reason


def test_without_the_external_head_a_cut_tail_cannot_be_seen(env):
    env.write(env.lines()[:6])
    report = env.verify(expected_head=None)
    assert report.ok and not report.head_checked
    assert "NOT checked" in report.message()


def test_a_cut_and_a_forged_replacement_tail_is_caught(env, mode, other_key):
    entries = env.lines()[:8]
    prev = json.loads(entries[7])["hash"]
    entries.append(forge(other_key, 8, prev, {"kind": "dataset.read"}))
    env.write(entries)
    assert bad(env.verify(**mode)) == (False, 8)


# -- damaged lines -------------------------------------------------------------------------------


def test_a_partial_last_line_names_the_last_event(env, mode):
    entries = env.lines()
    entries[N] = entries[N][: len(entries[N]) // 2]
    env.write(entries, final_newline=False)
    report = env.verify(**mode)
    assert bad(report) == (False, N)
    assert "incomplete" in report.reason


def test_a_garbage_last_line_names_the_last_event(env, mode):
    entries = env.lines()
    entries[N] = b"\x00\xff not json at all"
    env.write(entries)
    assert bad(env.verify(**mode)) == (False, N)


def test_a_blank_line_in_the_middle_names_its_place(env, mode):
    entries = env.lines()
    entries.insert(3, b"")
    env.write(entries)
    assert bad(env.verify(**mode)) == (False, 3)


def test_a_whole_last_line_missing_only_its_newline_is_intact(env, mode):
    env.write(env.lines(), final_newline=False)
    assert env.verify(**mode).ok


# -- the header ------------------------------------------------------------------------------------


def test_an_altered_header_is_reported_as_event_zero(env, mode):
    entries = env.lines()
    header = json.loads(entries[0])
    header["workspace_id"] = "ws-9999"
    entries[0] = json.dumps(header, separators=(",", ":")).encode()
    env.write(entries)
    report = env.verify(**mode)
    assert bad(report) == (False, 0)
    assert report.line == 1


def test_an_altered_header_with_a_recomputed_genesis_is_caught_at_event_one(env, mode):
    from bulle.audit.format import Header

    entries = env.lines()
    header = json.loads(entries[0])
    entries[0] = Header(workspace_id="ws-9999", created_at=header["created_at"]).encode()[:-1]
    env.write(entries)
    report = env.verify(**mode)
    assert bad(report) == (False, 0)
    assert "header was altered" in report.reason


def test_a_log_from_another_workspace_is_refused_when_the_workspace_is_known(env):
    report = env.verify(expected_workspace_id="ws-other")
    assert bad(report) == (False, 0)


def test_an_unknown_format_version_is_refused(env):
    entries = env.lines()
    entries[0] = entries[0].replace(b'"version":1', b'"version":2')
    env.write(entries)
    report = env.verify()
    assert bad(report) == (False, 0)
    assert "version 2" in report.reason


def test_the_line_number_of_the_first_bad_event_is_given(env):
    entries = env.lines()
    del entries[5]
    env.write(entries)
    report = env.verify()
    assert report.first_bad == 5 and report.line == 6


def test_verifying_with_only_an_unrelated_key_fails_at_event_one(env, other_key):
    report = env.verify(keys=KeyRing([other_key]))
    assert bad(report) == (False, 1)


def test_an_emptied_file_is_reported_as_event_zero(env):
    env.path.write_bytes(b"")
    report = env.verify()
    assert bad(report) == (False, 0) and "empty" in report.reason
