"""The one audit hook every state-changing service goes through.

A hook fans an event out to its sinks. The workspace installs the tamper-evident log as its sink;
tests may add a list sink to see what was emitted.
"""

from __future__ import annotations

from typing import Protocol

from bulle.audit.events import AuditEvent


class AuditSink(Protocol):
    def write(self, event: AuditEvent) -> None: ...


class ListSink:
    """Keeps events in memory (tests, dry runs)."""

    def __init__(self) -> None:
        self.events: list[AuditEvent] = []

    def write(self, event: AuditEvent) -> None:
        self.events.append(event)


class AuditHook:
    def __init__(self, sinks: list[AuditSink] | None = None) -> None:
        self.sinks: list[AuditSink] = list(sinks or [])

    def add(self, sink: AuditSink) -> None:
        self.sinks.append(sink)

    def emit(self, event: AuditEvent) -> None:
        for sink in self.sinks:
            sink.write(event)
