"""Recomputing derived versions from their lineage, one recomputer per operation.

After an erasure, every version derived from a rewritten one must be recomputed from its parent,
or withheld. A recomputer takes the derived version and its (already rewritten) parent and returns
a temporary Parquet file of the recomputed rows plus the artefacts to replace. Operations register
here like plug-ins; an operation with no recomputer leaves its versions withheld
(``needs_recompute``) until someone recomputes them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bulle.domain.datasets import DatasetVersion
    from bulle.workspace import Workspace

Recomputer = Callable[["Workspace", "DatasetVersion", "DatasetVersion"], tuple[Path, list[dict[str, Any]]]]
RECOMPUTERS: dict[str, Recomputer] = {}


def register(operation: str) -> Callable[[Recomputer], Recomputer]:
    def deco(fn: Recomputer) -> Recomputer:
        RECOMPUTERS[operation] = fn
        return fn

    return deco


def recomputer_for(operation: str) -> Recomputer | None:
    _load_builtins()
    return RECOMPUTERS.get(operation)


def descendants(ws: Workspace, refs: set[str]) -> list[DatasetVersion]:
    """Every version derived, directly or not, from ``refs``, parents before children."""
    out: list[DatasetVersion] = []
    seen = set(refs)
    for v in sorted(ws.catalog.versions(), key=lambda v: v.created_at):
        if v.ref not in seen and any(p in seen for p in v.parents):
            seen.add(v.ref)
            out.append(v)
    return out


def _load_builtins() -> None:
    """Operations defined in other packages register their recomputers on import."""
    import importlib

    for module in ("bulle.services.anonymization", "bulle.services.pseudonymization", "bulle.services.text"):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
