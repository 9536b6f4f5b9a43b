"""Erasure of a data subject, journaled so that a crash never leaves the person half-erased.

Erasure is the one operation that rewrites existing versions. It runs in three stages:

1. **Plan.** ``subject_links.search`` finds every version holding the person (by subject id,
   NIR, e-mail, telephone, or their pseudonyms). The holders with no holding ancestor are the
   *roots*; every version derived from a root is recomputed from its lineage.
2. **Journal.** Before any file is touched, one transaction stores the plan and what locates the
   person in ``erasure_journal``, and every affected version in ``erasure_pending_versions``.
   From then on :func:`bulle.services.vault.resolve` refuses those versions to everyone (analysts
   and custodian alike) with an error naming the pending erasure; only the erasure itself reads
   them, through the catalog.
3. **Steps.** Each root is rewritten without the person's rows (new file, same number, a tombstone
   with the receipt id and both content hashes); then each derived version is recomputed, or,
   with no recomputer, withheld (``needs_recompute``, its file removed); then every model holding
   the person forgets them (``services.forgetting``: its receipts are listed in this one). A step's tombstone is its
   commit point: the profile and artefacts (re-identification table, risk report) are replaced
   *before* it, so a step that was cut short is simply done again. The receipt is built from the
   tombstones, stored, and the journal row (with the identifiers) deleted in one transaction.

A process killed at any point leaves the journal: the next ``Workspace.open`` (any actor) resumes
the erasure once its owner process is gone, as the system actor, and completes it with a receipt
marked ``resumed``. Erasures run one at a time: a second one waits for (or resumes) the first.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bulle.audit import events as ev
from bulle.domain.actor import Actor
from bulle.domain.datasets import DatasetVersion, VersionStatus
from bulle.domain.governance_fields import iso
from bulle.errors import BulleError, ConflictError, NotFoundError, Where
from bulle.fsutil import remove_path
from bulle.governance import access
from bulle.services.governance import now_utc, store, subject_ref
from bulle.services.lineage import descendants, recomputer_for
from bulle.services.results import Result
from bulle.services.subject_links import (
    SUBJECT_ID,
    Identifiers,
    Link,
    SearchResult,
    matches,
    search,
)
from bulle.services.vault import public_profile

if TYPE_CHECKING:
    from bulle.workspace import Workspace


@dataclass(frozen=True)
class ErasureReceipt(Result):
    """What an erasure did, as stored in its receipt: which versions were rewritten (rows removed,
    by which identifiers), recomputed or withheld, what was searched, which choices went."""

    receipt_id: str
    subject: str
    started_at: str
    started_by: dict[str, str]
    resumed: bool
    identifiers_linked: dict[str, int]
    searched: list[dict[str, Any]]
    not_searched: list[dict[str, Any]]
    rewritten: list[dict[str, Any]]
    recomputed: list[dict[str, Any]]
    withheld: list[str]
    choices_deleted: int
    model_receipts: list[Any] = field(default_factory=list)  # forget receipts it triggered


def erase_subject(ws: Workspace, subject_id: str) -> ErasureReceipt:
    """Remove a person from every version holding them, recompute what derives from those."""
    access.can_administer(ws.actor, "erase a data subject").require()
    ref = subject_ref(ws, subject_id)
    for pending in _claimable(
        ws, own=True
    ):  # an interrupted erasure is finished first (this one or another)
        receipt = run(ws, pending["receipt_id"], ws.actor, resumed=True)
        if pending["subject_ref"] == ref:
            return receipt
    st = store(ws)
    refuse_while_pending(ws)
    found = search(ws, subject_id)
    linked_ids = sorted(found.identifiers.values[SUBJECT_ID])
    if not found.holders and not any(st.choices_of(s) for s in linked_ids):
        raise NotFoundError(
            "no version and no recorded choice holds this subject id", Where(field="subject")
        )
    receipt_id = "erasure-" + uuid.uuid4().hex
    plan = _plan(ws, found)
    affected = [r.rpartition("@")[::2] for r in [*plan["roots"], *plan["derived"]]]
    with ws.write_lock(), ws.catalog.transaction():
        refuse_while_pending(ws)  # again, under the lock: two erasures never interleave
        st.journal_erasure(
            receipt_id,
            ref,
            found.identifiers.to_dict(),
            plan,
            iso(now_utc()),
            ws.actor.to_dict(),
            os.getpid(),
            [(d, int(n)) for d, n in affected],
        )
    return run(ws, receipt_id, ws.actor)


def refuse_while_pending(ws: Workspace) -> None:
    """Searches read every version: not while another process is rewriting them."""
    busy = store(ws).pending_erasures()
    if busy:
        raise ConflictError(
            f"erasure {busy[0]['receipt_id']} is in progress (process {busy[0]['owner_pid']}): "
            "try again once it has finished"
        )


def _plan(ws: Workspace, found: SearchResult) -> dict[str, Any]:
    holders = {s.version.ref: s for s in found.holders}
    parents = {v.ref: v.parents for v in ws.catalog.versions()}

    def ancestors(ref: str) -> set[str]:
        out, todo = set(), list(parents.get(ref, []))
        while todo:
            p = todo.pop()
            if p not in out:
                out.add(p)
                todo += parents.get(p, [])
        return out

    roots = [
        r for r in holders if not ancestors(r) & set(holders)
    ]  # a holder's descendants are recomputed
    derived = [d.ref for d in descendants(ws, set(roots))]
    return {
        "roots": roots,
        "derived": derived,
        "links": {r: [x.to_dict() for x in holders[r].links] for r in roots},
        "linked_by": {r: sorted(holders[r].matched) for r in roots},
        "searched": found.searched_list(),
        "not_searched": found.not_searched_list(),
        "identifier_counts": found.identifiers.counts(),
    }


def _claimable(ws: Workspace, *, own: bool) -> list[dict[str, Any]]:
    """Pending erasures whose process is gone, claimed for this process; with ``own``, also those
    this process started and left pending (an error stopped them): only an explicit erasure takes
    those back, never an open (another thread of this process may be running it)."""
    from bulle.store_files import alive

    me = os.getpid()
    out = []
    with ws.write_lock(), ws.catalog.transaction():
        st = store(ws)
        for p in st.pending_erasures():
            if (own and p["owner_pid"] == me) or (
                p["owner_pid"] != me and not alive(p["owner_pid"])
            ):
                st.claim_erasure(p["receipt_id"], me)
                out.append(p)
    return out


def resume_pending(ws: Workspace) -> list[str]:
    """At start-up: finish every erasure left pending by a process that is gone (as the system).

    A failure leaves the erasure pending (its versions stay refused, naming it) and the workspace
    open: ``bulle subject erase ID`` resumes it and shows the error.
    """
    done = []
    if not store(ws).pending_erasures():
        return done
    for pending in _claimable(ws, own=False):
        try:
            done.append(run(ws, pending["receipt_id"], Actor.system(), resumed=True).receipt_id)
        except BulleError:
            continue
    return done


def run(ws: Workspace, receipt_id: str, actor: Actor, *, resumed: bool = False) -> ErasureReceipt:
    """Do (or finish) the steps of a journaled erasure, then store its receipt."""
    st = store(ws)
    job = next(p for p in st.pending_erasures() if p["receipt_id"] == receipt_id)
    ids = Identifiers.from_dict(job["identifiers"])
    plan = job["plan"]
    for ref in plan["roots"]:
        _rewrite(
            ws,
            ws.catalog.resolve(ref),
            [Link(x["column"], x["link"]) for x in plan["links"][ref]],
            ids,
            receipt_id,
        )
    for ref in plan["derived"]:
        _recompute(ws, ws.catalog.resolve(ref), receipt_id)
    from bulle.services.forgetting import after_erasure

    # models holding the person retrain their shards now, from the rewritten versions
    model_receipts = after_erasure(ws, sorted(ids.values[SUBJECT_ID]), receipt_id)
    rewritten, recomputed, withheld = [], [], []
    for ref in [*plan["roots"], *plan["derived"]]:
        stone = next(
            t
            for t in reversed(ws.catalog.resolve(ref).tombstones)
            if t.get("receipt_id") == receipt_id
        )
        hashes = {
            "old_content_hash": stone["old_content_hash"],
            "new_content_hash": stone["new_content_hash"],
        }
        if stone["kind"] == "erasure":
            rewritten.append(
                {
                    "ref": ref,
                    "rows_removed": stone["rows_removed"],
                    "linked_by": plan["linked_by"][ref],
                    **hashes,
                }
            )
        elif stone["kind"] == "recompute":
            recomputed.append({"ref": ref, **hashes})
        else:
            withheld.append(ref)
    with ws.write_lock(), ws.catalog.transaction():
        choices = sum(st.delete_choices_of(s) for s in ids.values[SUBJECT_ID])
        for s in ids.values[SUBJECT_ID]:
            st.drop_subject_from_index(s)
        summary = {
            "started_at": job["started_at"],
            "started_by": job["by"],
            "resumed": resumed,
            "identifiers_linked": plan["identifier_counts"],
            "searched": plan["searched"],
            "not_searched": plan["not_searched"],
            "rewritten": rewritten,
            "recomputed": recomputed,
            "withheld": withheld,
            "choices_deleted": choices,
            "model_receipts": model_receipts,
        }
        st.add_erasure(receipt_id, job["subject_ref"], iso(now_utc()), actor.to_dict(), summary)
        st.end_erasure(receipt_id)
        ws.emit(
            ev.SubjectErased(
                actor=actor,
                target=job["subject_ref"],
                details={
                    "receipt_id": receipt_id,
                    "rewritten": [r["ref"] for r in rewritten],
                    "recomputed": [r["ref"] for r in recomputed],
                    "withheld": withheld,
                    "choices_deleted": choices,
                    "searched": len(plan["searched"]),
                    "not_searched": len(plan["not_searched"]),
                    "identifiers_linked": plan["identifier_counts"],
                    "resumed": resumed,
                },
            )
        )
    for old in (ws.root / "cache").glob("*.parquet"):
        remove_path(old)  # snapshots and lists held the person's choices and id
    ws.catalog.checkpoint()  # older page images held the journal
    return ErasureReceipt(receipt_id=receipt_id, subject=job["subject_ref"], **summary)


def _done(v: DatasetVersion, receipt_id: str) -> dict[str, Any] | None:
    return next((t for t in v.tombstones if t.get("receipt_id") == receipt_id), None)


def _rewrite(
    ws: Workspace, v: DatasetVersion, links: list[Link], ids: Identifiers, receipt_id: str
) -> None:
    if _done(v, receipt_id):
        return
    tmp = ws.temp_path()
    try:
        stats = ws.engine.write_without(ws.path_of(v), tmp, matches(links, ids))
        _set_profile(ws, v, tmp)
        ws.rewrite_version(
            v,
            tmp,
            stats.rows,
            {"kind": "erasure", "receipt_id": receipt_id, "rows_removed": v.row_count - stats.rows},
        )
    finally:
        remove_path(tmp)


def _recompute(ws: Workspace, d: DatasetVersion, receipt_id: str) -> None:
    stone = _done(d, receipt_id)
    if stone:
        if stone["kind"] == "withheld":
            remove_path(ws.path_of(d))  # the step may have stopped before the delete
        return
    parent = ws.catalog.resolve(d.parents[0])
    fn = recomputer_for(d.operation.get("name", ""))
    if fn is None or parent.status is VersionStatus.NEEDS_RECOMPUTE:
        withhold(ws, d, receipt_id)
        return
    try:
        tmp, artefacts = fn(ws, d, parent)
    except BulleError:  # e.g. no anonymous transformation remains: withheld, never kept as is
        withhold(ws, d, receipt_id)
        return
    try:
        _set_profile(ws, d, tmp)
        for extra in artefacts:
            for a in [
                a for a in ws.catalog.artefacts(d.dataset, d.number) if a["kind"] == extra["kind"]
            ]:
                ws.replace_artefact(a, extra["file"])
        ws.rewrite_version(
            d, tmp, ws.engine.row_count(tmp), {"kind": "recompute", "receipt_id": receipt_id}
        )
    finally:
        remove_path(tmp)
        for extra in artefacts:
            remove_path(extra["file"])


def withhold(ws: Workspace, v: DatasetVersion, receipt_id: str) -> None:
    """No recomputer: the version is withheld and its file (which holds the person) removed."""
    with ws.write_lock(), ws.catalog.transaction():
        ws.catalog.set_status(v.dataset, v.number, VersionStatus.NEEDS_RECOMPUTE)
        stone = {
            "kind": "withheld",
            "receipt_id": receipt_id,
            "old_content_hash": v.content_hash,
            "new_content_hash": None,
            "at": iso(dt.datetime.now(dt.UTC)),
        }
        ws.catalog.update_version_file(
            v.dataset, v.number, v.path, v.content_hash, v.row_count, [*v.tombstones, stone]
        )
        ws.catalog.delete_profile(v.dataset, v.number)
    remove_path(ws.path_of(v))


def _set_profile(ws: Workspace, v: DatasetVersion, tmp) -> None:
    """Profiles list frequent values: recompute them (from the new rows) so none is the person's."""
    profile = public_profile(ws.engine.profile(tmp))
    with ws.write_lock(), ws.catalog.transaction():
        ws.catalog.set_profile(v.dataset, v.number, profile)
