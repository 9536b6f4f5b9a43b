"""The catalog: datasets, versions, column roles and artefacts, persisted in SQLite.

SQLite gives transactions and safe concurrent readers for free; writers also hold the workspace
lock, so a version number is never handed out twice.
"""

from __future__ import annotations

import json
import sqlite3
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bulle.catalog.migrations import MIGRATIONS
from bulle.domain.datasets import (
    ColumnRole,
    ColumnRoleAssignment,
    DatasetVersion,
    VersionKind,
    VersionRef,
    VersionStatus,
)
from bulle.errors import IntegrityError, NotFoundError, Where

SCHEMA_VERSION = len(MIGRATIONS)


class Catalog:
    def __init__(self, path: Path):
        self.path = path
        self.con = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        self.con.execute("PRAGMA journal_mode=WAL")
        self.con.execute("PRAGMA synchronous=FULL")
        self.con.execute("PRAGMA foreign_keys=ON")

    def close(self) -> None:
        self.con.close()

    # -- migrations ------------------------------------------------------------------------
    def schema_version(self) -> int:
        return int(self.con.execute("PRAGMA user_version").fetchone()[0])

    def migrate(self) -> int:
        current = self.schema_version()
        if current > SCHEMA_VERSION:
            raise IntegrityError(
                f"catalog schema version {current} is newer than this Bulle ({SCHEMA_VERSION}): upgrade Bulle",
                Where(file=str(self.path)),
            )
        for number in range(current, SCHEMA_VERSION):
            # one script, one transaction: a migration applies whole or not at all
            self.con.executescript(
                f"BEGIN IMMEDIATE;\n{MIGRATIONS[number]}\nPRAGMA user_version={number + 1};\nCOMMIT;"
            )
        return SCHEMA_VERSION

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.con.execute("BEGIN IMMEDIATE")
        try:
            yield self.con
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        else:
            self.con.execute("COMMIT")

    @classmethod
    def read_only(cls, path: Path) -> Catalog:
        """A catalog file opened without writing to it: a backup's, checked as hostile input.

        Nothing is written beside it (no journal mode change, no -wal), and the schema's own SQL
        (views, triggers) is not trusted to run functions."""
        cat = cls.__new__(cls)
        cat.path = path
        uri = "file:" + urllib.parse.quote(str(path.absolute())) + "?mode=ro&immutable=1"
        cat.con = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        cat.con.execute("PRAGMA trusted_schema=OFF")
        cat.con.execute("PRAGMA query_only=ON")
        return cat

    def quick_check(self) -> list[str]:
        """SQLite's own structural check of the file (empty when sound)."""
        rows = [r[0] for r in self.con.execute("PRAGMA quick_check(20)")]
        return [] if rows == ["ok"] else [str(r)[:200] for r in rows]

    def file_hashes(self) -> list[tuple[str, str, str]]:
        """(kind, path, content hash) of every version and artefact file the catalog names."""
        rows = [
            ("version", r[0], r[1])
            for r in self.con.execute("SELECT path, content_hash FROM versions")
        ]
        rows += [
            ("artefact", r[0], r[1])
            for r in self.con.execute("SELECT path, content_hash FROM artefacts")
        ]
        return rows

    def backup_to(self, path: Path) -> None:
        """Copy the whole catalog into a new file at ``path`` through SQLite's online backup API:
        one consistent snapshot (WAL pages included) while other connections keep writing."""
        target = sqlite3.connect(path, isolation_level=None)
        try:
            self.con.backup(target)
            target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside
        finally:
            target.close()

    # -- meta --------------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        row = self.con.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.con.execute(
            "INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value",
            (key, value),
        )

    # -- datasets and versions ----------------------------------------------------------------
    def dataset_names(self) -> list[str]:
        return [r[0] for r in self.con.execute("SELECT name FROM datasets ORDER BY name")]

    def next_number(self, dataset: str) -> int:
        row = self.con.execute(
            "SELECT max(number) FROM versions WHERE dataset=?", (dataset,)
        ).fetchone()
        return int(row[0] or 0) + 1

    def add_version(self, v: DatasetVersion) -> None:
        """Insert a version (the caller holds a transaction and the workspace lock)."""
        self.con.execute(
            "INSERT OR IGNORE INTO datasets(name, created_at, created_by) VALUES(?, ?, ?)",
            (v.dataset, v.created_at, json.dumps(v.created_by)),
        )
        self.con.execute(
            "INSERT INTO versions(dataset, number, kind, path, content_hash, row_count, schema_json, "
            "parents_json, operation_json, created_at, created_by, personal_data, status, tombstones_json) "
            "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                v.dataset,
                v.number,
                v.kind.value,
                v.path,
                v.content_hash,
                v.row_count,
                json.dumps(v.schema),
                json.dumps(v.parents),
                json.dumps(v.operation, sort_keys=True),
                v.created_at,
                json.dumps(v.created_by),
                int(v.personal_data),
                v.status.value,
                json.dumps(v.tombstones),
            ),
        )

    def versions(self, dataset: str | None = None) -> list[DatasetVersion]:
        sql = "SELECT * FROM versions"
        args: tuple = ()
        if dataset is not None:
            sql += " WHERE dataset=?"
            args = (dataset,)
        cur = self.con.execute(sql + " ORDER BY dataset, number", args)
        cols = [d[0] for d in cur.description]
        return [_version_from_row(dict(zip(cols, r, strict=True))) for r in cur.fetchall()]

    def resolve(self, ref: str | VersionRef) -> DatasetVersion:
        r = VersionRef.parse(ref) if isinstance(ref, str) else ref
        if r.number is None:
            row = self.con.execute(
                "SELECT * FROM versions WHERE dataset=? ORDER BY number DESC LIMIT 1", (r.dataset,)
            )
        else:
            row = self.con.execute(
                "SELECT * FROM versions WHERE dataset=? AND number=?", (r.dataset, r.number)
            )
        cols = [d[0] for d in row.description]
        found = row.fetchone()
        if found is None:
            known = self.dataset_names()
            if r.dataset not in known:
                hint = (
                    f"; known datasets: {', '.join(known)}"
                    if known
                    else "; the workspace has no datasets yet"
                )
                raise NotFoundError(f"unknown dataset {r.dataset!r}{hint}", Where(field="dataset"))
            raise NotFoundError(
                f"dataset {r.dataset!r} has no version {r.number}", Where(field="dataset")
            )
        return _version_from_row(dict(zip(cols, found, strict=True)))

    def update_version_file(
        self,
        dataset: str,
        number: int,
        path: str,
        content_hash: str,
        row_count: int,
        tombstones: list[dict[str, Any]],
    ) -> None:
        """Only erasure rewrites a version: same number, new file, tombstone recorded."""
        self.con.execute(
            "UPDATE versions SET path=?, content_hash=?, row_count=?, tombstones_json=? WHERE dataset=? AND number=?",
            (path, content_hash, row_count, json.dumps(tombstones), dataset, number),
        )

    def set_personal_data(self, dataset: str, number: int, personal: bool) -> None:
        """A synthetic version marked (or no longer marked) as not personal data."""
        self.con.execute(
            "UPDATE versions SET personal_data=? WHERE dataset=? AND number=?",
            (int(personal), dataset, number),
        )

    def set_status(self, dataset: str, number: int, status: VersionStatus) -> None:
        self.con.execute(
            "UPDATE versions SET status=? WHERE dataset=? AND number=?",
            (status.value, dataset, number),
        )

    def has_erasure_journal(self) -> bool:
        """Whether an erasure is journaled (pending or being finished): opening must finish it."""
        return self.con.execute("SELECT 1 FROM erasure_journal LIMIT 1").fetchone() is not None

    def referenced_paths(self) -> set[str]:
        paths = {r[0] for r in self.con.execute("SELECT path FROM versions")}
        paths |= {r[0] for r in self.con.execute("SELECT path FROM artefacts")}
        return paths

    # -- column roles ----------------------------------------------------------------------------
    def set_roles(self, dataset: str, number: int, roles: list[ColumnRoleAssignment]) -> None:
        self.con.execute("DELETE FROM column_roles WHERE dataset=? AND number=?", (dataset, number))
        self.con.executemany(
            "INSERT INTO column_roles(dataset, number, column_name, role, reason, confirmed, identifier_kind) "
            "VALUES(?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    dataset,
                    number,
                    r.column,
                    r.role.value,
                    r.reason,
                    int(r.confirmed),
                    r.identifier_kind,
                )
                for r in roles
            ],
        )

    def roles(self, dataset: str, number: int) -> list[ColumnRoleAssignment]:
        rows = self.con.execute(
            "SELECT column_name, role, reason, confirmed, identifier_kind FROM column_roles "
            "WHERE dataset=? AND number=?",
            (dataset, number),
        ).fetchall()
        return [
            ColumnRoleAssignment(c, ColumnRole(r), why, bool(ok), kind)
            for c, r, why, ok, kind in rows
        ]

    def set_profile(self, dataset: str, number: int, profile: list[dict[str, Any]]) -> None:
        self.con.execute(
            "INSERT INTO profiles(dataset, number, profile_json) VALUES(?, ?, ?) "
            "ON CONFLICT(dataset, number) DO UPDATE SET profile_json=excluded.profile_json",
            (dataset, number, json.dumps(profile, default=str)),
        )

    def delete_profile(self, dataset: str, number: int) -> None:
        self.con.execute("DELETE FROM profiles WHERE dataset=? AND number=?", (dataset, number))

    def checkpoint(self) -> None:
        """Fold the write-ahead log into the database file and truncate it (older page images go)."""
        self.con.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def profile(self, dataset: str, number: int) -> list[dict[str, Any]] | None:
        row = self.con.execute(
            "SELECT profile_json FROM profiles WHERE dataset=? AND number=?", (dataset, number)
        ).fetchone()
        return json.loads(row[0]) if row else None

    # -- artefacts (reports, hierarchies, re-identification tables) -------------------------------
    def add_artefact(
        self,
        artefact_id: str,
        dataset: str,
        number: int,
        kind: str,
        path: str,
        content_hash: str,
        created_at: str,
    ) -> None:
        self.con.execute(
            "INSERT INTO artefacts(id, dataset, number, kind, path, content_hash, created_at) VALUES(?,?,?,?,?,?,?)",
            (artefact_id, dataset, number, kind, path, content_hash, created_at),
        )

    def update_artefact_file(self, artefact_id: str, path: str, content_hash: str) -> None:
        """Only erasure replaces an artefact's file (a re-identification table rewritten)."""
        self.con.execute(
            "UPDATE artefacts SET path=?, content_hash=? WHERE id=?",
            (path, content_hash, artefact_id),
        )

    def artefacts(
        self, dataset: str | None = None, number: int | None = None
    ) -> list[dict[str, Any]]:
        sql, args = (
            "SELECT id, dataset, number, kind, path, content_hash, created_at FROM artefacts",
            [],
        )
        if dataset is not None:
            sql += " WHERE dataset=?"
            args.append(dataset)
            if number is not None:
                sql += " AND number=?"
                args.append(number)
        cols = ["id", "dataset", "number", "kind", "path", "content_hash", "created_at"]
        return [
            dict(zip(cols, r, strict=True))
            for r in self.con.execute(sql + " ORDER BY created_at, id", args)
        ]


def _version_from_row(row: dict[str, Any]) -> DatasetVersion:
    return DatasetVersion(
        dataset=row["dataset"],
        number=row["number"],
        kind=VersionKind(row["kind"]),
        path=row["path"],
        content_hash=row["content_hash"],
        row_count=row["row_count"],
        schema=json.loads(row["schema_json"]),
        parents=json.loads(row["parents_json"]),
        operation=json.loads(row["operation_json"]),
        created_at=row["created_at"],
        created_by=json.loads(row["created_by"]),
        personal_data=bool(row["personal_data"]),
        status=VersionStatus(row["status"]),
        tombstones=json.loads(row["tombstones_json"]),
    )
