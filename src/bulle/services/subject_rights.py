"""Data-subject rights: the subject index and the access report (erasure: ``services.erasure``).

The subject index (catalog table ``subject_index``) maps a subject id to the imported versions
whose subject-id column holds them, with a row count: it serves consent filtering. The access
report and erasure find the person everywhere else too, through ``services.subject_links``: by
their NIR, e-mail or telephone in other datasets, and by their pseudonyms.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bulle.audit import events as ev
from bulle.domain.actor import Role
from bulle.domain.consents import ConsentStatus
from bulle.domain.governance_fields import iso
from bulle.domain.purposes import Purpose
from bulle.governance import access
from bulle.governance.consent_ledger import ConsentLedger
from bulle.services.erasure import ErasureReceipt, erase_subject, refuse_while_pending
from bulle.services.governance import now_utc, store, subject_ref
from bulle.services.lineage import descendants
from bulle.services.results import Result
from bulle.services.subject_index import index_version, subject_column
from bulle.services.subject_links import SUBJECT_ID, search

if TYPE_CHECKING:
    from bulle.workspace import Workspace

__all__ = [
    "AccessReport",
    "ErasureReceipt",
    "access_report",
    "erase_subject",
    "index_version",
    "subject_column",
    "visible_at",
]


def visible_at(purpose: Purpose, ledger: ConsentLedger, subject_id: str, at: dt.datetime) -> bool:
    """Whether ``subject_id`` was visible to a read for ``purpose`` at ``at`` (the rule of access.subject_filter)."""
    objected = purpose.objection_applies and ledger.has_objected(subject_id, purpose.name, at)
    if purpose.needs_consent:
        return ledger.state(subject_id, purpose.name, at) is ConsentStatus.GIVEN and not objected
    return not objected


@dataclass(frozen=True)
class AccessReport(Result):
    """What a person is told (GDPR art. 15): where their data is, who read it, their choices."""

    subject: str
    versions: list[dict[str, Any]]
    reads: list[dict[str, Any]]
    choices: list[dict[str, Any]]
    searched: list[dict[str, Any]]
    not_searched: list[dict[str, Any]]
    identifiers_linked: dict[str, int]
    generated_at: str


def access_report(ws: Workspace, subject_id: str) -> AccessReport:
    """Which versions hold the person's data (under any of their identifiers), which projects read
    it and when, their choices, and which versions could not be searched and why."""
    access.can_view_access_report(ws.actor, subject_id).require()
    st = store(ws)
    refuse_while_pending(ws)
    found = search(ws, subject_id)
    holders = {s.version.ref: s for s in found.holders}
    derived = {v.ref: v for v in descendants(ws, set(holders))}
    linked_ids = sorted(found.identifiers.values[SUBJECT_ID])
    ledgers = [ConsentLedger.of(*st.ledger_for(s)) for s in linked_ids]
    purposes = st.purposes()
    versions = []
    for v in ws.catalog.versions():
        if v.ref in holders:
            s = holders[v.ref]
            versions.append(
                {
                    "ref": v.ref,
                    "kind": v.kind.value,
                    "rows": s.rows,
                    "status": v.status.value,
                    "linked_by": sorted(s.matched),
                    **({"derived_from": v.parents} if v.ref in derived else {}),
                }
            )
        elif v.ref in derived:
            versions.append(
                {
                    "ref": v.ref,
                    "kind": v.kind.value,
                    "rows": None,
                    "status": v.status.value,
                    "derived_from": v.parents,
                }
            )
    reads = []
    for r in st.reads_of(
        [(x["ref"].rpartition("@")[0], int(x["ref"].rpartition("@")[2])) for x in versions]
    ):
        purpose = purposes.get(r["purpose"])
        at = dt.datetime.fromisoformat(r["at"])
        if purpose is None or any(
            visible_at(purpose, led, s, at) for led, s in zip(ledgers, linked_ids, strict=True)
        ):
            reads.append(
                {
                    "project": r["project"],
                    "purpose": r["purpose"],
                    "version": f"{r['dataset']}@{r['number']}",
                    "at": r["at"],
                    "by": r["actor"],
                }
            )
    report = AccessReport(
        subject=subject_id,
        versions=versions,
        reads=reads,
        choices=[c for s in linked_ids for c in st.choices_of(s)],
        searched=[
            s
            for s in found.searched_list()  # a person is told where they are, not every dataset
            if s["rows_matched"] or ws.actor.role is not Role.SUBJECT
        ],
        not_searched=found.not_searched_list(),
        identifiers_linked=found.identifiers.counts(),
        generated_at=iso(now_utc()),
    )
    ws.emit(
        ev.SubjectAccessReport(
            actor=ws.actor,
            target=subject_ref(ws, subject_id),
            details={
                "versions": len(versions),
                "reads": len(reads),
                "searched": len(report.searched),
                "not_searched": len(report.not_searched),
                "identifiers_linked": report.identifiers_linked,
            },
        )
    )
    return report
