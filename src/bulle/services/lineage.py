"""Recomputing derived versions from their lineage, one recomputer per operation.

After an erasure, every version derived from a rewritten one must be recomputed from its parent,
or withheld. A recomputer takes the derived version and its (already rewritten) parent and returns
a temporary Parquet file of the recomputed rows plus the artefacts to replace. Operations register
in ``RECOMPUTERS`` (entry-point group ``bulle.recomputers``) like plug-ins; an operation with no
recomputer leaves its versions withheld (``needs_recompute``) until someone recomputes them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bulle.registry import Registry

if TYPE_CHECKING:
    from bulle.domain.datasets import DatasetVersion
    from bulle.workspace import Workspace

Recomputer = Callable[
    ["Workspace", "DatasetVersion", "DatasetVersion"], tuple[Path, list[dict[str, Any]]]
]
# Operations defined in other packages register their recomputers when imported.
RECOMPUTERS: Registry[Recomputer] = Registry(
    "recomputers",
    "lineage recomputer",
    (
        "bulle.services.pseudonymization",
        "bulle.services.anonymization",
        "bulle.services.text",
        "bulle.services.synthesis_workspace",
    ),
)


def register(operation: str) -> Callable[[Recomputer], Recomputer]:
    return RECOMPUTERS.register(operation)


def recomputer_for(operation: str) -> Recomputer | None:
    return RECOMPUTERS.find(operation)


def descendants(ws: Workspace, refs: set[str]) -> list[DatasetVersion]:
    """Every version derived, directly or not, from ``refs``, parents before children."""
    out: list[DatasetVersion] = []
    seen = set(refs)
    for v in sorted(ws.catalog.versions(), key=lambda v: v.created_at):
        if v.ref not in seen and any(p in seen for p in v.parents):
            seen.add(v.ref)
            out.append(v)
    return out
