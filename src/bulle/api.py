"""Bulle's Python API: the CLI's commands as methods, pandas and Arrow in and out.

>>> import bulle
>>> ws = bulle.init_workspace("vault", user="alice")          # or bulle.open_workspace(...)
>>> v = ws.import_table("patients.csv", dataset="patients")
>>> ws.profile("patients")["columns"][0]["role"]
>>> ws.set_roles("patients", confirm_all=True)   # the custodian confirms the suggested roles
>>> ws.pseudonymize("patients")["ref"]
>>> df = ws.read("patients", as_pandas=True)

Every method goes through the same service functions as the CLI, so the same checks, errors and
audit events apply.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bulle.domain.actor import Actor, Role
from bulle.domain.anonymization_requests import AnonymizeRequest, HierarchyRecipe
from bulle.services import audit, governance, pseudonymization, subject_rights, vault
from bulle.workspace import Workspace as _Workspace

__all__ = [
    "Actor",
    "HierarchyRecipe",
    "Role",
    "Workspace",
    "init_workspace",
    "open_workspace",
    "synthesize",
]


def _pandas(table):
    """pandas for a table; a date column Python cannot hold (``infinity``, year 294247) comes as text."""
    from bulle.storage.python_values import to_pandas

    return to_pandas(table)


def _actor(user: str | None, role: str | Role) -> Actor:
    return Actor.from_cli(user, Role(role).value)


def init_workspace(
    path: str | Path,
    *,
    user: str | None = None,
    role: str | Role = "custodian",
    custodian_passphrase: bytes | None = None,
    custodian_key_out: str | Path | None = None,
    engine: str = "duckdb",
    spark_master: str | None = None,
) -> Workspace:
    """A new workspace; the custodian's private key is sealed with ``custodian_passphrase`` (default:
    ``BULLE_CUSTODIAN_PASSPHRASE``) or written to ``custodian_key_out``, outside the workspace.
    ``engine`` holds its rows: ``"duckdb"`` or ``"spark"`` (on ``spark_master``, docs/scale.md)."""
    from bulle.domain.engine_choice import EngineChoice
    from bulle.vault.custodian_key import CustodianKeySetup, passphrase_from_environment

    setup = CustodianKeySetup(
        passphrase=custodian_passphrase or passphrase_from_environment(),
        key_out=Path(custodian_key_out) if custodian_key_out else None,
    )
    choice = EngineChoice(engine, spark_master)
    return Workspace(_Workspace.init(path, _actor(user, role), custodian=setup, choice=choice))


def synthesize(
    data: Any,
    method: str,
    *,
    params: Mapping[str, Any] | None = None,
    seed: int = 0,
    target: str | None = None,
    sensitive: Sequence[str] | None = None,
    quasi_identifiers: Sequence[str] | None = None,
    rows: int | None = None,
) -> tuple[Any, dict[str, Any]]:
    """Synthesize a pandas frame or an Arrow table without a workspace: ``(synthetic, report)``,
    the synthetic rows in the input's kind (pandas or Arrow) and the run with both reports."""
    from bulle.services.synthesis import arrow_to_pandas, synthesize_frame

    arrow = not hasattr(data, "iloc")
    frame = arrow_to_pandas(data) if arrow else data
    done = synthesize_frame(
        frame,
        method,
        params=dict(params or {}),
        seed=seed,
        target=target,
        sensitive=list(sensitive) if sensitive else None,
        quasi_identifiers=list(quasi_identifiers) if quasi_identifiers else None,
        rows=rows,
    )
    if arrow:
        import pyarrow as pa

        return pa.Table.from_pandas(done.synthetic, preserve_index=False), done.run.to_dict()
    return done.synthetic, done.run.to_dict()


