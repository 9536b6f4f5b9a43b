"""The server's background tasks in the catalog (SQL kept here, as for every catalog table).

A task row is written when the task is queued and updated as it runs; its result (the service's
typed result as a mapping) or its error (the error's mapping) is stored when it ends. A row left
``queued`` or ``running`` by a server that is gone is marked ``interrupted`` by :func:`interrupt`
at the next start-up, so that nobody waits forever for a task that will never finish.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from bulle.errors import NotFoundError, Where

ACTIVE = ("queued", "running")
FINAL = ("done", "failed", "interrupted")


@dataclass(frozen=True)
class TaskRow:
    id: str
    kind: str
    state: str
    owner: str
    role: str
    phase: str
    rows_done: int | None
    result: Any
    error: Any
    created_at: str
    updated_at: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "state": self.state,
            "owner": self.owner,
            "role": self.role,
            "progress": {"phase": self.phase, "rows_done": self.rows_done},
            "result": self.result,
            "error": self.error,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


COLUMNS = (
    "id, kind, state, owner, role, phase, rows_done, result_json, error_json, created_at, "
    "updated_at"
)


def add(
    con: sqlite3.Connection, task_id: str, kind: str, owner: str, role: str, at: str, pid: int
) -> None:
    con.execute(
        "INSERT INTO tasks (id, kind, state, owner, role, created_at, updated_at, server_pid) "
        "VALUES (?, ?, 'queued', ?, ?, ?, ?, ?)",
        (task_id, kind, owner, role, at, at, pid),
    )


def progress(
    con: sqlite3.Connection, task_id: str, state: str, phase: str, rows: int | None, at: str
) -> None:
    con.execute(
        "UPDATE tasks SET state=?, phase=?, rows_done=COALESCE(?, rows_done), updated_at=? "
        "WHERE id=?",
        (state, phase, rows, at, task_id),
    )


def finish(
    con: sqlite3.Connection, task_id: str, state: str, result: Any, error: Any, at: str
) -> None:
    con.execute(
        "UPDATE tasks SET state=?, phase=?, result_json=?, error_json=?, updated_at=? WHERE id=?",
        (
            state,
            state,
            None if result is None else json.dumps(result, default=str),
            None if error is None else json.dumps(error, default=str),
            at,
            task_id,
        ),
    )


def get(con: sqlite3.Connection, task_id: str) -> TaskRow:
    row = con.execute(f"SELECT {COLUMNS} FROM tasks WHERE id=?", (task_id,)).fetchone()
    if row is None:
        raise NotFoundError(f"no task {task_id!r}", Where(field="task_id"))
    return _row(row)


def interrupt(con: sqlite3.Connection, at: str) -> list[str]:
    """Mark every task still queued or running as interrupted (the server that ran it is gone)."""
    ids = [r[0] for r in con.execute("SELECT id FROM tasks WHERE state IN ('queued', 'running')")]
    con.execute(
        "UPDATE tasks SET state='interrupted', phase='interrupted', updated_at=? "
        "WHERE state IN ('queued', 'running')",
        (at,),
    )
    return ids


def _row(r: tuple) -> TaskRow:
    return TaskRow(
        r[0],
        r[1],
        r[2],
        r[3],
        r[4],
        r[5],
        r[6],
        None if r[7] is None else json.loads(r[7]),
        None if r[8] is None else json.loads(r[8]),
        r[9],
        r[10],
    )
