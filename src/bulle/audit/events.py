"""Typed audit events with declared detail fields.

An event records *that* something happened, who did it and with which parameters: never row
values. Each kind declares its detail fields (``FIELDS``), each typed from the closed set of
:mod:`bulle.audit.fields` (names, counts, hashes, references, timestamps, parameters, lists and
maps of those), and an event checks its details when it is built: an undeclared field or a value
of the wrong type raises ``TypeError`` (a bug in Bulle), so a row value has no field to travel in.
Services build one of these and pass it to the workspace's audit hook; the hook writes it to the
tamper-evident log. The serialized form (``to_dict``) is the log format: ``kind`` names and detail
keys are never renamed, so older logs still verify.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from bulle.audit import fields as f
from bulle.domain.actor import Actor, Role
from bulle.domain.datasets import ColumnRole
from bulle.registry import Registry

# Every event kind, registered by defining its class (entry-point group ``bulle.events``).
EVENT_KINDS: Registry[type[AuditEvent]] = Registry("events", "audit event kind")


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True, kw_only=True)
class AuditEvent:
    """Base event. ``details`` holds the kind's declared fields (names, counts, hashes, parameters)."""

    kind: ClassVar[str] = "event"
    FIELDS: ClassVar[Mapping[str, f.FieldType]] = {}
    actor: Actor
    target: str | None = None  # e.g. "patients@3", "project:cohort-2026"
    details: dict[str, Any] = field(default_factory=dict)
    at: str = field(default_factory=_now)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        EVENT_KINDS.add(cls.kind, cls)

    def __post_init__(self) -> None:
        if not isinstance(self.actor, Actor):
            raise TypeError(f"{self.kind} event: actor must be an Actor")
        if self.target is not None and f.Name.problem(self.target):
            raise TypeError(
                f"{self.kind} event: target must be a name, got {type(self.target).__name__}"
            )
        if not isinstance(self.details, Mapping):
            raise TypeError(f"{self.kind} event: details must be a mapping of its declared fields")
        problem = f.check_fields(self.FIELDS, self.details)
        if problem:
            raise TypeError(f"{self.kind} event: {problem}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "at": self.at,
            "actor": self.actor.to_dict(),
            "target": self.target,
            "details": self.details,
        }


def _event(kind_name: str, doc: str, fields: Mapping[str, f.FieldType]) -> type[AuditEvent]:
    name = kind_name.title().replace("_", "").replace(".", "")
    cls = type(name, (AuditEvent,), {"kind": kind_name, "__doc__": doc, "FIELDS": dict(fields)})
    return dataclass(frozen=True, kw_only=True)(cls)


_ROLE = f.Enum(*(r.value for r in ColumnRole))
_ACTOR_ROLE = f.Enum(*(r.value for r in Role))


def _listed(key: str, item: f.FieldType) -> dict[str, f.FieldType]:
    """Per-column details, or for a wide table their count, tally and digest (``roles_details``)."""
    return {
        key: item,
        f"{key}_count": f.Count,
        f"{key}_sha256": f.Hex,
        f"{key}_by_role": f.MapOf(f.Count),
    }


_USE = f.Record(
    "dataset use",
    {
        "dataset": f.Name,
        "columns": f.ListOf(f.Name),
        "version": f.Optional(f.OneOf(f.Count, f.Name)),
        "kind": f.Optional(f.Name),
    },
)
_ROW_ACCESS = f.Enum("none", "view", "export")
_PROJECT = {
    "name": f.Name,
    "description": f.Text,
    "purpose": f.Name,
    "datasets": f.ListOf(_USE),
    "members": f.ListOf(f.Record("member", {"name": f.Name, "role": _ACTOR_ROLE})),
    "valid_from": f.Time,
    "valid_until": f.Time,
    "approval": f.Optional(
        f.Record(
            "approval",
            {"by": f.ActorRecord, "at": f.Time, "allow_raw": f.Flag, "row_access": _ROW_ACCESS},
        )
    ),
}
_CHOICES = {
    "events": f.Count,
    "kinds": f.MapOf(f.Count),
    "purposes": f.ListOf(f.Name),
    "subject": f.SubjectRef,
}
_VERIFIED = {
    "ok": f.Flag,
    "mode": f.Enum("full", "quick"),
    "entries": f.Count,
    "first_bad": f.Optional(f.Count),
    "head_checked": f.Flag,
    "signatures_checked": f.Count,
    "witnesses": f.Count,
    "keys": f.Count,
}

