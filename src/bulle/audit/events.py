"""Typed audit events.

An event records *that* something happened, who did it and with which parameters: never row
values. Services build one of these and pass it to the workspace's audit hook; the hook writes it
to the tamper-evident log. ``kind`` names are part of the log format: never rename one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, ClassVar

from bulle.domain.actor import Actor
from bulle.registry import Registry

# Every event kind, registered by defining its class (entry-point group ``bulle.events``).
EVENT_KINDS: Registry[type[AuditEvent]] = Registry("events", "audit event kind")


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True, kw_only=True)
class AuditEvent:
    """Base event. ``details`` holds parameters (names, counts, hashes), never row values."""

    kind: ClassVar[str] = "event"
    actor: Actor
    target: str | None = None  # e.g. "patients@3", "project:cohort-2026"
    details: dict[str, Any] = field(default_factory=dict)
    at: str = field(default_factory=_now)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        EVENT_KINDS.add(cls.kind, cls)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "at": self.at,
            "actor": self.actor.to_dict(),
            "target": self.target,
            "details": self.details,
        }


def _event(kind_name: str, doc: str) -> type[AuditEvent]:
    cls = type(kind_name.title().replace("_", "").replace(".", ""), (AuditEvent,), {"kind": kind_name, "__doc__": doc})
    return dataclass(frozen=True, kw_only=True)(cls)


WorkspaceCreated = _event("workspace.init", "A workspace was created.")
WorkspaceImported = _event("workspace.import", "A workspace was rebuilt from an export.")
WorkspaceExported = _event("workspace.export", "A whole workspace was exported.")
WorkspacePermissionsRepaired = _event("workspace.permissions_repaired",
                                      "Paths open to group or others were made owner-only on opening.")
DatasetImported = _event("dataset.import", "A table was imported as a new dataset version.")
DatasetProfiled = _event("dataset.profile", "A dataset version was profiled and classified.")
RolesConfirmed = _event("dataset.roles", "Column roles were confirmed or overridden by a custodian.")
DatasetPseudonymized = _event("dataset.pseudonymize", "Direct identifiers were replaced by tokens.")
KeyRotated = _event("key.rotate", "The pseudonymization key was rotated.")
ReidentificationLookup = _event("key.reidentify", "Tokens were looked up in the re-identification table.")
DatasetAnonymized = _event("dataset.anonymize", "An anonymized release was made.")
TextDeidentified = _event("dataset.text", "Free text was de-identified into a new version.")
DatasetRead = _event("dataset.read", "A dataset version was read (by whom, for which project).")
DatasetExported = _event("dataset.export", "A dataset version was written outside the workspace.")
PurposeDeclared = _event("purpose.declare", "A purpose was declared or changed.")
ConsentChanged = _event("consent.change", "A consent was given or withdrawn.")
ProjectChanged = _event("project.change", "A project was created or changed.")
ProjectApproved = _event("project.approve", "A project was approved by a custodian.")
SubjectAccessReport = _event("subject.access", "A data-subject access report was produced.")
SubjectErased = _event("subject.erase", "A data subject was erased from every version holding them.")
SubjectObjected = _event("subject.object", "A data subject objected to a processing.")
VersionRecomputed = _event("version.recompute", "A derived version was recomputed from its lineage.")
SettingChanged = _event("settings.change", "A workspace setting was changed (name, old and new value).")
AuditVerified = _event("audit.verify", "The audit log was verified.")
AuditWitnessAdded = _event("audit.witness_add", "A witness outside the workspace was registered.")
AuditKeyRotated = _event("audit.key_rotate", "The audit signing key was rotated (the old key vouches "
                         "for the new one to the witnesses).")
