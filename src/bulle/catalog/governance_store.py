"""Persistence of governance objects in the catalog: purposes, subject choices, projects, reads.

Domain objects are stored as their ``to_dict()`` JSON and rebuilt with ``from_dict`` so that
validation runs again on the way in. Subject choices (consents, withdrawals, objections) are an
append-only event table: the state at any instant is a fold over it, so a read can always be
re-explained later (the access report does exactly that).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from bulle.catalog.store import Catalog
from bulle.domain.consents import Consent, Objection
from bulle.domain.governance_fields import iso
from bulle.domain.projects import Project
from bulle.domain.purposes import Purpose
from bulle.errors import NotFoundError, Where


class GovernanceStore:
    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        self.con = catalog.con

    # -- purposes ---------------------------------------------------------------------------------
    def put_purpose(self, purpose: Purpose, at: str, by: dict[str, str]) -> None:
        self.con.execute(
            "INSERT INTO purposes(name, doc_json, declared_at, declared_by) VALUES(?, ?, ?, ?) "
            "ON CONFLICT(name) DO UPDATE SET doc_json=excluded.doc_json, declared_at=excluded.declared_at, "
            "declared_by=excluded.declared_by",
            (purpose.name, json.dumps(purpose.to_dict(), sort_keys=True), at, json.dumps(by)),
        )

    def purposes(self) -> dict[str, Purpose]:
        return {
            name: Purpose.from_dict(json.loads(doc))
            for name, doc in self.con.execute("SELECT name, doc_json FROM purposes ORDER BY name")
        }

    def purpose(self, name: str) -> Purpose:
        row = self.con.execute("SELECT doc_json FROM purposes WHERE name=?", (name,)).fetchone()
        if row is None:
            known = ", ".join(self.purposes()) or "none declared yet"
            raise NotFoundError(
                f"unknown purpose {name!r} (declared: {known})", Where(field="purpose")
            )
        return Purpose.from_dict(json.loads(row[0]))

    # -- the purpose a dataset was collected for ---------------------------------------------------------
    def set_dataset_purpose(self, dataset: str, purpose: str) -> None:
        self.con.execute(
            "INSERT INTO dataset_purposes(dataset, purpose) VALUES(?, ?) "
            "ON CONFLICT(dataset) DO UPDATE SET purpose=excluded.purpose",
            (dataset, purpose),
        )

    def dataset_purpose(self, dataset: str) -> str | None:
        row = self.con.execute(
            "SELECT purpose FROM dataset_purposes WHERE dataset=?", (dataset,)
        ).fetchone()
        return row[0] if row else None

    # -- subject choices ------------------------------------------------------------------------------
    def add_choices(self, events: Iterable[Consent | Objection], recorded_at: str, by: str) -> int:
        rows = []
        for e in events:
            kind = e.status.value if isinstance(e, Consent) else "objected"
            rows.append((e.subject_id, e.purpose, kind, iso(e.at), e.source, recorded_at, by))
        self.con.executemany(
            "INSERT INTO subject_events(subject_id, purpose, kind, at, source, recorded_at, recorded_by) "
            "VALUES(?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        return len(rows)

    def last_seq(self) -> int:
        return int(
            self.con.execute("SELECT coalesce(max(seq), 0) FROM subject_events").fetchone()[0]
        )

    def choices_of(self, subject_id: str) -> list[dict[str, Any]]:
        cur = self.con.execute(
            "SELECT seq, purpose, kind, at, source, recorded_at FROM subject_events WHERE subject_id=? ORDER BY seq",
            (subject_id,),
        )
        return [
            dict(zip(("seq", "purpose", "kind", "at", "source", "recorded_at"), r, strict=True))
            for r in cur
        ]

    def ledger_for(self, subject_id: str) -> tuple[list[Consent], list[Objection]]:
        consents, objections = [], []
        for c in self.choices_of(subject_id):
            if c["kind"] == "objected":
                objections.append(Objection(subject_id, c["purpose"], c["at"], c["source"]))
            else:
                consents.append(Consent(subject_id, c["purpose"], c["kind"], c["at"], c["source"]))
        return consents, objections

    def delete_choices_of(self, subject_id: str) -> int:
        return self.con.execute(
            "DELETE FROM subject_events WHERE subject_id=?", (subject_id,)
        ).rowcount

    # -- projects -----------------------------------------------------------------------------------------
    def put_project(self, project: Project, at: str) -> None:
        self.con.execute(
            "INSERT INTO projects(name, doc_json, updated_at) VALUES(?, ?, ?) "
            "ON CONFLICT(name) DO UPDATE SET doc_json=excluded.doc_json, updated_at=excluded.updated_at",
            (project.name, json.dumps(project.to_dict(), sort_keys=True), at),
        )

    def project(self, name: str) -> Project:
        row = self.con.execute("SELECT doc_json FROM projects WHERE name=?", (name,)).fetchone()
        if row is None:
            known = (
                ", ".join(r[0] for r in self.con.execute("SELECT name FROM projects ORDER BY name"))
                or "none"
            )
            raise NotFoundError(
                f"unknown project {name!r} (projects: {known})", Where(field="project")
            )
        return Project.from_dict(json.loads(row[0]), self.purposes())

    def projects(self) -> list[Project]:
        purposes = self.purposes()
        return [
            Project.from_dict(json.loads(doc), purposes)
            for (doc,) in self.con.execute("SELECT doc_json FROM projects ORDER BY name")
        ]

    # -- the subject index ----------------------------------------------------------------------------------
    def index_version(self, dataset: str, number: int, counts: Iterable[tuple[str, int]]) -> int:
        self.con.execute(
            "DELETE FROM subject_index WHERE dataset=? AND number=?", (dataset, number)
        )
        rows = [(sid, dataset, number, n) for sid, n in counts if sid is not None]
        self.con.executemany(
            "INSERT INTO subject_index(subject_id, dataset, number, rows) VALUES(?, ?, ?, ?)", rows
        )
        return len(rows)

    def versions_of_subject(self, subject_id: str) -> list[tuple[str, int, int]]:
        return [
            tuple(r)
            for r in self.con.execute(
                "SELECT dataset, number, rows FROM subject_index WHERE subject_id=? ORDER BY dataset, number",
                (subject_id,),
            )
        ]

    def drop_subject_from_index(self, subject_id: str) -> None:
        self.con.execute("DELETE FROM subject_index WHERE subject_id=?", (subject_id,))

    # -- reads and erasures ---------------------------------------------------------------------------------
    def record_read(
        self,
        project: str,
        purpose: str,
        dataset: str,
        number: int,
        actor: str,
        at: str,
        rows: int,
        filter_summary: dict[str, Any],
    ) -> None:
        self.con.execute(
            "INSERT INTO project_reads(project, purpose, dataset, number, actor, at, rows, filter_json) "
            "VALUES(?, ?, ?, ?, ?, ?, ?, ?)",
            (
                project,
                purpose,
                dataset,
                number,
                actor,
                at,
                rows,
                json.dumps(filter_summary, sort_keys=True),
            ),
        )

    def reads_of(self, versions: Iterable[tuple[str, int]]) -> list[dict[str, Any]]:
        out = []
        for dataset, number in versions:
            cur = self.con.execute(
                "SELECT project, purpose, dataset, number, actor, at, rows FROM project_reads "
                "WHERE dataset=? AND number=? ORDER BY at",
                (dataset, number),
            )
            out += [
                dict(
                    zip(
                        ("project", "purpose", "dataset", "number", "actor", "at", "rows"),
                        r,
                        strict=True,
                    )
                )
                for r in cur
            ]
        return sorted(out, key=lambda r: r["at"])

    def add_erasure(
        self,
        receipt_id: str,
        subject_ref: str,
        at: str,
        by: dict[str, str],
        summary: dict[str, Any],
    ) -> None:
        self.con.execute(
            "INSERT INTO erasures(receipt_id, subject_ref, at, by_json, summary_json) VALUES(?,?,?,?,?)",
            (receipt_id, subject_ref, at, json.dumps(by), json.dumps(summary, sort_keys=True)),
        )

    # -- the erasure journal ----------------------------------------------------------------------------------
    def journal_erasure(
        self,
        receipt_id: str,
        subject_ref: str,
        identifiers: dict[str, Any],
        plan: dict[str, Any],
        started_at: str,
        by: dict[str, str],
        owner_pid: int,
        affected: Iterable[tuple[str, int]],
    ) -> None:
        self.con.execute(
            "INSERT INTO erasure_journal(receipt_id, subject_ref, identifiers_json, plan_json, started_at, by_json, "
            "owner_pid) VALUES(?, ?, ?, ?, ?, ?, ?)",
            (
                receipt_id,
                subject_ref,
                json.dumps(identifiers),
                json.dumps(plan),
                started_at,
                json.dumps(by),
                owner_pid,
            ),
        )
        self.con.executemany(
            "INSERT OR IGNORE INTO erasure_pending_versions(receipt_id, dataset, number) "
            "VALUES(?, ?, ?)",
            [(receipt_id, d, n) for d, n in affected],
        )

    def pending_erasures(self) -> list[dict[str, Any]]:
        cols = ("receipt_id", "subject_ref", "identifiers", "plan", "started_at", "by", "owner_pid")
        out = []
        for r in self.con.execute(
            "SELECT receipt_id, subject_ref, identifiers_json, plan_json, started_at, by_json, "
            "owner_pid FROM erasure_journal ORDER BY started_at, receipt_id"
        ):
            d = dict(zip(cols, r, strict=True))
            for k in ("identifiers", "plan", "by"):
                d[k] = json.loads(d[k])
            out.append(d)
        return out

    def pending_erasure_of(self, dataset: str, number: int) -> str | None:
        """The receipt id of a pending erasure affecting this version, if any."""
        row = self.con.execute(
            "SELECT receipt_id FROM erasure_pending_versions WHERE dataset=? AND number=? "
            "ORDER BY receipt_id LIMIT 1",
            (dataset, number),
        ).fetchone()
        return row[0] if row else None

    def claim_erasure(self, receipt_id: str, owner_pid: int) -> None:
        self.con.execute(
            "UPDATE erasure_journal SET owner_pid=? WHERE receipt_id=?", (owner_pid, receipt_id)
        )

    def end_erasure(self, receipt_id: str) -> None:
        """The journal row, and the identifiers it held, go when the receipt is stored (overwritten
        with zeros in the database file: SQLite's ``secure_delete``)."""
        self.con.execute("PRAGMA secure_delete=ON")
        self.con.execute("DELETE FROM erasure_pending_versions WHERE receipt_id=?", (receipt_id,))
        self.con.execute("DELETE FROM erasure_journal WHERE receipt_id=?", (receipt_id,))
