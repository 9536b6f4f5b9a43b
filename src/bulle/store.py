"""The store: one self-contained workspace folder, opened once and shared by every session.

```
DIR/
  bulle.toml          format version, workspace id, engine, [settings] (bulle.settings),
                      [spark] (the master and settings of a Spark workspace, docs/scale.md)
  catalog.sqlite      datasets, versions, roles, artefacts, governance objects
  data/<dataset>/     one immutable Parquet file per version (on Spark, a directory of parts);
                      data/.tmp/ for writes in progress
  keys/               secrets
  audit/              the tamper-evident log
  artefacts/          reports, hierarchies, encrypted re-identification tables
  lock                the workspace lock (flock)
```

A store holds what lives as long as the process serving the workspace: the layout, the settings,
the catalog, the lock, the commit steps, the keys, the audit log and the engine. It holds no actor:
who acts is the business of a :class:`~bulle.workspace.Session`, one per call (``store.session``),
so a server keeps one store for its lifetime and serves each request with its own session, from
several threads at once. What makes that safe:

* the SQLite catalog (WAL mode, bounded busy timeout) gets one connection per thread, so one
  thread's transaction never swallows another thread's statements;
* the engine opens a fresh DuckDB connection per operation and holds no connection of its own;
* the workspace lock (``write_lock``) is re-entrant within a thread and exclusive across threads
  and processes; it is held only for commits and audit appends, never for a long read or import;
* every audit append takes the workspace lock first, so the lock order is always workspace lock,
  catalog write, audit log, whichever thread or process appends (the log's chain head is a
  catalog row): two writers can never each hold what the other waits for.

Writers take the lock only for the short commit step (number, rename, catalog insert), and a crash
at any point leaves either a whole version or nothing: :meth:`Store.recover` removes what an
interrupted writer left behind. Recovery scans every file, so it is an explicit start-up step
(``Store.open(path, recover=True)``), not something every session pays for.

Everything in the folder is its owner's only (directories 0700, files 0600, whatever the umask);
opening refuses keys that others may read and repairs, with an audit event, anything else
(``bulle.workspace_modes``).
"""

from __future__ import annotations

import os
import threading
import tomllib
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bulle import settings, workspace_modes
from bulle.audit.events import AuditEvent, WorkspaceCreated, WorkspacePermissionsRepaired
from bulle.audit.hook import AuditHook
from bulle.catalog.store import Catalog
from bulle.domain.actor import Actor
from bulle.domain.engine_choice import EngineChoice
from bulle.errors import ConflictError, IntegrityError, NotFoundError, Where
from bulle.fsutil import (
    PRIVATE_DIR,
    acquire_private_umask,
    atomic_write_text,
    private_dirs,
    private_file,
    private_umask,
    release_private_umask,
    remove_path,
)
from bulle.store_files import StoreFiles, alive, dump_config, now
from bulle.vault.keys import CustodianKeySetup, KeyStore

if TYPE_CHECKING:
    from bulle.audit.log import AuditLog
    from bulle.storage.engine import Engine
    from bulle.workspace import Session

FORMAT_VERSION = 1
CONFIG = "bulle.toml"


