"""Audit log pages and verification (DPO, custodian: each reading is itself recorded), tasks (poll
or follow as server-sent events) and the workspace export, run as a background task and fetched as
a tar stream (never with keys: ``export --include-keys`` stays on the custodian's machine)."""

from __future__ import annotations

import os
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, StreamingResponse

from bulle.catalog.tasks_store import FINAL
from bulle.errors import IntegrityError, NotFoundError, Where
from bulle.server.context import RequestContext, authorize

router = APIRouter(prefix="/api/v1", tags=["audit"])
Ctx = Annotated[RequestContext, Depends(authorize)]


@router.get("/audit/log")
def audit_log(
    ctx: Ctx,
    from_seq: Annotated[int | None, Query(ge=1)] = None,
    limit: Annotated[int, Query(ge=0, le=100_000)] = 50,
    kind: Annotated[str | None, Query(max_length=100)] = None,
) -> dict[str, Any]:
    """A page of the log: the most recent ``limit`` events, or from ``from_seq`` on."""
    from bulle.services.audit import read_workspace_log

    with ctx.session() as ws:
        return read_workspace_log(ws, from_seq=from_seq, limit=limit, kind=kind).to_dict()


@router.post("/audit/verify")
def audit_verify(ctx: Ctx, quick: bool = False) -> JSONResponse:
    """Verify the log against the workspace's keys and chain head (`bulle audit verify --json`);
    a broken log answers the integrity error, with the report."""
    from bulle.services.audit import verify_workspace_log

    with ctx.session() as ws:
        report = verify_workspace_log(ws, quick=quick, workers=1)
    payload = report.to_dict()
    payload["message"] = report.message()
    if not report.ok:
        err = IntegrityError(report.message())
        return JSONResponse(
            {"error": {**err.to_dict(), "problems": []}, "report": payload},
            status_code=err.http_status,
        )
    return JSONResponse(payload)


@router.get("/tasks/{task_id}")
def task(task_id: str, ctx: Ctx) -> dict[str, Any]:
    """A task's state, progress and, once done, its result or error (own tasks only)."""
    assert ctx.actor is not None
    return ctx.state.tasks.get(task_id, ctx.actor).to_dict()


@router.get("/tasks/{task_id}/events", response_class=StreamingResponse)
async def task_events(task_id: str, ctx: Ctx) -> StreamingResponse:
    """The task as server-sent events: one ``task`` event per change, until it ends (or the
    stream's time limit: the browser reconnects)."""
    from bulle.server.events import follow

    assert ctx.actor is not None
    actor = ctx.actor
    first = await run_in_threadpool(ctx.state.tasks.get, task_id, actor)
    return follow(
        first.to_dict(),
        lambda: ctx.state.tasks.get(task_id, actor).to_dict(),
        lambda shown: shown["state"] in FINAL,
        name="task",
        max_seconds=float(ctx.state.settings["server.events_max_seconds"]),
    )


def exports_dir(root: Path) -> Path:
    """Beside the workspace (an export never goes inside it), private to the server's account."""
    folder = root.resolve().parent / f".{root.resolve().name}-exports"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


@router.post("/export", status_code=202)
def export(ctx: Ctx) -> JSONResponse:
    """Export the whole workspace to open formats (without keys), as a background task; fetch
    the result with ``GET /api/v1/export/TASK_ID``."""
    from bulle.services.exchange import export_workspace

    assert ctx.actor is not None
    folder = exports_dir(ctx.state.root)
    holder: dict[str, str] = {}

    def work(ws: Any, progress: Any) -> Any:
        progress("exporting", None)
        return export_workspace(ws, folder / holder["id"], include_keys=False)

    task = ctx.state.tasks.submit("export", ctx.actor, work, holder)
    return JSONResponse(task, status_code=202, headers={"Location": f"/api/v1/tasks/{task['id']}"})


@router.get("/export/{task_id}", response_class=StreamingResponse)
def export_download(task_id: str, ctx: Ctx) -> StreamingResponse:
    """The finished export of task ``task_id``, as an uncompressed tar stream."""
    assert ctx.actor is not None
    row = ctx.state.tasks.get(task_id, ctx.actor)
    folder = exports_dir(ctx.state.root) / row.id
    if row.kind != "export" or row.state != "done" or not folder.is_dir():
        raise NotFoundError(f"no finished export for task {task_id!r}", Where(field="task_id"))
    return StreamingResponse(
        _tar(folder),
        media_type="application/x-tar",
        headers={"Content-Disposition": f'attachment; filename="bulle-export-{row.id}.tar"'},
    )


class _Sink:
    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        out = b"".join(self.parts)
        self.parts.clear()
        return out


def _tar(folder: Path) -> Iterator[bytes]:
    sink = _Sink()
    with tarfile.open(fileobj=sink, mode="w|") as tar:  # type: ignore[call-overload]
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.is_symlink():
                tar.add(path, arcname=os.path.relpath(path, folder), recursive=False)
                yield sink.take()
    yield sink.take()
