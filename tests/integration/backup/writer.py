"""A writer process for the backup tests: imports a small table in a loop, noting each commit.

Run as ``python writer.py WORKSPACE CSV PROGRESS STOP``: after each import returns, the version's
number is appended to PROGRESS (so every number there is committed); it stops when STOP exists.
"""

from __future__ import annotations

import sys
from pathlib import Path

from bulle.domain.actor import Actor, Role
from bulle.services.vault import import_table
from bulle.store import Store


def main(root: str, csv: str, progress: str, stop: str) -> None:
    actor = Actor("writer", Role.CUSTODIAN)
    store = Store.open(root, recover=True, actor=actor)
    try:
        with open(progress, "a") as out:
            for _ in range(500):
                if Path(stop).exists():
                    break
                v = import_table(store.session(actor), Path(csv), "w")
                out.write(f"{v.number}\n")
                out.flush()
    finally:
        store.close()


if __name__ == "__main__":
    main(*sys.argv[1:5])