def restore_workspace(
    backup: str | Path,
    new_dir: str | Path,
    *,
    user: str | None = None,
    role: str | Role = "custodian",
    custodian_passphrase: bytes | None = None,
    custodian_key_out: str | Path | None = None,
) -> dict[str, Any]:
    """Put a backup back as a workspace in ``new_dir`` after checking it whole; a backup without
    keys gets new ones, the custodian's protected as with :func:`init_workspace`."""
    from bulle.services.backup import restore_workspace as restore
    from bulle.vault.custodian_key import CustodianKeySetup, passphrase_from_environment

    setup = CustodianKeySetup(
        passphrase=custodian_passphrase or passphrase_from_environment(),
        key_out=Path(custodian_key_out) if custodian_key_out else None,
    )
    return restore(backup, new_dir, _actor(user, role), setup).to_dict()


def open_workspace(
    path: str | Path, *, user: str | None = None, role: str | Role = "custodian"
) -> Workspace:
    return Workspace(_Workspace.open(path, _actor(user, role)))


class Workspace:
    """A handle on an open workspace, acting as one actor."""

    def __init__(self, ws: _Workspace):
        self._ws = ws

    @property
    def root(self) -> Path:
        return self._ws.root

    @property
    def actor(self) -> Actor:
        return self._ws.actor

    def close(self) -> None:
        self._ws.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- vault -------------------------------------------------------------------------------
    def import_table(self, source: Any, dataset: str, **options: Any) -> dict[str, Any]:
        """Import a file path, a pandas DataFrame or an Arrow table as a new version."""
        return vault.import_table(self._ws, source, dataset, **options).to_dict()

    def datasets(self) -> list[dict[str, Any]]:
        return vault.list_datasets(self._ws)

    def versions(self, name: str) -> list[dict[str, Any]]:
        return [v.to_dict() for v in self._ws.catalog.versions(name)]

    def profile(self, ref: str, refresh: bool = False) -> dict[str, Any]:
        return vault.profile_dataset(self._ws, ref, refresh=refresh).to_dict()

    def set_roles(
        self,
        ref: str,
        changes: dict[str, str] | None = None,
        *,
        confirm_all: bool = False,
        roles_file: str | Path | None = None,
    ) -> list[dict[str, Any]]:
        result = vault.set_roles(
            self._ws,
            ref,
            changes,
            confirm_all=confirm_all,
            roles_file=Path(roles_file) if roles_file else None,
        )
        return [r.to_dict() for r in result]

    def read(
        self,
        ref: str,
        *,
        columns: list[str] | None = None,
        limit: int | None = None,
        as_pandas: bool = False,
    ):
        table = vault.read_table(self._ws, ref, columns=columns, limit=limit)
        return _pandas(table) if as_pandas else table

    def export_table(
        self, ref: str, out: str | Path, fmt: str | None = None, *, keep_formulas: bool = False
    ) -> dict[str, Any]:
        return vault.export_table(
            self._ws, ref, Path(out), fmt, keep_formulas=keep_formulas
        ).to_dict()

    # -- pseudonymization ------------------------------------------------------------------------
    def pseudonymize(
        self, ref: str, *, columns: list[str] | None = None, reid_table: bool = False
    ) -> dict[str, Any]:
        return pseudonymization.pseudonymize(
            self._ws, ref, columns=columns, reid_table=reid_table
        ).to_dict()

    def rotate_key(self) -> dict[str, Any]:
        return pseudonymization.rotate_key(self._ws).to_dict()

    def reidentify(
        self,
        ref: str,
        tokens: list[str],
        custodian_key: str | Path | None = None,
        *,
        passphrase: bytes | None = None,
    ) -> dict[str, Any]:
        return pseudonymization.reidentify(
            self._ws,
            ref,
            tokens,
            Path(custodian_key) if custodian_key else None,
            passphrase=passphrase,
        ).to_dict()

    # -- anonymization ---------------------------------------------------------------------------
    def anonymize(
        self,
        ref: str,
        *,
        hierarchies: Mapping[str, str | Path | HierarchyRecipe],
        sensitive: Sequence[str] = (),
        k: int | None = None,
        l_diversity: Sequence[str] = (),
        t_closeness: Sequence[str] = (),
        delta_presence: str | None = None,
        suppression: float = 0.0,
        metric: str = "loss",
        gs_factor: float = 0.5,
        aggregate: str | None = None,
        weights: Mapping[str, float] | None = None,
        suppressed_records: str = "star",
        keep: list[str] | None = None,
        drop: list[str] | None = None,
        threshold: float | None = None,
        **model_options: Any,
    ) -> dict[str, Any]:
        """Release ``ref`` as a new version, as `bulle anonymize NAME` does.

        ``hierarchies`` maps each generalized column to an ARX hierarchy file, or to a
        :class:`~bulle.domain.anonymization_requests.HierarchyRecipe` built from the version's
        values; models are written as on the command line (``l_diversity=["distinct:2"]``), a
        plug-in model by its option's name (``min_size=4`` for ``--min-size``). ``threshold`` None:
        the workspace's ``anonymize.risk_threshold``.
        """
        from bulle.services.anonymization_file import anonymize_version

        files = [f"{c}={h}" for c, h in hierarchies.items() if not isinstance(h, HierarchyRecipe)]
        recipes = {c: h for c, h in hierarchies.items() if isinstance(h, HierarchyRecipe)}
        request = AnonymizeRequest.from_options(
            hierarchy=files,
            recipes=recipes,
            sensitive=sensitive,
            k=k,
            l_diversity=l_diversity,
            t_closeness=t_closeness,
            delta_presence=delta_presence,
            suppression=suppression,
            metric=metric,
            gs_factor=gs_factor,
            aggregate=aggregate,
            weight=[f"{c}={w}" for c, w in (weights or {}).items()],
            suppressed_records=suppressed_records,
            **model_options,
        )
        return anonymize_version(self._ws, ref, request, keep=keep, drop=drop, threshold=threshold)

    # -- synthesis -------------------------------------------------------------------------------
    def synthesize(
        self,
        ref: str,
        method: str,
        *,
        params: Mapping[str, Any] | None = None,
        seed: int = 0,
        target: str | None = None,
        sensitive: Sequence[str] | None = None,
        rows: int | None = None,
        as_pandas: bool = True,
    ) -> dict[str, Any]:
        """A synthetic version of ``ref``, as `bulle synthesize NAME` makes it; the result's
        ``"data"`` holds its rows (pandas, or Arrow with ``as_pandas=False``)."""
        from bulle.services.synthesis_workspace import synthesize_version

        result = synthesize_version(
            self._ws,
            ref,
            method,
            params=dict(params or {}),
            seed=seed,
            target=target,
            sensitive=list(sensitive) if sensitive else None,
            rows=rows,
        ).to_dict()
        table = vault.read_table(self._ws, result["ref"])
        result["data"] = _pandas(table) if as_pandas else table
        return result

    def mark_anonymous(self, ref: str, reason: str) -> dict[str, Any]:
        """Mark a synthetic version as not personal data (refused over the risk thresholds)."""
        from bulle.services.synthesis_workspace import mark_anonymous

        return mark_anonymous(self._ws, ref, reason).to_dict()

    # -- governance ------------------------------------------------------------------------------
    def declare_purpose(
        self, name: str, description: str, legal_basis: str, **options: Any
    ) -> dict[str, Any]:
        return governance.declare_purpose(
            self._ws, name, description, legal_basis, **options
        ).to_dict()

    def set_dataset_purpose(self, dataset: str, purpose: str) -> dict[str, Any]:
        return governance.set_dataset_purpose(self._ws, dataset, purpose).to_dict()

    def record_choices(self, choices: list[Any]) -> dict[str, Any]:
        """Record :class:`~bulle.domain.consents.Consent` and :class:`~bulle.domain.consents.Objection` events."""
        return governance.record_choices(self._ws, choices).to_dict()

    def create_project(
        self,
        name: str,
        purpose: str,
        datasets: dict[str, list[str]],
        members: list[tuple[str, str]],
        valid_from: Any,
        valid_until: Any,
        description: str = "",
        *,
        kind: str | dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """``datasets`` maps ``NAME@N`` (that version) or ``NAME`` (the latest of ``kind``) to columns."""
        return governance.create_project(
            self._ws,
            name,
            purpose,
            datasets,
            members,
            valid_from,
            valid_until,
            description,
            kind=kind,
        ).to_dict()

    def approve_project(
        self, name: str, *, allow_raw: bool = False, row_access: str | None = None
    ) -> dict[str, Any]:
        """``row_access``: none, view or export (None: none for personal data, else export)."""
        return governance.approve_project(
            self._ws, name, allow_raw=allow_raw, row_access=row_access
        ).to_dict()

    def read_for_project(
        self, project: str, ref: str, columns: list[str] | None = None, *, as_pandas: bool = False
    ):
        table = governance.read_for_project(self._ws, project, ref, columns)
        return _pandas(table) if as_pandas else table

    def query(
        self, project: str, sql: str, *, timeout_s: float | None = None, as_pandas: bool = False
    ):
        """The result of ``sql`` for ``project`` within the workspace's ``query.*`` settings
        (``timeout_s`` None: ``query.timeout_default_s``)."""
        table = governance.query_for_project(self._ws, project, sql, timeout_s=timeout_s)
        return _pandas(table) if as_pandas else table

    def access_report(self, subject_id: str) -> dict[str, Any]:
        return subject_rights.access_report(self._ws, subject_id).to_dict()

    def erase_subject(self, subject_id: str) -> dict[str, Any]:
        return subject_rights.erase_subject(self._ws, subject_id).to_dict()

    # -- settings ----------------------------------------------------------------------------------
    def settings(self) -> list[dict[str, Any]]:
        """Every setting with its value in force and where it comes from (docs/settings.md)."""
        from bulle.services.settings import list_settings

        return [r.to_dict() for r in list_settings(self._ws)]

    def set_setting(self, name: str, value: str) -> dict[str, Any]:
        """Set ``name`` in the workspace's bulle.toml (custodian only, audited)."""
        from bulle.services.settings import set_setting

        return set_setting(self._ws, name, value).to_dict()

    # -- audit and exchange -----------------------------------------------------------------------
    def verify_audit_log(self, witnesses: list[str | Path] | None = None) -> dict[str, Any]:
        """Against the workspace's keys (every one the log may name) and its catalog head; with
        ``witnesses``, against only the keys they pinned and their checkpoints (DPO, custodian;
        recorded as ``audit.verify``)."""
        return audit.verify_workspace_log(self._ws, witnesses=tuple(witnesses or ())).to_dict()

    def audit_log(
        self, *, from_seq: int | None = None, limit: int = 50, kind: str | None = None
    ) -> list[dict[str, Any]]:
        """Events of the log (the most recent ``limit``, or from ``from_seq``), for the DPO or a
        custodian; the reading is itself recorded (``audit.read``)."""
        return audit.read_workspace_log(self._ws, from_seq=from_seq, limit=limit, kind=kind).entries

    def add_audit_witness(self, path: str | Path) -> dict[str, Any]:
        return audit.add_witness(self._ws, path, self.actor)

    def rotate_audit_key(self) -> dict[str, Any]:
        return audit.rotate_audit_key(self._ws, self.actor)

    # -- backups and alerts --------------------------------------------------------------------
    def backup(self, dest: str | Path, *, include_keys: bool = False) -> dict[str, Any]:
        """A verified, consistent copy of the live workspace in ``dest`` (custodian; recorded as
        ``workspace.backup``); others may keep working meanwhile."""
        from bulle.services.backup import backup_workspace

        return backup_workspace(self._ws, dest, include_keys=include_keys).to_dict()

    def test_alerts(self) -> dict[str, Any]:
        """A test alert on every configured channel (settings ``alerts.*``; custodian)."""
        from bulle.services.alerts import send_test

        return send_test(self._ws).to_dict()
