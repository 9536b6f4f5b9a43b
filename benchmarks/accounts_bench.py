"""What authentication costs a request: sign-in, token and session checks, next to their floors.

Each line times one step of the accounts service in-process, on a real workspace (catalog, audit
log), next to the reference it cannot beat, measured in the same run:

* password hashing and verification (Argon2id, RFC 9106 parameters) through Bulle, next to
  argon2-cffi's raw ``hash_secret_raw`` with the same parameters;
* a failed sign-in (the verification plus the attempt recorded and its audit event), which is
  what an attacker's guess costs the server;
* an API token check (``verify_token``: parse, look up, SHA-256, constant-time compare, last use
  recorded) and a session look-up (``lookup_session``: hash, look up, touch), next to one bare
  SHA-256 and one SQLite primary-key read on the same catalog.

    python benchmarks/accounts_bench.py [--repeat N]

Single-threaded; times are medians of N runs (wall clock, the machine's load included).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))


def median_s(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def row(what: str, bulle_s: float, ref: str, ref_s: float) -> None:
    print(f"{what:<44} {bulle_s * 1e3:>10.3f} ms   {ref:<34} {ref_s * 1e3:>10.3f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    os.environ.setdefault("BULLE_CUSTODIAN_PASSPHRASE", "benchmark passphrase, not a secret")

    from argon2.low_level import Type, hash_secret_raw

    from bulle.auth import passwords
    from bulle.domain.actor import Actor, Role
    from bulle.errors import Unauthenticated
    from bulle.services import accounts, auth, tokens
    from bulle.workspace import Workspace

    with tempfile.TemporaryDirectory() as tmp:
        ws = Workspace.init(Path(tmp) / "ws", Actor("bench", Role.CUSTODIAN))
        pw = passwords.Password("a benchmark password of some length")
        accounts.create_user(ws, "bob", ["analyst"], pw)
        stored = accounts.store(ws).password_hash("bob")
        salt = os.urandom(passwords.SALT_LEN)
        raw = median_s(
            lambda: hash_secret_raw(
                pw.value.encode(),
                salt,
                passwords.TIME_COST,
                passwords.MEMORY_COST_KIB,
                passwords.PARALLELISM,
                passwords.HASH_LEN,
                Type.ID,
            ),
            args.repeat,
        )
        print(
            f"{'step (median of ' + str(args.repeat) + ')':<44} {'Bulle':>13}   {'reference':<34}"
        )
        row(
            "hash a password",
            median_s(lambda: passwords.hash_password(pw), args.repeat),
            "argon2 hash_secret_raw",
            raw,
        )
        row(
            "verify a password",
            median_s(lambda: passwords.verify_password(stored, pw.value), args.repeat),
            "argon2 hash_secret_raw",
            raw,
        )

        def failed() -> None:
            with contextlib.suppress(Unauthenticated):
                auth.authenticate(ws, "bob", "a wrong guess at it", at=dt.datetime.now(dt.UTC))

        row(
            "failed sign-in (recorded, audited)",
            median_s(failed, min(args.repeat, 4)),
            "argon2 hash_secret_raw",
            raw,
        )
        token = tokens.create_token(ws, "bob").token
        con = ws.catalog.con
        sha = median_s(lambda: hashlib.sha256(token.encode()).hexdigest(), args.repeat * 100)
        read = median_s(
            lambda: con.execute("SELECT * FROM api_tokens WHERE id=?", (token[6:22],)).fetchone(),
            args.repeat * 100,
        )
        row(
            "verify an API token",
            median_s(lambda: tokens.verify_token(ws, token), args.repeat * 10),
            "SHA-256 + primary-key read",
            sha + read,
        )
        ws.close()
        ws = Workspace.open(Path(tmp) / "ws", Actor("bench", Role.CUSTODIAN))
        session = auth.login(ws, "bob", pw.value).session_id
        row(
            "look up a session",
            median_s(lambda: auth.lookup_session(ws, session), args.repeat * 10),
            "SHA-256 + primary-key read",
            sha + read,
        )
        ws.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
