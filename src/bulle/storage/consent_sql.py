"""Applying purpose and consent to rows inside the engine, in one query.

The catalog's ``subject_events`` table is the truth; reads use a Parquet snapshot of it
(``cache/choices-*.parquet``, rebuilt only when a choice was recorded since, with each person's
current standing beside it in ``state-choices-*.parquet``; all deletable at any time) so that
the fold "last choice at or before the read" and the join with the data run in DuckDB over
millions of rows, never in Python. The rule is the one of
:func:`bulle.governance.access.subject_filter` (a property test checks they agree):

* a purpose that needs consent sees people whose last consent event at or before the read is
  "given", minus those who objected when the objection right applies;
* a purpose open to objection sees everyone except people who objected by then;
* any other purpose sees everyone.

Rows whose subject id is null are never shown under consent (no consent can be shown) and kept
otherwise. For a pseudonymized version the snapshot carries each id's token under that version's
key, so the join runs on tokens.
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bulle.domain.purposes import Purpose
from bulle.storage.sqltext import ident, lit

if TYPE_CHECKING:
    from bulle.catalog.store import Catalog
    from bulle.governance.subject_filter import SubjectFilter


# A snapshot replaced by a newer one stays this long: a read that chose it a moment before (in
# another thread or process of the same workspace) still finds it; an erasure empties the cache.
STALE_GRACE_S = 3600


@dataclass(frozen=True)
class Tokenization:
    """How the subject column of a pseudonymized version was made from raw ids."""

    key_id: str
    key: bytes
    kind: str | None


def snapshot(catalog: Catalog, cache_dir: Path, tokens: Tokenization | None = None) -> Path:
    """The Parquet snapshot of every subject choice, for the current state of the catalog."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    last = int(
        catalog.con.execute("SELECT coalesce(max(seq), 0) FROM subject_events").fetchone()[0]
    )
    prefix = f"choices-tok-{tokens.key_id}-{tokens.kind or 'text'}-" if tokens else "choices-raw-"
    path = cache_dir / f"{prefix}{last}.parquet"  # seq only grows; an erasure empties the cache
    if path.exists():
        return path
    cache_dir.mkdir(parents=True, exist_ok=True)
    rows = catalog.con.execute(
        "SELECT seq, subject_id, purpose, kind, at FROM subject_events"
    ).fetchall()
    cols = list(zip(*rows, strict=True)) if rows else [[], [], [], [], []]
    table = pa.table(
        {
            "seq": pa.array(cols[0], pa.int64()),
            "subject_id": pa.array(cols[1], pa.string()),
            "purpose": pa.array(cols[2], pa.string()),
            "kind": pa.array(cols[3], pa.string()),
            "event_at": pa.array(cols[4], pa.string()),
        }
    )
    if tokens is not None:
        from bulle.vault.pseudonymize import normalize, token

        cache: dict[str, str] = {}
        out = []
        for sid in cols[1]:
            t = cache.get(sid)
            if t is None:
                t = cache[sid] = token(tokens.key, tokens.key_id, normalize(sid, tokens.kind))
            out.append(t)
        table = table.append_column("token", pa.array(out, pa.string()))
    tmp = path.with_name(
        f".{path.name}.{os.getpid()}-{uuid.uuid4().hex}.tmp"
    )  # racing writers: each its own
    pq.write_table(table, tmp)
    _write_state(tmp, state_path(path), "token" if tokens else "subject_id")
    tmp.replace(path)
    stale = [
        *cache_dir.glob(f"{prefix}*.parquet"),
        *cache_dir.glob(f"state-{prefix}*.parquet"),
        *cache_dir.glob("hidden-*.parquet"),
    ]
    now = time.time()
    for old in stale:  # built from older snapshots: kept while a concurrent read may still use one
        if old not in (path, state_path(path)):
            with contextlib.suppress(FileNotFoundError):
                if now - old.stat().st_mtime > STALE_GRACE_S:
                    old.unlink(missing_ok=True)
    return path


def state_path(snapshot_path: Path) -> Path:
    return snapshot_path.with_name("state-" + snapshot_path.name)


