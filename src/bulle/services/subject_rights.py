"""Data-subject rights: the subject index, the access report, and erasure.

The subject index (catalog table ``subject_index``) maps a subject id to the imported versions
holding their rows, with a row count; versions derived from those are found through lineage. So
an erasure touches only the versions holding the person, whatever the size of the workspace.

Erasure is the one operation that rewrites existing versions: each version holding the subject is
rewritten without their rows (new file, same number, a tombstone with both content hashes and the
receipt id), then every version derived from a rewritten one is recomputed from its lineage, or,
when no recomputer exists for its operation, withheld (status ``needs_recompute``, its file
removed) — never silently kept.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Any

from bulle.audit import events as ev
from bulle.domain.consents import ConsentStatus
from bulle.domain.datasets import ColumnRole, DatasetVersion, VersionStatus
from bulle.domain.governance_fields import iso
from bulle.domain.purposes import Purpose
from bulle.errors import BulleError, NotFoundError, Where
from bulle.governance import access
from bulle.governance.consent_ledger import ConsentLedger
from bulle.services.governance import now_utc, require_custodian, store, subject_ref
from bulle.services.lineage import descendants, recomputer_for
from bulle.storage.sqltext import ident, lit

if TYPE_CHECKING:
    from bulle.workspace import Workspace






def subject_column(ws: Workspace, v: DatasetVersion) -> str | None:
    return next((r.column for r in ws.catalog.roles(v.dataset, v.number) if r.role is ColumnRole.SUBJECT_ID), None)


def index_version(ws: Workspace, v: DatasetVersion) -> int:
    """(Re)build the subject index of an imported version from its subject-id column."""
    col = subject_column(ws, v)
    st = store(ws)
    if col is None:
        with ws.write_lock(), ws.catalog.transaction():
            return st.index_version(v.dataset, v.number, [])
    con = ws.engine.connect()
    try:
        rows = con.execute(f"SELECT {ident(col)}::VARCHAR, count(*) FROM read_parquet({lit(ws.path_of(v))}) "
                           f"WHERE {ident(col)} IS NOT NULL GROUP BY 1").fetchall()
    finally:
        con.close()
    with ws.write_lock(), ws.catalog.transaction():
        return st.index_version(v.dataset, v.number, rows)


def holding_versions(ws: Workspace, subject_id: str) -> tuple[list[tuple[DatasetVersion, int]], list[DatasetVersion]]:
    """Imported versions holding the subject (with their row counts) and every version derived from them."""
    direct = [(ws.catalog.resolve(f"{d}@{n}"), rows) for d, n, rows in store(ws).versions_of_subject(subject_id)]
    derived = descendants(ws, {v.ref for v, _ in direct})
    return direct, derived


def visible_at(purpose: Purpose, ledger: ConsentLedger, subject_id: str, at: dt.datetime) -> bool:
    """Whether ``subject_id`` was visible to a read for ``purpose`` at ``at`` (the rule of access.subject_filter)."""
    objected = purpose.objection_applies and ledger.has_objected(subject_id, purpose.name, at)
    if purpose.needs_consent:
        return ledger.state(subject_id, purpose.name, at) is ConsentStatus.GIVEN and not objected
    return not objected


def access_report(ws: Workspace, subject_id: str) -> dict[str, Any]:
    """Which versions hold the person's data, which projects read it and when, and their choices."""
    access.can_view_access_report(ws.actor, subject_id).require()
    st = store(ws)
    direct, derived = holding_versions(ws, subject_id)
    consents, objections = st.ledger_for(subject_id)
    ledger = ConsentLedger.of(consents, objections)
    purposes = st.purposes()
    holding = [(v.dataset, v.number) for v, _ in direct] + [(v.dataset, v.number) for v in derived]
    reads = []
    for r in st.reads_of(holding):
        purpose = purposes.get(r["purpose"])
        at = dt.datetime.fromisoformat(r["at"])
        if purpose is None or visible_at(purpose, ledger, subject_id, at):
            reads.append({"project": r["project"], "purpose": r["purpose"], "version": f"{r['dataset']}@{r['number']}",
                          "at": r["at"], "by": r["actor"]})
    report = {
        "subject": subject_id,
        "versions": [{"ref": v.ref, "kind": v.kind.value, "rows": rows, "status": v.status.value} for v, rows in direct]
        + [{"ref": v.ref, "kind": v.kind.value, "rows": None, "status": v.status.value, "derived_from": v.parents}
           for v in derived],
        "reads": reads,
        "choices": st.choices_of(subject_id),
        "generated_at": iso(now_utc()),
    }
    ws.emit(ev.SubjectAccessReport(actor=ws.actor, target=subject_ref(ws, subject_id),
                                   details={"versions": len(report["versions"]), "reads": len(reads)}))
    return report


