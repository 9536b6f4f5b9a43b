"""Jobs of the analysis bubble and their outputs: frozen, validated, no I/O.

A job is an analyst's code submitted to a project; it runs in the sandbox over the project's view
(or over dummy data with the same schema) and declares outputs. Each output has revisions: the
job's own, then one per mitigation. Only a revision that passed its checks (or got an exception
request) and was approved by two different checkers, neither of them its analyst, is released.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bulle.errors import InputError

JOB_ID = re.compile(r"j-[0-9a-f]{16}")
OUTPUT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
APPROVALS_NEEDED = 2


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Language(StrEnum):
    PYTHON = "python"
    SQL = "sql"


class OutputStatus(StrEnum):
    """Same values as :class:`bulle.disclosure.status.OutputStatus` (a test keeps them equal)."""

    BLOCKED = "blocked"
    NEEDS_REVIEW = "needs_review"
    APPROVED = "approved"
    RELEASED = "released"
    REJECTED = "rejected"


def job_id(text: str) -> str:
    if not isinstance(text, str) or not JOB_ID.fullmatch(text):
        raise InputError(f"not a job id: {text!r} (expected j- and 16 hexadecimal digits)")
    return text


def output_name(text: str) -> str:
    if not isinstance(text, str) or not OUTPUT_NAME.fullmatch(text):
        raise InputError(
            f"not an output name: {text!r} (letters, digits, '_', '.', '-', at most 64)"
        )
    return text


@dataclass(frozen=True)
class Job:
    id: str
    project: str
    analyst: str
    language: Language
    dummy: bool
    code_sha256: str
    entry: str
    state: JobState
    reason: str
    versions: tuple[str, ...]
    submitted_at: str
    started_at: str | None = None
    finished_at: str | None = None
    usage: dict[str, Any] = field(default_factory=dict)
    consent: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "job": self.id,
            "project": self.project,
            "analyst": self.analyst,
            "language": self.language.value,
            "dummy": self.dummy,
            "code_sha256": self.code_sha256,
            "entry": self.entry,
            "state": self.state.value,
            "reason": self.reason,
            "versions": list(self.versions),
            "submitted_at": self.submitted_at,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "usage": dict(self.usage),
            "consent": dict(self.consent),
        }


@dataclass(frozen=True)
class Review:
    checker: str
    decision: str  # "approve" | "reject"
    comment: str
    at: str

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class OutputRevision:
    job: str
    name: str
    revision: int
    kind: str
    status: OutputStatus
    checks: tuple[dict[str, Any], ...]
    files: tuple[dict[str, Any], ...]
    mitigation: str = ""
    exception_reason: str = ""
    created_at: str = ""
    reviews: tuple[Review, ...] = ()
    offered: tuple[str, ...] = ()

    @property
    def approvals(self) -> list[Review]:
        return [r for r in self.reviews if r.decision == "approve"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "job": self.job,
            "name": self.name,
            "revision": self.revision,
            "kind": self.kind,
            "status": self.status.value,
            "checks": list(self.checks),
            "files": list(self.files),
            "mitigation": self.mitigation,
            "exception_reason": self.exception_reason,
            "created_at": self.created_at,
            "reviews": [r.to_dict() for r in self.reviews],
            "offered": list(self.offered),
        }