def _write_state(events: Path, dest: Path, id_column: str) -> None:
    """Each person's standing per purpose after the last recorded event (what reads 'now' need).

    A read at or after the latest event time uses this instead of folding the events again; a
    read dated earlier folds the events (the same rule, checked by a property test).
    """
    import duckdb

    sid = ident(id_column)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}-{uuid.uuid4().hex}.tmp")
    con = duckdb.connect()
    try:
        con.execute(f"""
            COPY (
              SELECT purpose, {sid} AS sid,
                     arg_max(kind, struct_pack(a := event_at, b := seq))
                       FILTER (WHERE kind IN ('given', 'withdrawn')) AS consent,
                     bool_or(kind = 'objected') AS objected,
                     (SELECT max(event_at) FROM read_parquet({lit(events)})) AS last_event_at
              FROM read_parquet({lit(events)}) GROUP BY purpose, {sid}
            ) TO {lit(tmp)} (FORMAT parquet)""")
    finally:
        con.close()
    tmp.replace(dest)


def _hidden_list(
    data: Path, subject_column: str, consenting: str, choices: Path, purpose: Purpose
) -> Path:
    """People present in ``data`` who may not be seen (the complement of the consenting set)."""
    import hashlib

    import duckdb

    key = hashlib.sha256(
        f"{data}\x00{choices.name}\x00{purpose.name}\x00{purpose.objection_applies}".encode()
    )
    path = choices.parent / f"hidden-{key.hexdigest()[:32]}.parquet"
    if path.exists():
        return path
    subj = ident(subject_column)
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{uuid.uuid4().hex}.tmp")
    con = duckdb.connect()
    try:
        con.execute(f"""COPY (SELECT DISTINCT {subj}::VARCHAR AS sid FROM read_parquet({lit(data)}) AS t
                         WHERE {subj} IS NOT NULL AND {subj}::VARCHAR NOT IN ({consenting}))
                       TO {lit(tmp)} (FORMAT parquet)""")
    finally:
        con.close()
    tmp.replace(path)
    return path


def _last_event_at(state: Path) -> str | None:
    import pyarrow.parquet as pq

    table = pq.read_table(state, columns=["last_event_at"])
    return table.column(0)[0].as_py() if table.num_rows else None


@dataclass(frozen=True)
class VisibleRead:
    """A project's read of a version: declared ``columns``, the people visible for ``purpose`` at
    ``at_iso`` (``choices``: the consent snapshot). Services plan it; the engine runs it."""

    data: Path
    columns: tuple[str, ...]
    subject_column: str | None
    purpose: Purpose
    at_iso: str
    choices: Path | None
    id_column: str = "subject_id"

    def summary(self) -> dict[str, Any]:
        """Which people the read keeps and why (for the audit trail): no SQL, no row."""
        purpose, at_iso = self.purpose, self.at_iso
        if not _filters(self.subject_column, self.choices, purpose):
            return {
                "mode": "all",
                "purpose": purpose.name,
                "at": at_iso,
                "reason": f"{purpose.legal_basis.article}: no consent needed and no right to object"
                if self.subject_column
                else "no subject column: not personal data",
            }
        if purpose.needs_consent:
            return {
                "mode": "allow",
                "purpose": purpose.name,
                "at": at_iso,
                "reason": f"{purpose.legal_basis.article}: only people whose consent is given and not "
                "withdrawn at the read",
            }
        return {
            "mode": "deny",
            "purpose": purpose.name,
            "at": at_iso,
            "reason": f"{purpose.legal_basis.article}: everyone except people who objected (art. 21)",
        }

    def sql(self) -> str:
        return filtered_select(
            self.data,
            list(self.columns),
            self.subject_column,
            self.purpose,
            self.at_iso,
            self.choices,
            self.id_column,
        )[0]


def _filters(subject_column: str | None, choices: Path | None, purpose: Purpose) -> bool:
    return not (
        subject_column is None
        or choices is None
        or not (purpose.needs_consent or purpose.objection_applies)
    )