WorkspaceCreated = _event("workspace.init", "A workspace was created.", {"format_version": f.Count})
WorkspaceImported = _event(
    "workspace.import",
    "A workspace was rebuilt from an export.",
    {
        "source_workspace_id": f.Name,
        "manifest_sha256": f.Hex,
        "export_created_at": f.Time,
        "export_bulle_version": f.Name,
        "keys_restored": f.Flag,
        "carried_events": f.Count,
        "audit_key": f.Optional(f.Hex),
        "versions": f.Count,
        "artefacts": f.Count,
        "catalog_tables": f.Count,
    },
)
WorkspaceExported = _event(
    "workspace.export",
    "A whole workspace was exported.",
    {
        "manifest_sha256": f.Hex,
        "format_version": f.Count,
        "include_keys": f.Flag,
        "files": f.Count,
        "bytes": f.Count,
        "versions": f.Count,
        "artefacts": f.Count,
        "catalog_tables": f.Count,
        "audit_head_seq": f.Count,
    },
)
WorkspacePermissionsRepaired = _event(
    "workspace.permissions_repaired",
    "Paths open to group or others were made owner-only on opening.",
    {"paths": f.Count, "examples": f.ListOf(f.Name)},
)
DatasetImported = _event(
    "dataset.import",
    "A table was imported as a new dataset version.",
    {"format": f.Name, "rows": f.Count, "columns": f.Count, "content_hash": f.Hex},
)
DatasetProfiled = _event(
    "dataset.profile",
    "A dataset version was profiled and classified.",
    {"columns": f.Count, **_listed("suggested_roles", f.MapOf(_ROLE))},
)
RolesConfirmed = _event(
    "dataset.roles",
    "Column roles were confirmed or overridden by a custodian.",
    {**_listed("roles", f.MapOf(_ROLE)), **_listed("confirmed", f.ListOf(f.Name))},
)
DatasetPseudonymized = _event(
    "dataset.pseudonymize",
    "Direct identifiers were replaced by tokens.",
    {
        "source": f.Ref,
        "columns": f.ListOf(f.Name),
        "key_id": f.Hex,
        "content_hash": f.Hex,
        "reid_table": f.Flag,
    },
)
KeyRotated = _event(
    "key.rotate",
    "The pseudonymization key was rotated.",
    {"old_key_id": f.Optional(f.Hex), "new_key_id": f.Hex},
)
ReidentificationLookup = _event(
    "key.reidentify",
    "Tokens were looked up in the re-identification table.",
    {"tokens": f.Count, "found": f.Count},
)
DatasetAnonymized = _event(
    "dataset.anonymize",
    "An anonymized release was made.",
    {
        "source": f.Ref,
        "models": f.ListOf(f.ModelSpec),
        "transformation": f.Optional(f.OneOf(f.MapOf(f.Count), f.ListOf(f.Count))),
        "information_loss": f.Optional(f.OneOf(f.Number, f.MapOf(f.Optional(f.Number)))),
        "suppressed_records": f.Count,
        "dropped": f.ListOf(f.Name),
        "kept": f.ListOf(f.Name),
        "personal_data": f.Flag,
        "content_hash": f.Hex,
    },
)
TextDeidentified = _event(
    "dataset.text",
    "Free text was de-identified into a new version.",
    {"source": f.Ref, "columns": f.ListOf(f.Name), "operator": f.Name, "content_hash": f.Hex},
)
DatasetRead = _event(
    "dataset.read",
    "A dataset version was read (by whom, for which project).",
    {
        "project": f.Name,
        "purpose": f.Name,
        "allowed": f.Flag,
        "denials": f.ListOf(f.Name),
        "rows": f.Count,
        "filter": f.Name,
        "columns": f.ListOf(f.Name),
        "population": f.Optional(f.Ref),
        "query": f.Flag,
        "tables": f.ListOf(f.Name),
        "versions": f.ListOf(f.Ref),
        "stopped": f.Name,
    },
)
DatasetExported = _event(
    "dataset.export",
    "A dataset version was written outside the workspace.",
    {
        "format": f.Name,
        "content_hash": f.Hex,
        "keep_formulas": f.Flag,
        "kind": f.Name,
        "columns": f.ListOf(f.Name),
        "leaves": f.Count,
    },
)
PurposeDeclared = _event(
    "purpose.declare",
    "A purpose was declared or changed.",
    {
        "name": f.Name,
        "description": f.Text,
        "legal_basis": f.Name,
        "special_categories": f.Flag,
        "art9_condition": f.Optional(f.Name),
        "compatible_with": f.ListOf(f.Name),
        "collection_purpose": f.Name,
    },
)
RegisterDetailsSet = _event(
    "register.details",
    "Register details (retention, recipients, people, source, outcomes) of a purpose, a dataset "
    "or a project were set.",
    {
        "kind": f.Enum("purpose", "dataset", "project"),
        "name": f.Name,
        "fields": f.MapOf(f.Text),
    },
)
ConsentChanged = _event("consent.change", "A consent was given or withdrawn.", _CHOICES)
ProjectChanged = _event("project.change", "A project was created or changed.", _PROJECT)
ProjectApproved = _event(
    "project.approve",
    "A project was approved by a custodian.",
    {
        "purpose": f.Name,
        "approved_at": f.Time,
        "allow_raw": f.Flag,
        "row_access": _ROW_ACCESS,
        "datasets": f.ListOf(f.Name),
    },
)
SubjectAccessReport = _event(
    "subject.access",
    "A data-subject access report was produced.",
    {
        "versions": f.Count,
        "reads": f.Count,
        "searched": f.Count,
        "not_searched": f.Count,
        "identifiers_linked": f.MapOf(f.Count),
    },
)
SubjectErased = _event(
    "subject.erase",
    "A data subject was erased from every version holding them.",
    {
        "receipt_id": f.ReceiptId,
        "rewritten": f.ListOf(f.Ref),
        "recomputed": f.ListOf(f.Ref),
        "withheld": f.ListOf(f.Ref),
        "choices_deleted": f.Count,
        "searched": f.Count,
        "not_searched": f.Count,
        "identifiers_linked": f.MapOf(f.Count),
        "resumed": f.Flag,
    },
)
SubjectObjected = _event("subject.object", "A data subject objected to a processing.", _CHOICES)
VersionRecomputed = _event(
    "version.recompute",
    "A derived version was recomputed from its lineage.",
    {"source": f.Ref, "content_hash": f.Hex},
)
SettingChanged = _event(
    "settings.change",
    "A workspace setting was changed (name, old and new value).",
    {
        "name": f.Name,
        "old": f.OneOf(f.Number, f.Name),
        "new": f.OneOf(f.Number, f.Name),
        "source": f.Name,
    },
)
AuditVerified = _event(
    "audit.verify", "The audit log was verified (the verdict, what was checked).", _VERIFIED
)
AuditRead = _event(
    "audit.read",
    "Events of the audit log were read (which range, how many).",
    {
        "first_seq": f.Optional(f.Count),
        "last_seq": f.Optional(f.Count),
        "entries": f.Count,
        "total": f.Count,
        "kinds": f.ListOf(f.Name),
        "limit": f.Optional(f.Count),
    },
)
AuditWitnessAdded = _event(
    "audit.witness_add",
    "A witness outside the workspace was registered.",
    {"fingerprint": f.Hex, "reattached": f.Flag},
)
AuditKeyRotated = _event(
    "audit.key_rotate",
    "The audit signing key was rotated (the old key vouches for the new one to the witnesses).",
    {"old_key": f.Hex, "new_key": f.Hex, "at_seq": f.Count},
)

