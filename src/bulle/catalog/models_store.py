"""The catalog's model tables: models, versions, shards, the training manifest, receipts, audits.

The manifest is versioned by intervals (``from_version`` .. ``to_version``, exclusive) rather than
copied per version: forgetting one person among 700,000 closes one row instead of rewriting them
all, and every version's manifest can still be read back (``manifest(model, version)``), which is
what ``verify-forget`` retrains from. The caller holds the workspace lock and a transaction for
every write.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from bulle.catalog.store import Catalog
from bulle.errors import NotFoundError, Where


class ModelStore:
    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        self.con = catalog.con

    # -- models and versions -----------------------------------------------------------------------
    def add_model(self, name: str, project: str, purpose: str, at: str, by: dict) -> None:
        self.con.execute(
            "INSERT INTO models(name, project, purpose, created_at, created_by) VALUES(?,?,?,?,?)",
            (name, project, purpose, at, json.dumps(by)),
        )

    def model(self, name: str) -> dict[str, Any]:
        row = self.con.execute(
            "SELECT name, project, purpose, created_at FROM models WHERE name=?", (name,)
        ).fetchone()
        if row is None:
            raise NotFoundError(f"no model named {name!r}", Where(field="model"))
        return {"name": row[0], "project": row[1], "purpose": row[2], "created_at": row[3]}

    def models(self) -> list[dict[str, Any]]:
        names = [r[0] for r in self.con.execute("SELECT name FROM models ORDER BY name")]
        return [self.model(n) for n in names]

    def has_model(self, name: str) -> bool:
        return self.con.execute("SELECT 1 FROM models WHERE name=?", (name,)).fetchone() is not None

    def add_version(
        self,
        model: str,
        version: int,
        spec: dict,
        lineage: dict,
        model_hash: str,
        metrics: dict,
        at: str,
        by: dict,
    ) -> None:
        self.con.execute(
            "INSERT INTO model_versions(model, version, status, spec_json, lineage_json, "
            "model_hash, metrics_json, created_at, created_by) VALUES(?,?,?,?,?,?,?,?,?)",
            (
                model,
                version,
                "active",
                json.dumps(spec, sort_keys=True),
                json.dumps(lineage, sort_keys=True),
                model_hash,
                json.dumps(metrics, sort_keys=True),
                at,
                json.dumps(by),
            ),
        )

    def set_status(self, model: str, version: int, status: str) -> None:
        self.con.execute(
            "UPDATE model_versions SET status=? WHERE model=? AND version=?",
            (status, model, version),
        )

    def versions(self, model: str) -> list[dict[str, Any]]:
        rows = self.con.execute(
            "SELECT version, status, spec_json, lineage_json, model_hash, metrics_json, created_at,"
            " created_by FROM model_versions WHERE model=? ORDER BY version",
            (model,),
        ).fetchall()
        return [
            {
                "model": model,
                "version": r[0],
                "status": r[1],
                "spec": json.loads(r[2]),
                "lineage": json.loads(r[3]),
                "model_hash": r[4],
                "metrics": json.loads(r[5]),
                "created_at": r[6],
                "created_by": json.loads(r[7]),
            }
            for r in rows
        ]

    def version(self, model: str, version: int | None = None) -> dict[str, Any]:
        """``version`` of ``model``, or its newest when None."""
        vs = self.versions(self.model(model)["name"])
        for v in reversed(vs):
            if version is None or v["version"] == version:
                return v
        raise NotFoundError(f"model {model!r} has no version {version}", Where(field="model"))

    # -- shards and manifest ---------------------------------------------------------------------
    def add_shards(self, model: str, version: int, shards: Iterable[dict[str, Any]]) -> None:
        self.con.executemany(
            "INSERT INTO model_shards(model, version, shard, hash, path, rows, subjects) "
            "VALUES(?,?,?,?,?,?,?)",
            [
                (model, version, s["shard"], s["hash"], s["path"], s["rows"], s["subjects"])
                for s in shards
            ],
        )

    def shards(self, model: str, version: int) -> list[dict[str, Any]]:
        rows = self.con.execute(
            "SELECT shard, hash, path, rows, subjects FROM model_shards WHERE model=? AND version=?"
            " ORDER BY shard",
            (model, version),
        ).fetchall()
        return [
            {"shard": r[0], "hash": r[1], "path": r[2], "rows": r[3], "subjects": r[4]}
            for r in rows
        ]

    def paths_in_use(self, model: str) -> set[str]:
        """Shard files some active version still needs."""
        return {
            r[0]
            for r in self.con.execute(
                "SELECT s.path FROM model_shards s JOIN model_versions v USING (model, version)"
                " WHERE s.model=? AND v.status='active'",
                (model,),
            )
        }

    def add_manifest(self, model: str, version: int, entries: Iterable[tuple[str, int]]) -> None:
        self.con.executemany(
            "INSERT INTO model_manifest(model, subject_key, shard, from_version, to_version) "
            "VALUES(?,?,?,?,NULL)",
            [(model, key, shard, version) for key, shard in entries],
        )

    def close_manifest(self, model: str, keys: Iterable[str], version: int) -> None:
        """The people ``keys`` are not in ``version`` and later ones."""
        self.con.executemany(
            "UPDATE model_manifest SET to_version=? WHERE model=? AND subject_key=? "
            "AND to_version IS NULL",
            [(version, model, k) for k in keys],
        )

    def close_all_manifest(self, model: str, version: int) -> None:
        """A new training: nobody of the earlier manifests is in ``version`` unless added again."""
        self.con.execute(
            "UPDATE model_manifest SET to_version=? WHERE model=? AND to_version IS NULL",
            (version, model),
        )

    def manifest(self, model: str, version: int) -> dict[str, int]:
        """Subject key -> shard (-1: held out) of the people in ``version``.

        Read as two concatenated strings (SQLite builds them in C) and cut with NumPy: a Python
        tuple per person costs about a second for 700,000 people. Keys are 32 hex digits; any
        other row (a catalog from elsewhere) makes it read row by row."""
        import numpy as np

        live = (
            "FROM model_manifest WHERE model=? AND from_version<=? "
            "AND (to_version IS NULL OR to_version>?)"
        )
        args = (model, version, version)
        n, keys, shards = self.con.execute(
            "SELECT count(*), group_concat(subject_key, ''), "
            f"group_concat(printf('%05d', shard + 1), '') {live} "
            "AND length(subject_key)=32 AND shard BETWEEN -1 AND 99998",
            args,
        ).fetchone()
        total = self.con.execute(f"SELECT count(*) {live}", args).fetchone()[0]
        if not n or n != total or len(keys) != 32 * n or len(shards) != 5 * n or not keys.isascii():
            return dict(self.con.execute(f"SELECT subject_key, shard {live}", args).fetchall())
        k = np.frombuffer(keys.encode("ascii"), dtype="S32").astype("<U32")
        s = np.frombuffer(shards.encode("ascii"), dtype="S5").astype(np.int64) - 1
        return dict(zip(k.tolist(), s.tolist(), strict=True))

    def holders(self, keys_by_model: dict[str, str]) -> list[tuple[str, int]]:
        """(model, shard) of each model whose newest manifest holds its key."""
        out = []
        for model, key in keys_by_model.items():
            row = self.con.execute(
                "SELECT shard FROM model_manifest WHERE model=? AND subject_key=? "
                "AND to_version IS NULL",
                (model, key),
            ).fetchone()
            if row is not None:
                out.append((model, row[0]))
        return out

    def consent_seq(self) -> int:
        """The last recorded subject choice: the consent snapshot a training saw."""
        return int(
            self.con.execute("SELECT coalesce(max(seq), 0) FROM subject_events").fetchone()[0]
        )

    # -- receipts and audits ---------------------------------------------------------------------
    def add_receipt(self, receipt: dict[str, Any], signature: str, key_id: str) -> None:
        self.con.execute(
            "INSERT INTO unlearning_receipts(id, model, old_version, new_version, body_json, "
            "signature, key_id, at) VALUES(?,?,?,?,?,?,?,?)",
            (
                receipt["id"],
                receipt["model"],
                receipt["old_version"],
                receipt["new_version"],
                json.dumps(receipt, sort_keys=True),
                signature,
                key_id,
                receipt["at"],
            ),
        )

    def receipt(self, receipt_id: str) -> dict[str, Any]:
        row = self.con.execute(
            "SELECT body_json, signature, key_id FROM unlearning_receipts WHERE id=?",
            (receipt_id,),
        ).fetchone()
        if row is None:
            raise NotFoundError(f"no unlearning receipt {receipt_id!r}", Where(field="receipt"))
        return {"body": json.loads(row[0]), "signature": row[1], "key_id": row[2]}

    def receipts(self, model: str) -> list[dict[str, Any]]:
        return [
            json.loads(r[0])
            for r in self.con.execute(
                "SELECT body_json FROM unlearning_receipts WHERE model=? ORDER BY new_version",
                (model,),
            )
        ]

    def put_audit(self, model: str, version: int, report: dict, released: bool, at: str) -> None:
        self.con.execute(
            "INSERT INTO model_audits(model, version, report_json, released, at) VALUES(?,?,?,?,?)"
            " ON CONFLICT(model, version) DO UPDATE SET report_json=excluded.report_json, "
            "released=excluded.released, at=excluded.at",
            (model, version, json.dumps(report, sort_keys=True), int(released), at),
        )

    def audit(self, model: str, version: int) -> dict[str, Any] | None:
        row = self.con.execute(
            "SELECT report_json, released, at FROM model_audits WHERE model=? AND version=?",
            (model, version),
        ).fetchone()
        if row is None:
            return None
        return {"report": json.loads(row[0]), "released": bool(row[1]), "at": row[2]}


def indexed_subjects(catalog: Catalog) -> list[str]:
    """Every subject id of the subject index (to map a pseudonymized version's tokens back)."""
    return [r[0] for r in catalog.con.execute("SELECT DISTINCT subject_id FROM subject_index")]
