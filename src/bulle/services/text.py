"""De-identifying the free-text columns of a workspace dataset, as a new version.

The source version is untouched; the result is a version of kind ``text`` whose operation names
the columns, the operator and the pseudonymization key generation, so that it can be recomputed
from its parent after an erasure. Consistent pseudonyms and date offsets across the whole
workspace come from a key derived from the workspace's pseudonymization key (never stored), so
the same person gets the same surrogate in every note of every dataset.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bulle.audit import events as ev
from bulle.domain.datasets import ColumnRole, DatasetVersion, VersionKind
from bulle.errors import InputError, Where
from bulle.governance import access
from bulle.services.lineage import register
from bulle.services.results import Result
from bulle.services.vault import resolve

if TYPE_CHECKING:
    from bulle.workspace import Workspace


@dataclass(frozen=True)
class ColumnsDeidentified(Result):
    source: str
    ref: str
    columns: list[str]
    operator: str
    rows: int
    version: dict[str, Any]


def text_key(ws: Workspace, key_id: str | None = None) -> tuple[str, bytes]:
    key_id, key = ws.keys.pseudonym_key(key_id)
    return key_id, hmac.new(key, b"bulle-text-surrogates-v1", hashlib.sha256).digest()


def deidentify_columns(
    ws: Workspace,
    ref: str,
    *,
    columns: list[str] | None = None,
    operator: str = "pseudonym",
    progress: bool = False,
) -> ColumnsDeidentified:
    """Replace the personal data in free-text columns (default: those whose role is free_text)."""
    from bulle.text.operators import OPERATORS

    access.can_administer(ws.actor, "de-identify text", scope="vault").require()
    source = resolve(ws, ref)
    if operator not in OPERATORS:
        raise InputError(
            f"unknown operator {operator!r}: expected one of {', '.join(OPERATORS.names())}",
            Where(field="--operator"),
        )
    roles = ws.catalog.roles(source.dataset, source.number)
    names = [c["name"] for c in source.schema]
    if columns:
        unknown = [c for c in columns if c not in names]
        if unknown:
            raise InputError(
                f"unknown column(s) {', '.join(map(repr, unknown))} in {source.ref}",
                Where(field="--column"),
            )
        targets = list(columns)
    else:
        targets = [r.column for r in roles if r.role is ColumnRole.FREE_TEXT]
    if not targets:
        raise InputError(
            f"{source.ref} has no free-text column (name one with --column, or set a column's "
            "role to free_text)",
            Where(field="--column"),
        )
    key_id, _ = text_key(ws)
    operation = {
        "name": "text",
        "columns": targets,
        "operator": operator,
        "key_id": key_id,
        "pseudonymized": bool(source.operation.get("pseudonymized")),
        "score_threshold": ws.settings["text.score_threshold"],
    }
    tmp = compute(ws, source, operation, progress=progress)
    try:
        schema = [{"name": c["name"], "type": c["type"]} for c in source.schema]
        version = ws.commit_version(
            tmp,
            dataset=source.dataset,
            kind=VersionKind.TEXT,
            parents=[source.ref],
            operation=operation,
            row_count=ws.engine.row_count(tmp),
            schema=schema,
            personal_data=source.personal_data,
            roles=roles,
            event=lambda v: ev.TextDeidentified(
                actor=ws.actor,
                target=v.ref,
                details={
                    "source": source.ref,
                    "columns": targets,
                    "operator": operator,
                    "content_hash": v.content_hash,
                },
            ),
        )
    finally:
        tmp.unlink(missing_ok=True)
    return ColumnsDeidentified(
        source.ref, version.ref, targets, operator, version.row_count, version.to_dict()
    )


def compute(
    ws: Workspace, source: DatasetVersion, operation: dict[str, Any], progress: bool = False
) -> Path:
    """Write ``source`` with its text columns de-identified to a temporary Parquet file.

    The detector's score threshold is the one recorded in ``operation`` (the workspace's
    ``text.score_threshold`` when the version was made), so a recomputation finds the same spans.
    """
    import pyarrow as pa

    from bulle.settings import default
    from bulle.text.config import DetectorConfig
    from bulle.text.service import deidentify_texts

    config = DetectorConfig(
        score_threshold=operation.get("score_threshold", default("text.score_threshold"))
    )

    table = ws.engine.read_table(ws.path_of(source))
    _, key = text_key(ws, operation["key_id"])
    subject = next(
        (
            r.column
            for r in ws.catalog.roles(source.dataset, source.number)
            if r.role is ColumnRole.SUBJECT_ID
        ),
        None,
    )
    subjects = (
        [None if s is None else str(s) for s in table.column(subject).to_pylist()]
        if subject
        else None
    )
    for col in operation["columns"]:
        values = table.column(col).to_pylist()
        present = [i for i, v in enumerate(values) if v is not None and str(v).strip()]
        texts = [str(values[i]) for i in present]
        done = deidentify_texts(
            texts,
            operation["operator"],
            key=key,
            config=config,
            subjects=[subjects[i] for i in present] if subjects else None,
            progress=progress,
        )
        for i, text in zip(present, done, strict=True):
            values[i] = text
        idx = table.column_names.index(col)
        table = table.set_column(idx, col, pa.array(values, type=pa.string()))
    tmp = ws.temp_path()
    ws.engine.write_table(table, tmp)
    return tmp


@register("text")
def recompute(
    ws: Workspace, version: DatasetVersion, parent: DatasetVersion
) -> tuple[Path, list[dict[str, Any]]]:
    return compute(ws, parent, version.operation), []
