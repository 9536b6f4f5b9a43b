"""The catalog as one consistent snapshot, for an export.

An export writes every catalog table, the audit chain head and the list of stored files; they
must describe one instant, or a version committed meanwhile would be listed without its file, or a
head would point past the tables. So the exporter reads them all in one SQLite read transaction,
on a read-only connection of its own (the workspace's connections may be writing), and keeps no
SQL of its own: this is that transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from bulle.catalog import export_schema, export_tables
from bulle.errors import Problem

StoredFile = tuple[str, str, str]  # path, content hash, kind


class CatalogSnapshot:
    """A read transaction on ``catalog.sqlite``; use as a context manager."""

    def __init__(self, path: Path):
        self.path = path
        self._con = sqlite3.connect(
            f"file:{path}?mode=ro", uri=True, timeout=30, isolation_level=None
        )

    def __enter__(self) -> CatalogSnapshot:
        try:
            self._con.execute("BEGIN")  # one snapshot for every table and the chain head
        except BaseException:
            self._con.close()
            raise
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        try:
            self._con.execute("COMMIT" if exc_type is None else "ROLLBACK")
        finally:
            self._con.close()

    def schema_version(self) -> int:
        return int(self._con.execute("PRAGMA user_version").fetchone()[0])

    def schema_problems(self, version: int) -> list[Problem]:
        """How the live schema departs from Bulle's own at ``version`` (empty when it does not)."""
        return export_schema.live_schema_problems(self._con, version)

    def tables(self) -> list[dict[str, Any]]:
        return export_tables.table_list(self._con)

    def other_objects(self) -> list[dict[str, Any]]:
        return export_tables.other_objects(self._con)

    def rows(self, table: dict[str, Any]) -> Iterator[bytes]:
        """The table's rows as JSON Lines, streamed in blocks."""
        return export_tables.dump_rows(self._con, table)

    def model_states(self) -> list[tuple[str, str]]:
        """(path, hash) of every shard state an active model version uses (``model_states``)."""
        return model_states(self._con)

    def meta(self, key: str) -> str | None:
        row = self._con.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if row is None else row[0]

    def stored_files(
        self, withheld_statuses: Sequence[str], version_kind: str, artefact_kind: str
    ) -> tuple[list[StoredFile], list[dict[str, Any]]]:
        """(path, content hash, kind) of every file the catalog references (the ones recovery
        keeps), and the files of versions whose status is one of ``withheld_statuses``, left out.

        A version withheld after an erasure (it could not be recomputed yet) may still hold the
        erased person, and so may its artefacts: they are never exported. Their catalog rows are,
        so the rebuilt workspace knows they need recomputation.
        """
        marks = ", ".join("?" for _ in withheld_statuses)
        withheld = {
            (d, n)
            for d, n in self._con.execute(
                f"SELECT dataset, number FROM versions WHERE status IN ({marks})",
                tuple(withheld_statuses),
            )
        }
        rows, left_out = [], []
        for kind, table in ((version_kind, "versions"), (artefact_kind, "artefacts")):
            sql = f"SELECT path, content_hash, dataset, number FROM {table} ORDER BY path"
            for path, content_hash, dataset, number in self._con.execute(sql):
                if (dataset, number) in withheld:
                    left_out.append(
                        {"path": path, "kind": kind, "dataset": dataset, "number": number}
                    )
                else:
                    rows.append((path, content_hash, kind))
        return rows, left_out


def model_states(con: Any) -> list[tuple[str, str]]:
    """(path, hash) of the shard states of the active model versions (what an export carries
    and an import must place; a forgotten or superseded version's states are destroyed). A model
    whose data is withheld after an erasure may still hold the erased person (it is not served
    until retrained): its states are withheld with that data."""
    from bulle.exchange.manifest import WITHHELD_STATUSES

    marks = ", ".join("?" for _ in WITHHELD_STATUSES)
    return [
        (r[0], r[1])
        for r in con.execute(
            "SELECT DISTINCT s.path, s.hash FROM model_shards s JOIN model_versions v "
            "USING (model, version) WHERE v.status='active' AND json_extract(v.spec_json, "
            "'$.dataset') NOT IN (SELECT dataset || '@' || number FROM versions WHERE status IN "
            f"({marks})) ORDER BY s.path",
            tuple(WITHHELD_STATUSES),
        )
    ]
