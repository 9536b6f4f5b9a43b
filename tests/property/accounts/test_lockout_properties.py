"""The lockout follows its rule for any sequence of sign-ins: a reference model (failures counted
within the window, since the last success and since the end of the last lockout; a lockout of
fixed length once they reach the limit) predicts every answer of the real service, on a real
workspace. Argon2id runs with cheap parameters here (as the tests' custodian key uses a cheap
scrypt): the property is the counting, not the hash's cost."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from argon2 import PasswordHasher
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bulle.auth import passwords
from bulle.domain.actor import Actor, Role
from bulle.errors import RateLimited, Unauthenticated
from bulle.services import accounts, auth
from bulle.services.settings import set_setting
from bulle.workspace import Workspace

T0 = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)
PASSWORD = "the right password"
LIMIT, WINDOW, LOCK = 3, 900, 300  # a lockout shorter than the window: both rules matter
NAMES = itertools.count()


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    from bulle.vault import custodian_key

    saved = custodian_key.SCRYPT_LOG2_N, passwords._HASHER
    custodian_key.SCRYPT_LOG2_N = 10
    passwords._HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    try:
        w = Workspace.init(tmp_path_factory.mktemp("lock") / "ws", Actor("carol", Role.CUSTODIAN))
        set_setting(w, "auth.lockout_failures", str(LIMIT))
        set_setting(w, "auth.lockout_window_s", str(WINDOW))
        set_setting(w, "auth.lockout_s", str(LOCK))
        yield w
        w.close()
    finally:
        custodian_key.SCRYPT_LOG2_N, passwords._HASHER = saved


def expected_answers(attempts: list[tuple[int, bool]]) -> list[str]:
    """The reference model: "ok", "refused" or "locked" for each (seconds from T0, right?)."""
    out = []
    failures: list[int] = []
    last_ok = -1
    locked_until = None
    for t, right in attempts:
        if locked_until is not None and t < locked_until:
            out.append("locked")
            continue
        if right:
            out.append("ok")
            last_ok, locked_until = t, None
            continue
        out.append("refused")
        failures.append(t)
        since = max(t - WINDOW, locked_until if locked_until is not None else t - WINDOW)
        counted = [f for f in failures if f >= since and f > last_ok]
        if len(counted) >= LIMIT:
            locked_until = t + LOCK
    return out


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    steps=st.lists(
        st.tuples(st.one_of(st.integers(1, 120), st.integers(1, 1200)), st.booleans()),
        min_size=1,
        max_size=14,
    ),
)
# the lockout ends, a new failure starts a new count (not the failures paid for by the lockout)
@example(steps=[(1, False), (1, False), (1, False), (400, False), (1, True)])
# a success clears the count
@example(steps=[(1, False), (1, False), (1, True), (1, False), (1, True)])
# the right password is refused while locked, and accepted when the lockout ends
@example(steps=[(1, False), (1, False), (1, False), (299, True), (1, True)])
def test_every_answer_follows_the_lockout_rule(ws, steps):
    name = f"user{next(NAMES)}"
    accounts.create_user(ws, name, ["analyst"], PASSWORD)
    t, attempts = 0, []
    for gap, right in steps:
        t += gap
        attempts.append((t, right))
    got = []
    for t, right in attempts:
        at = T0 + dt.timedelta(seconds=t)
        try:
            auth.authenticate(ws, name, PASSWORD if right else "a wrong one", at=at)
            got.append("ok")
        except RateLimited:
            got.append("locked")
        except Unauthenticated:
            got.append("refused")
    assert got == expected_answers(attempts), attempts
