"""Search a workspace's audit trail for known cell values (the canary of the audit tests).

The trail is the log file's raw bytes (also JSON-decoded, so an escaped value is found too) and
the catalog's tables that record what happened (``meta`` with the chain head, ``project_reads``,
``erasures``, the sign-in attempts and lockouts).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

AUDIT_TABLES = ("meta", "project_reads", "erasures", "login_attempts", "login_lockouts")


def _variants(value: str) -> set[bytes]:
    escaped = json.dumps(value)[1:-1]
    return {value.encode("utf-8"), escaped.encode("utf-8"), value.lower().encode("utf-8")}


def found_in_log(path: Path, values: list[str]) -> list[str]:
    raw = path.read_bytes()
    decoded = "\n".join(
        json.dumps(json.loads(line), ensure_ascii=False)
        for line in raw.decode("utf-8").splitlines()
        if line.strip()
    )
    return [
        v
        for v in values
        if any(b in raw or b in raw.lower() for b in _variants(v))
        or v in decoded
        or v.lower() in decoded.lower()
    ]


def found_in_catalog(path: Path, values: list[str]) -> list[str]:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        cells = []
        for table in AUDIT_TABLES:
            cells += [str(c) for row in con.execute(f"SELECT * FROM {table}") for c in row]
    finally:
        con.close()
    text = "\n".join(cells).lower()
    return [v for v in values if v.lower() in text or json.dumps(v)[1:-1].lower() in text]


def found(root: Path, values: list[str]) -> list[str]:
    return sorted(
        set(found_in_log(root / "audit" / "log.jsonl", values))
        | set(found_in_catalog(root / "catalog.sqlite", values))
    )
