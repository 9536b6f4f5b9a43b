"""The rows a model is trained on: a project's governed read, people placed by the model key.

Training by a project member goes through the project's read (its access decision, its people
filter, its audit event). The custodian (training for a project, forgetting, verifying a forget)
reads the same way minus the membership rule: the project's declared columns, the people its
purpose may see now, recorded as a read for the project. Either way a row is kept only when it
names its person: each row's subject id, as the catalog's subject index holds it (tokens of a
pseudonymized version are mapped back through the index), is what places the person.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from bulle.domain.actor import Role
from bulle.domain.datasets import ColumnRole, DatasetVersion, VersionRef
from bulle.errors import AccessDenied, InputError, Where
from bulle.learning.encoding import Encoding
from bulle.learning.sharding import model_key, subject_key
from bulle.learning.sisa import Rows
from bulle.services.model_placement import Placement, place_values

if TYPE_CHECKING:
    import pyarrow as pa

    from bulle.domain.projects import Project
    from bulle.workspace import Workspace

EXCLUDED_ROLES = (ColumnRole.SUBJECT_ID, ColumnRole.DIRECT_IDENTIFIER, ColumnRole.FREE_TEXT)


@dataclass(frozen=True)
class ProjectRows:
    table: pa.Table
    version: DatasetVersion
    project: Project
    excluded: set[str]  # columns that may never be features
    subject_column: str


def read_rows(ws: Workspace, project_name: str, dataset: str) -> ProjectRows:
    """The rows of ``dataset`` (``NAME`` or ``NAME@N``) the project may use now."""
    from bulle.services import governance as gov
    from bulle.storage.engine import VISIBLE_READ

    project = gov.store(ws).project(project_name)
    member = project.member(ws.actor.name)
    if member is not None and member.role is ws.actor.role:
        table, v = gov.read_served(ws, project_name, dataset)
    elif ws.actor.role in (Role.CUSTODIAN, Role.SYSTEM):
        ws.engine.require(VISIBLE_READ)
        table, v = _custodian_read(ws, project, dataset)
    else:
        raise AccessDenied(
            f"{ws.actor.name!r} is not a member of project {project_name!r}: only its members "
            "and a custodian train or use its models"
        )
    gd = gov.governed(ws, v)
    if gd.subject_column is None or gd.subject_column not in table.column_names:
        raise InputError(
            f"{v.ref} has no subject-id column among the project's columns: a model that can "
            "forget needs to know whose each row is",
            Where(field="dataset"),
        )
    roles = ws.catalog.roles(v.dataset, v.number)
    excluded = {r.column for r in roles if r.role in EXCLUDED_ROLES} | {gd.subject_column}
    return ProjectRows(table, v, project, excluded, gd.subject_column)


def _custodian_read(ws: Workspace, project: Project, dataset: str) -> tuple[pa.Table, Any]:
    from bulle.services import governance as gov
    from bulle.storage.consent_sql import VisibleRead, snapshot

    if project.approval is None:
        raise AccessDenied(f"project {project.name!r} has not been approved by a custodian")
    wanted = VersionRef.parse(dataset)
    use = project.use_of(wanted.dataset)
    if use is None:
        raise AccessDenied(
            f"project {project.name!r} does not read dataset {wanted.dataset!r}",
            Where(field="dataset"),
        )
    if wanted.number is not None:  # a model's recorded version (erasure: through the catalog)
        v = ws.catalog.resolve(dataset)
    else:
        bound = gov.bound_version(ws, use)
        if bound is None:
            raise InputError(
                f"no version of {wanted.dataset!r} is bound to project {project.name!r}"
            )
        v = bound
    gd = gov.governed(ws, v)
    at = gov.now_utc()
    choices = None
    if gd.subject_column and gd.personal:
        choices = snapshot(
            ws.catalog, ws.root / "cache", gov._tokenization(ws, v, gd.subject_column)
        )
    id_column = "token" if choices is not None and "-tok-" in choices.name else "subject_id"
    columns = tuple(c for c in use.columns if c in gd.columns)
    read = VisibleRead(
        ws.path_of(v),
        columns,
        gd.subject_column if gd.personal else None,
        project.purpose,
        gov.iso(at),
        choices,
        id_column,
    )
    table = ws.engine.read_visible(read)
    gov.record_read(ws, project, v, table.num_rows, read.summary())
    return table, v


def placed_rows(
    ws: Workspace,
    pr: ProjectRows,
    enc: Encoding,
    spec: dict[str, Any],
    *,
    model: str | None = None,
    only: Iterable[int] | None = None,
    placed: Placement | None = None,
) -> tuple[Rows, Placement]:
    """Encoded rows of the people that can be placed (only those of the shards ``only``, ``-1``
    for the held-out people, when given), in canonical order, and every row's placement.

    ``spec`` holds ``shards``, ``seed`` and ``held_out_share``; ``model`` names the model whose
    placement file to use (``services.model_placement``), ``placed`` the rows' placement when the
    caller already has it. Only the kept rows are encoded."""
    if placed is None:
        placed = place_rows(ws, pr, spec, model)
    keep = placed.placed
    shards = placed.shards
    if only is not None:
        keep = keep & np.isin(shards, np.fromiter(only, dtype=np.int64))
    table = pr.table.filter(keep) if not keep.all() else pr.table
    num, cat = enc.encode(table)
    rows = Rows(num, cat, enc.labels(table), placed.refs(keep), shards[keep])
    return canonical(rows), placed


def place_rows(ws: Workspace, pr: ProjectRows, spec: dict[str, Any], model: str | None):
    """The placement of each row of ``pr`` (``services.model_placement``)."""
    column = pr.table.column(pr.subject_column)
    return place_values(ws, pr.version, pr.subject_column, column, spec, model)


def manifest_of(placed: Placement) -> dict[str, int]:
    """The manifest of a training: each placed person's reference and shard."""
    refs, shards = placed.people()
    return dict(zip(refs.tolist(), shards.tolist(), strict=True))