# -- accounts and sign-in: names, roles, token ids, hashes of session ids; never a secret ---------
_ACCOUNT_ROLES = f.ListOf(f.Enum("custodian", "analyst", "checker", "dpo"))
_LOGIN_REFUSALS = f.Enum(
    "bad_credentials",  # unknown name, no password set, or a wrong password
    "disabled",
    "totp_missing",
    "totp_bad",
    "totp_not_enrolled",
    "locked",
    "address_limited",
)
AccountCreated = _event(
    "account.create",
    "An account was created (its name, roles, and whether a password was set).",
    {"roles": _ACCOUNT_ROLES, "password_set": f.Flag, "external_issuer": f.Optional(f.Name)},
)
AccountDisabled = _event(
    "account.disable",
    "An account was disabled: its sessions end and its tokens are refused.",
    {"sessions_ended": f.Count},
)
AccountEnabled = _event(
    "account.enable",
    "A disabled account was enabled again (its unexpired, unrevoked tokens work again).",
    {"active_tokens": f.Count},
)
PasswordChanged = _event(
    "account.password",
    "A password was set: reset by a custodian, or changed by its owner (never the password).",
    {"reset": f.Flag, "sessions_ended": f.Count},
)
TotpEnrolled = _event(
    "account.totp_enrol",
    "A one-time-code (TOTP) secret was issued for an account (never the secret).",
    {"replaced": f.Flag},
)
LoginSucceeded = _event(
    "auth.login",
    "An account signed in and a browser session began (the session named by its hash prefix).",
    {
        "session": f.Hex,
        "method": f.Enum("password", "identity_provider"),
        "address": f.Optional(f.Name),
        "totp": f.Flag,
        "expires_at": f.Time,
    },
)
LoggedOut = _event(
    "auth.logout",
    "A browser session ended: by logout, or found expired (idle or absolute).",
    {"session": f.Hex, "reason": f.Enum("logout", "idle", "absolute")},
)
LoginFailed = _event(
    "auth.login_failed",
    "A sign-in was refused. An unknown name is recorded as a hash (it may be a mistyped password).",
    {
        "reason": _LOGIN_REFUSALS,
        "known": f.Flag,
        "username_sha256": f.Optional(f.Hex),
        "address": f.Optional(f.Name),
        "failures": f.Count,
    },
)
AccountLocked = _event(
    "auth.lockout",
    "Too many failed sign-ins: the account name refuses every sign-in until the given instant.",
    {
        "known": f.Flag,
        "username_sha256": f.Optional(f.Hex),
        "failures": f.Count,
        "window_s": f.Number,
        "until": f.Time,
        "address": f.Optional(f.Name),
    },
)
TokenCreated = _event(
    "auth.token_create",
    "An API token was created (its id, roles, project and expiry; never the token).",
    {
        "token_id": f.Hex,
        "account": f.Name,
        "roles": _ACCOUNT_ROLES,
        "project": f.Optional(f.Name),
        "expires_at": f.Time,
    },
)
TokenRevoked = _event(
    "auth.token_revoke", "An API token was revoked.", {"token_id": f.Hex, "account": f.Name}
)


