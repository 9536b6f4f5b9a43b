"""Server-sent events: a task's or a job's state pushed to the browser as it changes.

One stream follows one thing the caller may see (authorised like its page: the first read raises
before any byte is sent). The server reads the state where it lives (the catalog), every
``POLL_S``, and sends an event only when it changed; a reload or a second tab simply opens a new
stream. A stream ends when its subject ends, or after ``server.events_max_seconds`` with a
``retry`` hint (the browser's ``EventSource`` reconnects by itself), so an abandoned page never
holds the server; each read runs on the thread pool and returns at once, no worker waits.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

POLL_S = 0.2
RETRY_MS = 1000


def event(name: str, data: Any) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data, default=str)}\n\n".encode()


def follow(
    first: dict[str, Any],
    read: Callable[[], dict[str, Any]],
    ended: Callable[[dict[str, Any]], bool],
    *,
    name: str,
    max_seconds: float,
) -> StreamingResponse:
    """Stream ``name`` events: ``first`` (already read, so refusals came before the stream), then
    each changed ``read()``, until ``ended`` or ``max_seconds`` (then a ``timeout`` event)."""

    async def events() -> AsyncIterator[bytes]:
        deadline = time.monotonic() + max_seconds
        last = None
        shown = first
        yield f"retry: {RETRY_MS}\n\n".encode()
        while True:
            if shown != last:
                yield event(name, shown)
                last = shown
            if ended(shown):
                return
            if time.monotonic() >= deadline:
                yield event("timeout", {"reconnect": True})
                return
            await asyncio.sleep(POLL_S)
            shown = await run_in_threadpool(read)

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"X-Accel-Buffering": "no", "Cache-Control": "no-store"},
    )
