"""The subject index: subject id → the imported versions whose subject-id column holds them.

It serves consent filtering (which people a project's read may see). It is rebuilt whenever an
import or a role change names a subject-id column, so the vault service calls it; it needs only
the catalog and the engine, never the governance or rights services, which is what lets the vault
import it without an import cycle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bulle.catalog.governance_store import GovernanceStore
from bulle.domain.datasets import ColumnRole, DatasetVersion

if TYPE_CHECKING:
    from bulle.workspace import Workspace


def subject_column(ws: Workspace, v: DatasetVersion) -> str | None:
    """The version's confirmed or suggested subject-id column, if it has one."""
    return next(
        (
            r.column
            for r in ws.catalog.roles(v.dataset, v.number)
            if r.role is ColumnRole.SUBJECT_ID
        ),
        None,
    )


def index_version(ws: Workspace, v: DatasetVersion) -> int:
    """(Re)build the subject index of an imported version from its subject-id column."""
    col = subject_column(ws, v)
    st = GovernanceStore(ws.catalog)
    if col is None:
        with ws.write_lock(), ws.catalog.transaction():
            return st.index_version(v.dataset, v.number, [])
    rows = ws.engine.value_counts(ws.path_of(v), col)  # counted outside the lock
    with ws.write_lock(), ws.catalog.transaction():
        return st.index_version(v.dataset, v.number, rows)