# -- the analysis bubble: jobs, outputs, reviews, releases ------------------------------------
_OUTPUT = {"job": f.Name, "output": f.Name, "revision": f.Count}


JobSubmitted = _event(
    "job.submit",
    "An analyst submitted a job to a project (its code's hash, the data versions it will see).",
    {
        "job": f.Name,
        "project": f.Name,
        "language": f.Enum("python", "sql"),
        "dummy": f.Flag,
        "code_sha256": f.Hex,
        "code_files": f.Count,
    },
)


JobFinished = _event(
    "job.finish",
    "A job ended (state, the limit or error that stopped it, resources used, outputs declared).",
    {
        "job": f.Name,
        "state": f.Enum("succeeded", "failed", "cancelled"),
        "reason": f.Text,
        "versions": f.ListOf(f.Name),
        "cpu_seconds": f.Number,
        "wall_seconds": f.Number,
        "max_rss_bytes": f.Count,
        "outputs": f.Count,
    },
)


OutputChecked = _event(
    "output.check",
    "The disclosure checks ran on an output revision (its status and the rules it failed).",
    {**_OUTPUT, "kind": f.Name, "status": f.Name, "failed_rules": f.ListOf(f.Name)},
)


OutputMitigated = _event(
    "output.mitigate",
    "An analyst applied an offered mitigation, making a new revision of an output.",
    {**_OUTPUT, "method": f.Enum("suppress", "round", "opensafely"), "from_revision": f.Count},
)


OutputExceptionRequested = _event(
    "output.exception",
    "An analyst asked for an exception for a blocked output, with a written justification.",
    {**_OUTPUT, "reason": f.Text},
)


OutputReviewed = _event(
    "output.review",
    "A checker approved or rejected an output revision, with a comment.",
    {**_OUTPUT, "decision": f.Enum("approve", "reject"), "comment": f.Text, "approvals": f.Count},
)


OutputReleased = _event(
    "output.release",
    "An output revision left the bubble: its release record (files and checksums).",
    {
        **_OUTPUT,
        "files": f.ListOf(f.Record("released file", {"name": f.Name, "sha256": f.Hex})),
        "approved_by": f.ListOf(f.Name),
    },
)


OutputDownloaded = _event(
    "output.download",
    "An analyst downloaded a released output (or an output of a job run on dummy data).",
    {**_OUTPUT, "dummy": f.Flag},
)


DummyDataMade = _event(
    "dataset.dummy",
    "Dummy rows were made from the profile of a project's view of a version (for a job run on "
    "dummy data, or downloaded by an analyst): the view was read to profile it, no row left.",
    {
        "project": f.Name,
        "use": f.Enum("job", "download"),
        "job": f.Optional(f.Name),
        "rows": f.Count,
        "columns": f.ListOf(f.Name),
        "min_count": f.Count,
    },
)


