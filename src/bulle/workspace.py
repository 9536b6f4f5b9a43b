"""A session: one actor working on a workspace, which is what every service receives.

The workspace folder itself, with its catalog, lock, commits, keys, audit log and engine, is a
:class:`~bulle.store.Store`, opened once and shared. A session adds who acts: services read
``ws.actor`` for access decisions and audit events, and everything else (``ws.catalog``,
``ws.engine``, ``ws.settings``, ``ws.audit``, ``ws.commit_version``...) is the store's. A server
holds one store and makes a session per request (``store.session(actor)``), from many threads at
once; the command line and the Python API open a workspace for one call with
``Workspace.open(path, actor)``, which opens a store, recovers it, and closes it with the session.

``Workspace`` is the session's historical name, kept for the services and plug-ins that use it.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bulle.store import CONFIG, FORMAT_VERSION, Store, now
from bulle.store_files import alive, dump_config

if TYPE_CHECKING:
    from bulle import settings as settings_table
    from bulle.audit.events import AuditEvent
    from bulle.audit.hook import AuditHook
    from bulle.audit.log import AuditLog
    from bulle.catalog.store import Catalog
    from bulle.domain.actor import Actor
    from bulle.domain.datasets import ColumnRoleAssignment, DatasetVersion, VersionKind
    from bulle.domain.engine_choice import EngineChoice
    from bulle.storage.engine import Engine
    from bulle.vault.keys import CustodianKeySetup, KeyStore

__all__ = [
    "CONFIG",
    "FORMAT_VERSION",
    "Session",
    "Store",
    "Workspace",
    "alive",
    "dump_config",
    "now",
]


class Session:
    """An actor over a store. Cheap: no file, connection or lock of its own."""

    def __init__(self, store: Store, actor: Actor, *, owns_store: bool = False):
        self.store = store
        self.actor = actor
        self._owns_store = owns_store

    # -- one-shot opening (command line, Python API) ----------------------------------------------
    @classmethod
    def init(
        cls,
        root: str | Path,
        actor: Actor,
        engine: Engine | None = None,
        custodian: CustodianKeySetup | None = None,
        choice: EngineChoice | None = None,
    ) -> Session:
        """Create a workspace and act on it as ``actor``; closing the session closes it."""
        return cls(Store.init(root, actor, engine, custodian, choice), actor, owns_store=True)

    @classmethod
    def open(cls, root: str | Path, actor: Actor, engine: Engine | None = None) -> Session:
        """Open a workspace for one call: its own store, recovered, closed with the session."""
        store = Store.open(root, recover=True, actor=actor, engine=engine)
        return cls(store, actor, owns_store=True)

    def close(self) -> None:
        if self._owns_store:
            self.store.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the store's state ----------------------------------------------------------------------------
    @property
    def root(self) -> Path:
        return self.store.root

    @property
    def id(self) -> str:
        return self.store.id

    @property
    def config(self) -> dict[str, Any]:
        return self.store.config

    @config.setter
    def config(self, value: dict[str, Any]) -> None:
        self.store.config = value

    @property
    def settings(self) -> settings_table.Settings:
        return self.store.settings

    @settings.setter
    def settings(self, value: settings_table.Settings) -> None:
        self.store.settings = value

    @property
    def catalog(self) -> Catalog:
        return self.store.catalog

    @property
    def engine(self) -> Engine:
        return self.store.engine

    @property
    def keys(self) -> KeyStore:
        return self.store.keys

    @property
    def audit(self) -> AuditHook:
        return self.store.audit

    @property
    def audit_log(self) -> AuditLog | None:
        return self.store.audit_log

    # -- layout ----------------------------------------------------------------------------------------
    @property
    def data_dir(self) -> Path:
        return self.store.data_dir

    @property
    def tmp_dir(self) -> Path:
        return self.store.tmp_dir

    @property
    def keys_dir(self) -> Path:
        return self.store.keys_dir

    @property
    def audit_dir(self) -> Path:
        return self.store.audit_dir

    @property
    def artefacts_dir(self) -> Path:
        return self.store.artefacts_dir

    def path_of(self, version: DatasetVersion) -> Path:
        return self.store.path_of(version)

    def temp_path(self, suffix: str = ".parquet") -> Path:
        return self.store.temp_path(suffix)

    # -- lock, recovery, audit ------------------------------------------------------------------------
    def write_lock(self) -> AbstractContextManager[None]:
        return self.store.write_lock()

    def recover(self) -> list[str]:
        return self.store.recover()

    def emit(self, event: AuditEvent) -> None:
        self.store.emit(event)

    # -- commits (the version records this session's actor as its author) -----------------------------
    def commit_version(
        self,
        tmp_file: Path,
        *,
        dataset: str,
        kind: VersionKind,
        parents: list[str],
        operation: dict[str, Any],
        row_count: int,
        schema: list[dict[str, str]],
        personal_data: bool = True,
        roles: list[ColumnRoleAssignment] | None = None,
        event: Callable[[DatasetVersion], AuditEvent] | None = None,
    ) -> DatasetVersion:
        return self.store.commit_version(
            tmp_file,
            actor=self.actor,
            dataset=dataset,
            kind=kind,
            parents=parents,
            operation=operation,
            row_count=row_count,
            schema=schema,
            personal_data=personal_data,
            roles=roles,
            event=event,
        )

    def rewrite_version(
        self, version: DatasetVersion, tmp_file: Path, row_count: int, tombstone: dict[str, Any]
    ) -> DatasetVersion:
        return self.store.rewrite_version(version, tmp_file, row_count, tombstone)

    def replace_artefact(self, artefact: dict[str, Any], tmp_file: Path) -> dict[str, Any]:
        return self.store.replace_artefact(artefact, tmp_file)

    def add_artefact(
        self, version: DatasetVersion, kind: str, tmp_file: Path, name: str
    ) -> dict[str, Any]:
        return self.store.add_artefact(version, kind, tmp_file, name)


Workspace = Session
"""The session under its historical name: ``Workspace.open(path, actor)`` as before."""