def erase_subject(ws: Workspace, subject_id: str) -> dict[str, Any]:
    """Remove a person from every version holding them, recompute what derives from those."""
    require_custodian(ws, "erase a data subject")
    st = store(ws)
    direct, _ = holding_versions(ws, subject_id)
    if not direct and not st.choices_of(subject_id):
        raise NotFoundError("no version and no recorded choice holds this subject id", Where(field="subject"))
    receipt = "erasure-" + uuid.uuid4().hex
    rewritten, recomputed, withheld = [], [], []
    refs: set[str] = set()
    for v, _rows in direct:
        col = subject_column(ws, v)
        tmp = ws.temp_path()
        try:
            sql = (f"SELECT * FROM read_parquet({lit(ws.path_of(v))}) "
                   f"WHERE {ident(col)}::VARCHAR IS DISTINCT FROM {lit(subject_id)}")
            stats = ws.engine.write_sql(sql, tmp)
            new = ws.rewrite_version(v, tmp, stats.rows, {"kind": "erasure", "receipt_id": receipt,
                                                          "rows_removed": v.row_count - stats.rows})
        finally:
            tmp.unlink(missing_ok=True)
        rewritten.append({"ref": v.ref, "rows_removed": v.row_count - new.row_count,
                          "old_content_hash": v.content_hash, "new_content_hash": new.content_hash})
        refs.add(v.ref)
        _refresh_profile(ws, new)
    for d in descendants(ws, refs):
        parent = ws.catalog.resolve(d.parents[0])
        fn = recomputer_for(d.operation.get("name", ""))
        if fn is None or parent.status is VersionStatus.NEEDS_RECOMPUTE:
            _withhold(ws, d, receipt)
            withheld.append(d.ref)
            continue
        try:
            tmp, artefacts = fn(ws, d, parent)
        except BulleError:  # e.g. no anonymous transformation remains: withheld, never kept as is
            _withhold(ws, d, receipt)
            withheld.append(d.ref)
            continue
        try:
            rows = _row_count(ws, tmp)
            new = ws.rewrite_version(d, tmp, rows, {"kind": "recompute", "receipt_id": receipt})
        finally:
            tmp.unlink(missing_ok=True)
        for extra in artefacts:
            old = [a for a in ws.catalog.artefacts(d.dataset, d.number) if a["kind"] == extra["kind"]]
            for a in old:
                ws.replace_artefact(a, extra["file"])
        recomputed.append({"ref": d.ref, "old_content_hash": d.content_hash, "new_content_hash": new.content_hash})
        _refresh_profile(ws, new)
    with ws.write_lock(), ws.catalog.transaction():
        choices = st.delete_choices_of(subject_id)
        st.drop_subject_from_index(subject_id)
        summary = {"rewritten": rewritten, "recomputed": recomputed, "withheld": withheld,
                   "choices_deleted": choices}
        ref = subject_ref(ws, subject_id)
        st.add_erasure(receipt, ref, iso(now_utc()), ws.actor.to_dict(), summary)
        ws.emit(ev.SubjectErased(actor=ws.actor, target=ref, details={
            "receipt_id": receipt, "rewritten": [r["ref"] for r in rewritten],
            "recomputed": [r["ref"] for r in recomputed], "withheld": withheld, "choices_deleted": choices}))
    for old in (ws.root / "cache").glob("*.parquet"):
        old.unlink(missing_ok=True)  # snapshots and lists held the person's choices and id
    return {"receipt_id": receipt, "subject": ref, **summary}


def _withhold(ws: Workspace, v: DatasetVersion, receipt: str) -> None:
    """No recomputer: the version is withheld and its file (which holds the person) removed."""
    with ws.write_lock(), ws.catalog.transaction():
        ws.catalog.set_status(v.dataset, v.number, VersionStatus.NEEDS_RECOMPUTE)
        stone = {"kind": "withheld", "receipt_id": receipt, "old_content_hash": v.content_hash,
                 "new_content_hash": None, "at": iso(now_utc())}
        ws.catalog.update_version_file(v.dataset, v.number, v.path, v.content_hash, v.row_count,
                                       [*v.tombstones, stone])
        ws.catalog.con.execute("DELETE FROM profiles WHERE dataset=? AND number=?", (v.dataset, v.number))
    ws.path_of(v).unlink(missing_ok=True)


def _row_count(ws: Workspace, path) -> int:
    import pyarrow.parquet as pq

    return pq.read_metadata(path).num_rows


def _refresh_profile(ws: Workspace, v: DatasetVersion) -> None:
    """Profiles list frequent values: recompute them so none comes from the erased person."""
    from bulle.services.vault import _public_profile

    profile = _public_profile(ws.engine.profile(ws.path_of(v)))
    with ws.write_lock(), ws.catalog.transaction():
        ws.catalog.set_profile(v.dataset, v.number, profile)