class Store(StoreFiles):
    """An open workspace folder, shared by sessions; build it with ``init`` or ``open``."""

    def __init__(self, root: Path, config: dict[str, Any], engine: Engine | None = None):
        self.root = root
        self.config = config
        self.id: str = config["workspace"]["id"]
        self._settings = settings.resolve(
            config.get("settings"), os.environ, file=str(root / CONFIG)
        )
        self._config_stamp = _stamp(root / CONFIG)
        self._engine = engine
        self._engine_lock = threading.Lock()
        self._catalogs: dict[int, tuple[threading.Thread, Catalog]] = {}
        self._catalogs_lock = threading.Lock()
        self._closed = False
        self._init_lock()
        acquire_private_umask()  # until close(): files DuckDB and SQLite create are private too
        try:
            private_file(root / "catalog.sqlite")  # SQLite gives its -wal/-shm/-journal this mode
            self.catalog  # noqa: B018 - the opening thread's connection: a bad file fails here
        except BaseException:
            release_private_umask()
            raise
        self._umask_held = True
        self.keys = KeyStore(self.keys_dir)
        self.audit = AuditHook()
        self.audit_log: AuditLog | None = None

    # -- shared resources ---------------------------------------------------------------------------
    @property
    def catalog(self) -> Catalog:
        """This thread's connection to the catalog (opened on first use, closed with the store)."""
        me = threading.current_thread()
        held = self._catalogs.get(me.ident or 0)
        if held is not None and held[0] is me:
            return held[1]
        with self._catalogs_lock:
            if self._closed:
                raise ConflictError("this workspace store is closed", Where(file=str(self.root)))
            for ident, (thread, cat) in list(self._catalogs.items()):
                if not thread.is_alive():  # a finished worker thread: its connection goes
                    cat.close()
                    del self._catalogs[ident]
            cat = Catalog(self.root / "catalog.sqlite")
            self._catalogs[me.ident or 0] = (me, cat)
            return cat

    @property
    def engine(self) -> Engine:
        with self._engine_lock:
            if self._engine is None:
                self._engine = self._configured_engine()
            return self._engine

    def _configured_engine(self) -> Engine:
        """The engine ``bulle.toml`` names: DuckDB, or Spark with its ``[spark]`` section."""
        if self.config["workspace"].get("engine", "duckdb") == "spark":
            from bulle.storage.spark_engine import SparkEngine
            from bulle.storage.spark_session import settings_of

            master, conf = settings_of(self.config)
            return SparkEngine(master, conf)
        from bulle.storage.duckdb_engine import DuckDBEngine

        # named by the pid, like every temporary file: recovery spares a live process's
        spill = self.tmp_dir / f"{os.getpid()}-duckdb"
        private_dirs(spill, self.root)
        return DuckDBEngine(temp_directory=spill)

    @property
    def settings(self) -> settings.Settings:
        return self._settings

    @settings.setter
    def settings(self, value: settings.Settings) -> None:
        """Set by the settings service after it rewrote ``bulle.toml`` (under the lock)."""
        self._settings = value
        self._config_stamp = _stamp(self.root / CONFIG)

    def refresh_settings(self) -> None:
        """Re-read ``bulle.toml`` if another process changed it since (one stat per session)."""
        path = self.root / CONFIG
        stamp = _stamp(path)
        if stamp == self._config_stamp:
            return
        config = read_config(path)
        self._settings = settings.resolve(config.get("settings"), os.environ, file=str(path))
        self.config, self._config_stamp = config, stamp

    def session(self, actor: Actor) -> Session:
        """A session acting as ``actor`` over this store; closing it leaves the store open."""
        from bulle.workspace import Session

        self.refresh_settings()
        return Session(self, actor)

    # -- creation and opening -----------------------------------------------------------------------
    @classmethod
    def init(
        cls,
        root: str | Path,
        actor: Actor,
        engine: Engine | None = None,
        custodian: CustodianKeySetup | None = None,
        choice: EngineChoice | None = None,
    ) -> Store:
        """Create a workspace; ``custodian`` says how the custodian's private key is protected
        (default: the passphrase in ``BULLE_CUSTODIAN_PASSPHRASE``, refused when there is none).
        ``choice`` names its row engine (DuckDB by default) and that engine's settings, recorded
        in ``bulle.toml``. ``actor`` is named in the creation event."""
        root = Path(root)
        if root.exists() and (root / CONFIG).exists():
            raise ConflictError("a workspace already exists here", Where(file=str(root)))
        if root.exists() and not root.is_dir():
            raise ConflictError("exists and is not a directory", Where(file=str(root)))
        if root.exists() and any(root.iterdir()):
            raise ConflictError(
                "directory is not empty: choose a new or empty directory", Where(file=str(root))
            )
        settings.resolve(None, os.environ)  # a bad BULLE_SETTING_* is refused before anything
        setup = custodian or CustodianKeySetup.from_environment()
        setup.check(root)  # before anything is created
        with private_umask():
            root.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
            os.chmod(root, PRIVATE_DIR)
            for sub in ("data", "data/.tmp", "audit", "artefacts"):
                (root / sub).mkdir(exist_ok=True, mode=PRIVATE_DIR)
            config = {
                "workspace": {
                    "format_version": FORMAT_VERSION,
                    "id": str(uuid.uuid4()),
                    "created_at": now(),
                    "engine": (choice or EngineChoice()).name,
                },
                **(choice or EngineChoice()).config_sections(),
            }
            KeyStore(root / "keys").create(setup)
        store = cls(root, config, engine)
        with store.closed_on_error():
            store.catalog.migrate()
            store._install_audit_log(create=True)
        # the config file is written last: a folder without it is not a workspace
        atomic_write_text(root / CONFIG, dump_config(config))
        store._config_stamp = _stamp(root / CONFIG)
        store.emit(
            WorkspaceCreated(
                actor=actor, target=str(root.name), details={"format_version": FORMAT_VERSION}
            )
        )
        return store

    @classmethod
    def open(
        cls,
        root: str | Path,
        *,
        recover: bool = False,
        actor: Actor | None = None,
        engine: Engine | None = None,
    ) -> Store:
        """Open a workspace folder. With ``recover`` (once, at start-up), also remove what
        interrupted writers left and finish erasures a crash cut short. ``actor`` is named in the
        events opening itself emits (modes repaired); the system by default."""
        root = Path(root)
        actor = actor or Actor.system()
        cfg_path = root / CONFIG
        if not cfg_path.exists():
            raise NotFoundError(
                "not a Bulle workspace (no bulle.toml): create one with `bulle init DIR`",
                Where(file=str(root)),
            )
        with private_umask():
            workspace_modes.check_keys(root / "keys")  # refused: others could read a key
            repaired = workspace_modes.repair(root)
        config = read_config(cfg_path)
        store = cls(root, config, engine)
        with store.closed_on_error(), store.write_lock():
            store.catalog.migrate()
            if recover:
                store.recover()
        with store.closed_on_error():  # a failed open must not keep the umask (or catalog) held
            store._install_audit_log(create=False)
        if repaired:
            store.emit(
                WorkspacePermissionsRepaired(
                    actor=actor, target=str(root.name), details=workspace_modes.shown(repaired)
                )
            )
        if recover and store.catalog.has_erasure_journal():
            from bulle.services.erasure import resume_pending

            with store.closed_on_error():
                resume_pending(store.session(actor))  # finished before anything reads
        return store

    def close(self) -> None:
        with self._catalogs_lock:
            if self._closed:
                return
            self._closed = True
            catalogs = [cat for _, cat in self._catalogs.values()]
            self._catalogs.clear()
        if self.audit_log is not None:
            self.audit_log.close()
        for cat in catalogs:
            cat.close()
        if self._umask_held:
            self._umask_held = False
            release_private_umask()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def closed_on_error(self) -> Iterator[None]:
        try:
            yield
        except BaseException:
            self.close()
            raise

    def _install_audit_log(self, create: bool) -> None:
        from bulle.audit.workspace_log import install

        install(self, create=create)

    # -- recovery ------------------------------------------------------------------------------------
    def recover(self) -> list[str]:
        """Remove what interrupted writers left: dead processes' temp files, uncommitted data files.

        A start-up step: it reads every file of the workspace. Temporary files of live processes
        (this one included) are kept, so a store serving sessions may run it again.
        """
        removed: list[str] = []
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        with self.write_lock():
            for p in self.tmp_dir.iterdir():
                pid = p.name.split("-", 1)[0]
                if pid.isdigit() and alive(int(pid)):
                    continue
                if p.is_dir():
                    import shutil

                    shutil.rmtree(p, ignore_errors=True)
                else:
                    p.unlink(missing_ok=True)
                removed.append(str(p.relative_to(self.root)))
            referenced = self.catalog.referenced_paths()
            for sub in (self.data_dir, self.artefacts_dir):
                for p in sorted(sub.rglob("*")):
                    if self.tmp_dir in p.parents or p == self.tmp_dir or not p.exists():
                        continue
                    rel = str(p.relative_to(self.root))
                    if p.is_dir() and p.parent.parent == self.data_dir:
                        # a version directory (an engine's parts) renamed in, never recorded
                        if rel not in referenced and not p.name.startswith("."):
                            remove_path(p)
                            removed.append(rel)
                    elif p.is_file() and rel not in referenced and not p.name.startswith("."):
                        if str(p.parent.relative_to(self.root)) in referenced:
                            continue  # a part of a recorded version directory
                        p.unlink()
                        removed.append(rel)
        return removed

    # -- audit --------------------------------------------------------------------------------------
    def emit(self, event: AuditEvent) -> None:
        """Append ``event`` under the workspace lock (see the module's lock order)."""
        with self.write_lock():
            self.audit.emit(event)


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


def read_config(cfg_path: Path) -> dict[str, Any]:
    try:
        config = tomllib.loads(cfg_path.read_text())
        fmt = int(config["workspace"]["format_version"])
        config["workspace"]["id"]
    except (tomllib.TOMLDecodeError, KeyError, ValueError, TypeError) as exc:
        raise IntegrityError(
            f"unreadable workspace configuration: {exc}", Where(file=str(cfg_path))
        ) from None
    if fmt > FORMAT_VERSION:
        raise IntegrityError(
            f"workspace format {fmt} is newer than this Bulle supports ({FORMAT_VERSION})",
            Where(file=str(cfg_path)),
        )
    return config
