"""Background tasks: long operations run off the request, with an id to poll or follow.

An import, an anonymization, an erasure or an export can take minutes; the route that starts one
answers ``202`` at once with the task's id, and a pool of ``server.task_workers`` threads runs it
in its own workspace session acting as the caller. Its state (queued → running → done | failed),
phase, result or error are kept in the catalog (``catalog/tasks_store.py``), so a client polls
``GET /api/v1/tasks/ID`` or follows ``/events`` (server-sent events) and a restarted server knows
which tasks it never finished: :meth:`TaskRunner.recover` marks them ``interrupted`` (the
workspace's own ``recover()`` has by then removed what they left half-written).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bulle.catalog import tasks_store
from bulle.catalog.store import Catalog
from bulle.errors import BulleError, NotFoundError, Where, as_resource_limit
from bulle.server.problems import body

if TYPE_CHECKING:
    from bulle.domain.actor import Actor
    from bulle.workspace import Workspace

log = logging.getLogger("bulle.server")

Progress = Callable[[str, int | None], None]
Work = Callable[["Workspace", Progress], Any]


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


class TaskRunner:
    """Runs tasks on a bounded thread pool and records them in the workspace's catalog."""

    def __init__(self, root: Path, workers: int, session: Callable[[Actor], Any]):
        self._catalog = Catalog(root / "catalog.sqlite")
        self._lock = threading.Lock()  # one catalog connection, shared by the pool's threads
        self._session = session
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="bulle-task")

    def recover(self) -> list[str]:
        """Mark the tasks a previous server left unfinished as ``interrupted``."""
        with self._lock, self._catalog.transaction() as con:
            ids = tasks_store.interrupt(con, _now())
        if ids:
            log.warning("tasks interrupted by the previous stop: %s", ", ".join(ids))
            from bulle.domain.actor import Actor
            from bulle.services import alerts

            with self._session(Actor.system()) as ws:
                alerts.interrupted(ws, "task", len(ids))
        return ids

    def submit(
        self, kind: str, actor: Actor, work: Work, holder: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """Queue ``work``; ``holder`` receives the task's id before the work can start."""
        task_id = uuid.uuid4().hex
        if holder is not None:
            holder["id"] = task_id
        with self._lock, self._catalog.transaction() as con:
            tasks_store.add(con, task_id, kind, actor.name, actor.role.value, _now(), os.getpid())
        self._pool.submit(self._run, task_id, actor, work)
        return self.get(task_id).to_dict()

    def get(self, task_id: str, actor: Actor | None = None) -> tasks_store.TaskRow:
        with self._lock:
            row = tasks_store.get(self._catalog.con, task_id)
        if actor is not None and row.owner != actor.name and actor.role.value != "custodian":
            # another account's task is not even said to exist
            raise NotFoundError(f"no task {task_id!r}", Where(field="task_id"))
        return row

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._catalog.close()

    def _update(self, task_id: str, state: str, phase: str, rows: int | None = None) -> None:
        with self._lock, self._catalog.transaction() as con:
            tasks_store.progress(con, task_id, state, phase, rows, _now())

    def _finish(self, task_id: str, state: str, result: Any = None, error: Any = None) -> None:
        with self._lock, self._catalog.transaction() as con:
            tasks_store.finish(con, task_id, state, result, error, _now())

    def _run(self, task_id: str, actor: Actor, work: Work) -> None:
        self._update(task_id, "running", "starting")
        try:
            with self._session(actor) as ws:
                result = work(
                    ws, lambda phase, rows=None: self._update(task_id, "running", phase, rows)
                )
        except BulleError as exc:
            self._finish(task_id, "failed", error=body(exc)["error"])
        except Exception as exc:  # a bug: recorded as such, details in the server's log
            limit = as_resource_limit(exc)
            if limit is not None:
                self._finish(task_id, "failed", error=body(limit)["error"])
                return
            log.exception("task %s failed", task_id)
            self._finish(
                task_id,
                "failed",
                error={
                    "code": "internal",
                    "message": "internal error",
                    "where": None,
                    "problems": [],
                },
            )
        else:
            if hasattr(result, "to_dict"):
                result = result.to_dict()
            self._finish(task_id, "done", result=result)