def filtered_select(
    data: Path,
    columns: list[str],
    subject_column: str | None,
    purpose: Purpose,
    at_iso: str,
    choices: Path | None,
    id_column: str = "subject_id",
) -> tuple[str, dict[str, Any]]:
    """SQL selecting ``columns`` of ``data`` visible for ``purpose`` at ``at_iso``, and its summary."""
    summary = VisibleRead(
        data, tuple(columns), subject_column, purpose, at_iso, choices, id_column
    ).summary()
    cols = ", ".join(f"t.{ident(c)}" for c in columns)
    base = f"SELECT {cols} FROM read_parquet({lit(data)}) AS t"
    if not _filters(subject_column, choices, purpose):
        return base, summary
    subj = f"t.{ident(subject_column)}"
    current, objected, consenting = _people_sql(choices, purpose, at_iso, id_column)
    if purpose.needs_consent and current:
        # Most people consent: the short list is of those hidden. It depends only on this version
        # and this snapshot, so it is computed once and reused until a choice is recorded.
        hidden = _hidden_list(data, subject_column, consenting, choices, purpose)
        sql = (
            f"{base} ANTI JOIN read_parquet({lit(hidden)}) AS h ON {subj}::VARCHAR = h.sid "
            f"WHERE {subj} IS NOT NULL"
        )
    elif purpose.needs_consent:
        sql = f"{base} SEMI JOIN ({consenting}) AS v ON {subj}::VARCHAR = v.sid"
    else:
        sql = f"{base} ANTI JOIN ({objected}) AS o ON {subj}::VARCHAR = o.sid"
    return sql, summary


def _people_sql(
    choices: Path, purpose: Purpose, at_iso: str, id_column: str
) -> tuple[bool, str, str]:
    """Whether the read is current, and the queries of the people who objected and of those who
    consent (each a relation of one ``sid`` column) for ``purpose`` at ``at_iso``."""
    ev = f"read_parquet({lit(choices)})"
    sid = ident(id_column)
    p, at = lit(purpose.name), lit(at_iso)
    state = state_path(choices)
    current = state.exists() and at_iso >= (_last_event_at(state) or "")
    if current:  # nothing happened after the read time: use each person's standing
        st = f"read_parquet({lit(state)})"
        objected = f"SELECT sid FROM {st} WHERE purpose = {p} AND objected"
        consenting = f"SELECT sid FROM {st} WHERE purpose = {p} AND consent = 'given'"
        if purpose.objection_applies:
            consenting += " AND NOT objected"
    else:
        objected = (
            f"SELECT DISTINCT {sid} AS sid FROM {ev} WHERE purpose = {p} AND event_at <= {at} "
            "AND kind = 'objected'"
        )
        consenting = (
            f"SELECT sid FROM (SELECT {sid} AS sid, arg_max(kind, struct_pack(a := event_at, b := seq)) AS last_kind "
            f"FROM {ev} WHERE purpose = {p} AND event_at <= {at} AND kind IN ('given', 'withdrawn') GROUP BY 1) "
            "WHERE last_kind = 'given'"
        )
        if purpose.objection_applies:
            consenting += f" EXCEPT {objected}"
    return current, objected, consenting


def people(read: VisibleRead) -> tuple[str, frozenset[str]]:
    """The people a read keeps (``allow``) or drops (``deny``), folded from the consent snapshot
    on the server, for an engine that joins them to the rows itself; ``all``: no filter."""
    if not _filters(read.subject_column, read.choices, read.purpose) or read.choices is None:
        return "all", frozenset()
    import duckdb

    _, objected, consenting = _people_sql(read.choices, read.purpose, read.at_iso, read.id_column)
    con = duckdb.connect()
    try:
        sql = consenting if read.purpose.needs_consent else objected
        ids = frozenset(r[0] for r in con.execute(f"SELECT sid FROM ({sql})").fetchall())
    finally:
        con.close()
    return ("allow" if read.purpose.needs_consent else "deny"), ids


def subject_condition(rule: SubjectFilter, column: str, ids_relation: str) -> str:
    """A DuckDB WHERE condition over ``column`` applying ``rule``, with ``ids_relation`` a registered
    ``rule.ids_table()``: the SQL twin of ``SubjectFilter.apply_arrow``."""
    from bulle.governance.subject_filter import ID_COLUMN, FilterMode

    col, rel = ident(column), ident(ids_relation)
    if rule.mode is FilterMode.ALL:
        return "TRUE"
    subquery = f"(SELECT {ident(ID_COLUMN)} FROM {rel})"
    if rule.mode is FilterMode.ALLOW:
        return f"{col} IN {subquery}"
    return f"({col} IS NULL OR {col} NOT IN {subquery})"