def canonical(rows: Rows) -> Rows:
    """The rows in an order that depends on their content only: by person, then by values.

    The engine may hand a large version's rows over in any order (parallel scans), and a shard's
    state depends on the order of its rows; sorting by the person's reference and then every
    encoded value makes a retrain see its rows in the same order in any process. Rows equal in
    every value are interchangeable, so their relative order does not matter.
    """
    order = np.lexsort(
        [rows.y]
        + [rows.cat[:, j] for j in reversed(range(rows.cat.shape[1]))]
        + [rows.num[:, j] for j in reversed(range(rows.num.shape[1]))]
        + [rows.keys]
    )
    return rows.take(order)


def keys_of(ws: Workspace, subject_ids: list[str]) -> dict[str, str]:
    """Manifest reference of each subject id."""
    with ws.write_lock():
        key = model_key(ws.keys_dir)
    return {s: subject_key(key, s) for s in subject_ids}


def visible_keys(ws: Workspace, model_version: dict[str, Any]) -> np.ndarray:
    """Manifest references of the people of a model version's data its purpose sees now.

    Reads the subject column only, inside the engine, and hands no row to anyone: it decides
    whether a model may still be served and whom a forget must also drop.
    """
    from bulle.services import governance as gov
    from bulle.storage.consent_sql import VisibleRead, snapshot

    spec = model_version["spec"]
    project = gov.store(ws).project(spec["project"])
    v = ws.catalog.resolve(spec["dataset"])
    gd = gov.governed(ws, v)
    if gd.subject_column is None:
        return np.empty(0, dtype="<U32")
    choices = None
    if gd.personal:
        choices = snapshot(
            ws.catalog, ws.root / "cache", gov._tokenization(ws, v, gd.subject_column)
        )
    id_column = "token" if choices is not None and "-tok-" in choices.name else "subject_id"
    read = VisibleRead(
        ws.path_of(v),
        (gd.subject_column,),
        gd.subject_column if gd.personal else None,
        project.purpose,
        gov.iso(gov.now_utc()),
        choices,
        id_column,
    )
    values = ws.engine.read_visible(read).column(0)
    placed = place_values(ws, v, gd.subject_column, values, spec, model_version["model"])
    return placed.people()[0]
