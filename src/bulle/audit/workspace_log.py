"""Plugs the workspace's audit log into its hook.

Events are appended as JSON lines to ``audit/events.jsonl``.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING

from bulle.audit.events import AuditEvent

if TYPE_CHECKING:
    from bulle.workspace import Workspace


class JsonlSink:
    def __init__(self, path):
        self.path = path

    def write(self, event: AuditEvent) -> None:
        line = json.dumps(event.to_dict(), sort_keys=True, ensure_ascii=False) + "\n"
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line.encode())
            os.fsync(fd)
        finally:
            os.close(fd)


def install(ws: Workspace, create: bool) -> None:
    ws.audit_dir.mkdir(exist_ok=True)
    ws.audit.add(JsonlSink(ws.audit_dir / "events.jsonl"))