DatasetSynthesized = _event(
    "dataset.synthesize",
    "A synthetic version was made (method, parameters, the report's risks; never a row).",
    {
        "source": f.Ref,
        "method": f.Name,
        "params": f.MapOf(f.Param),
        "seed": f.Count,
        "rows": f.Count,
        "training_rows": f.Count,
        "control_rows": f.Count,
        "dropped": f.ListOf(f.Name),
        "risks": f.MapOf(f.Optional(f.Number)),
        "content_hash": f.Hex,
    },
)


SyntheticMarked = _event(
    "dataset.synthetic_mark",
    "A custodian marked a synthetic version as not personal data (or the mark was refused).",
    {
        "allowed": f.Flag,
        "reason": f.Text,
        "risks": f.MapOf(f.Optional(f.Number)),
        "thresholds": f.MapOf(f.Number),
        "exceeded": f.ListOf(f.Name),
    },
)


ModelTrained = _event(
    "model.train",
    "A model was trained for a project (its data versions, parameters and hashes, no row).",
    {
        "project": f.Name,
        "purpose": f.Name,
        "algorithm": f.Name,
        "data": f.ListOf(f.Ref),
        "data_hashes": f.ListOf(f.Hex),
        "shards": f.Count,
        "subjects": f.Count,
        "rows": f.Count,
        "model_hash": f.Hex,
        "shard_hashes": f.ListOf(f.Hex),
        "auc": f.Optional(f.Number),
        "consent_seq": f.Count,
    },
)


ModelForgotten = _event(
    "model.forget",
    "People were removed from a model by retraining their shards (the signed unlearning receipt).",
    {
        "receipt_id": f.UnlearningId,
        "old_version": f.Count,
        "new_version": f.Count,
        "subjects": f.ListOf(f.SubjectRef),
        "lost_basis": f.Count,
        "shards_retrained": f.ListOf(f.Count),
        "full_retrain": f.Flag,
        "old_model_hash": f.Hex,
        "new_model_hash": f.Hex,
        "destroyed": f.ListOf(f.Hex),
        "signature": f.Hex,
        "cause": f.Optional(f.Name),
    },
)


ModelForgetVerified = _event(
    "model.verify_forget",
    "An unlearning receipt was checked by retraining its shards from the manifest.",
    {"receipt_id": f.UnlearningId, "identical": f.Flag, "signature_valid": f.Flag},
)


ModelUsed = _event(
    "model.use",
    "A model served predictions, or was exported or described.",
    {"action": f.Enum("predict", "export", "card"), "rows": f.Count, "model_hash": f.Hex},
)


ModelAudited = _event(
    "model.audit",
    "A model's membership-inference audit ran (its figures and the release decision).",
    {
        "auc": f.Optional(f.Number),
        "tpr_at_0_1pct_fpr": f.Optional(f.Number),
        "tpr_at_1pct_fpr": f.Optional(f.Number),
        "released": f.Flag,
        "shadows": f.Count,
    },
)


ModelSubjectScores = _event(
    "model.subject",
    "The dpo read whether a data subject's records trained each model, and their audit scores.",
    {"models": f.Count, "used": f.Count, "scored": f.Count},
)


WorkspaceBackedUp = _event(
    "workspace.backup",
    "An online backup of the workspace was written and verified.",
    {
        "manifest_sha256": f.Hex,
        "include_keys": f.Flag,
        "files": f.Count,
        "bytes": f.Count,
        "versions": f.Count,
        "audit_head_seq": f.Count,
    },
)


WorkspaceRestored = _event(
    "workspace.restore",
    "A workspace was put back from a verified backup.",
    {
        "manifest_sha256": f.Hex,
        "backup_created_at": f.Time,
        "keys_restored": f.Flag,
        "carried_events": f.Count,
        "audit_key": f.Hex,
        "versions": f.Count,
    },
)


AlertDelivered = _event(
    "alert.deliver",
    "An alert was sent (or failed to be) to the DPO and the custodian; never its content.",
    {
        "kind": f.Enum(
            "audit_verify_failed",
            "witness_divergence",
            "lockout_storm",
            "pending_reviews",
            "interrupted",
            "test",
        ),
        "channel": f.Enum("smtp", "webhook"),
        "ok": f.Flag,
        "error": f.Optional(f.Name),
        "recipients": f.Count,
    },
)
