"""A workspace: one self-contained folder holding a custodian's vault.

```
DIR/
  bulle.toml          format version, workspace id, engine, [settings] (bulle.settings)
  catalog.sqlite      datasets, versions, roles, artefacts, governance objects
  data/<dataset>/     one immutable Parquet file per version;  data/.tmp/ for writes in progress
  keys/               secrets
  audit/              the tamper-evident log
  artefacts/          reports, hierarchies, encrypted re-identification tables
  lock                the workspace lock (flock)
```

Writers take the exclusive lock only for the short commit step (number, rename, catalog insert),
so a long import never blocks readers, and a crash at any point leaves either a whole version or
nothing: ``recover()`` removes what an interrupted writer left behind.

Everything in the folder is its owner's only (directories 0700, files 0600, whatever the umask);
opening refuses keys that others may read and repairs, with an audit event, anything else
(``bulle.workspace_modes``).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import tomllib
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bulle import settings, workspace_modes
from bulle.audit.events import AuditEvent, WorkspaceCreated, WorkspacePermissionsRepaired
from bulle.audit.hook import AuditHook
from bulle.catalog.store import Catalog
from bulle.domain.actor import Actor
from bulle.domain.datasets import (
    ColumnRoleAssignment,
    DatasetVersion,
    VersionKind,
    validate_dataset_name,
)
from bulle.errors import ConflictError, IntegrityError, NotFoundError, Where
from bulle.fsutil import (
    PRIVATE_DIR,
    PRIVATE_FILE,
    acquire_private_umask,
    atomic_write_text,
    fsync_dir,
    fsync_file,
    private_dirs,
    private_umask,
    release_private_umask,
    sha256_file,
)
from bulle.storage.engine import Engine
from bulle.vault.keys import CustodianKeySetup, KeyStore

FORMAT_VERSION = 1
CONFIG = "bulle.toml"


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


class Workspace:
    def __init__(
        self, root: Path, actor: Actor, config: dict[str, Any], engine: Engine | None = None
    ):
        self.root = root
        self.actor = actor
        self.config = config
        self.id: str = config["workspace"]["id"]
        self.settings = settings.resolve(
            config.get("settings"), os.environ, file=str(root / CONFIG)
        )
        self._engine = engine
        acquire_private_umask()  # until close(): files DuckDB and SQLite create are private too
        try:
            _private_file(root / "catalog.sqlite")  # SQLite gives its -wal/-shm/-journal this mode
            self.catalog = Catalog(root / "catalog.sqlite")
        except BaseException:
            release_private_umask()
            raise
        self._umask_held = True
        self.keys = KeyStore(self.keys_dir)
        self.audit = AuditHook()
        self.audit_log = None

    # -- layout ----------------------------------------------------------------------------------
    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def tmp_dir(self) -> Path:
        return self.root / "data" / ".tmp"

    @property
    def keys_dir(self) -> Path:
        return self.root / "keys"

    @property
    def audit_dir(self) -> Path:
        return self.root / "audit"

    @property
    def artefacts_dir(self) -> Path:
        return self.root / "artefacts"

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            from bulle.storage.duckdb_engine import DuckDBEngine

            private_dirs(self.tmp_dir / "duckdb", self.root)
            self._engine = DuckDBEngine(temp_directory=self.tmp_dir / "duckdb")
        return self._engine

    # -- creation and opening -----------------------------------------------------------------------
    @classmethod
    def init(
        cls,
        root: str | Path,
        actor: Actor,
        engine: Engine | None = None,
        custodian: CustodianKeySetup | None = None,
    ) -> Workspace:
        """Create a workspace; ``custodian`` says how the custodian's private key is protected
        (default: the passphrase in ``BULLE_CUSTODIAN_PASSPHRASE``, refused when there is none)."""
        root = Path(root)
        if root.exists() and (root / CONFIG).exists():
            raise ConflictError("a workspace already exists here", Where(file=str(root)))
        if root.exists() and not root.is_dir():
            raise ConflictError("exists and is not a directory", Where(file=str(root)))
        if root.exists() and any(root.iterdir()):
            raise ConflictError(
                "directory is not empty: choose a new or empty directory", Where(file=str(root))
            )
        settings.resolve(
            None, os.environ
        )  # a bad BULLE_SETTING_* is refused before anything is made
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
                    "engine": "duckdb",
                }
            }
            KeyStore(root / "keys").create(setup)
        ws = cls(root, actor, config, engine)
        with _closed_on_error(ws):
            ws.catalog.migrate()
            ws._install_audit_log(create=True)
        # the config file is written last: a folder without it is not a workspace
        atomic_write_text(root / CONFIG, _dump_config(config))
        ws.emit(
            WorkspaceCreated(
                actor=actor, target=str(root.name), details={"format_version": FORMAT_VERSION}
            )
        )
        return ws

    @classmethod
    def open(cls, root: str | Path, actor: Actor, engine: Engine | None = None) -> Workspace:
        root = Path(root)
        cfg_path = root / CONFIG
        if not cfg_path.exists():
            raise NotFoundError(
                "not a Bulle workspace (no bulle.toml): create one with `bulle init DIR`",
                Where(file=str(root)),
            )
        with private_umask():
            workspace_modes.check_keys(
                root / "keys"
            )  # refused: a key others could read is disclosed
            repaired = workspace_modes.repair(root)
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
        ws = cls(root, actor, config, engine)
        with _closed_on_error(ws), ws.write_lock():
            ws.catalog.migrate()
            ws.recover()
        with _closed_on_error(ws):  # a failed open must not keep the umask (or the catalog) held
            ws._install_audit_log(create=False)
        if repaired:
            ws.emit(
                WorkspacePermissionsRepaired(
                    actor=actor, target=str(root.name), details=workspace_modes.shown(repaired)
                )
            )
        if ws.catalog.con.execute("SELECT 1 FROM erasure_journal LIMIT 1").fetchone():
            from bulle.services.erasure import resume_pending

            with _closed_on_error(ws):
                resume_pending(
                    ws
                )  # an erasure cut short by a crash is finished before anything reads
        return ws

    def close(self) -> None:
        if self.audit_log is not None:
            self.audit_log.close()
        self.catalog.close()
        if self._umask_held:
            self._umask_held = False
            release_private_umask()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _install_audit_log(self, create: bool) -> None:
        from bulle.audit.workspace_log import install

        install(self, create=create)

    # -- locking and recovery ----------------------------------------------------------------------
    @contextmanager
    def write_lock(self) -> Iterator[None]:
        fd = os.open(self.root / "lock", os.O_RDWR | os.O_CREAT, PRIVATE_FILE)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def recover(self) -> list[str]:
        """Remove what interrupted writers left: dead processes' temp files, uncommitted data files."""
        removed: list[str] = []
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        for p in self.tmp_dir.iterdir():
            pid = p.name.split("-", 1)[0]
            if pid.isdigit() and _alive(int(pid)):
                continue
            if p.is_dir():
                import shutil

                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)
            removed.append(str(p.relative_to(self.root)))
        referenced = self.catalog.referenced_paths()
        for sub in (self.data_dir, self.artefacts_dir):
            for p in sub.rglob("*"):
                if p.is_file() and self.tmp_dir not in p.parents:
                    rel = str(p.relative_to(self.root))
                    if rel not in referenced and not p.name.startswith("."):
                        p.unlink()
                        removed.append(rel)
        return removed

    def temp_path(self, suffix: str = ".parquet") -> Path:
        """A private path for a write in progress; the owner's pid marks it as alive."""
        private_dirs(self.tmp_dir, self.root)
        return self.tmp_dir / f"{os.getpid()}-{uuid.uuid4().hex}{suffix}"

    # -- audit --------------------------------------------------------------------------------------
    def emit(self, event: AuditEvent) -> None:
        self.audit.emit(event)

    # -- versions -----------------------------------------------------------------------------------
    def path_of(self, version: DatasetVersion) -> Path:
        return self.root / version.path

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
        """Turn a finished temporary Parquet file into the next version of ``dataset``, atomically."""
        validate_dataset_name(dataset)
        os.chmod(tmp_file, PRIVATE_FILE)  # DuckDB created it with the umask of its day
        fsync_file(tmp_file)
        content_hash = sha256_file(tmp_file)
        with self.write_lock():
            number = self.catalog.next_number(dataset)
            rel = f"data/{dataset}/v{number}-{uuid.uuid4().hex[:8]}.parquet"
            final = self.root / rel
            private_dirs(final.parent, self.root)
            version = DatasetVersion(
                dataset=dataset,
                number=number,
                kind=kind,
                path=rel,
                content_hash=content_hash,
                row_count=row_count,
                schema=schema,
                parents=parents,
                operation=operation,
                created_at=now(),
                created_by=self.actor.to_dict(),
                personal_data=personal_data,
            )
            os.replace(tmp_file, final)
            fsync_dir(final.parent)
            try:
                with self.catalog.transaction():
                    self.catalog.add_version(version)
                    if roles:
                        self.catalog.set_roles(dataset, number, roles)
            except BaseException:
                final.unlink(missing_ok=True)
                raise
            if event is not None:  # inside the lock: the log's order is the catalog's order
                self.emit(event(version))
        return version

    def rewrite_version(
        self, version: DatasetVersion, tmp_file: Path, row_count: int, tombstone: dict[str, Any]
    ) -> DatasetVersion:
        """Erasure only: replace a version's file, keeping its number, and record a tombstone.

        The new file is committed before the old one is deleted, so a crash leaves either version
        whole; the tombstone names both content hashes.
        """
        os.chmod(tmp_file, PRIVATE_FILE)
        fsync_file(tmp_file)
        new_hash = sha256_file(tmp_file)
        with self.write_lock():
            current = self.catalog.resolve(version.ref)
            rel = f"data/{version.dataset}/v{version.number}-{uuid.uuid4().hex[:8]}.parquet"
            final = self.root / rel
            os.replace(tmp_file, final)
            fsync_dir(final.parent)
            stone = {
                **tombstone,
                "old_content_hash": current.content_hash,
                "new_content_hash": new_hash,
                "old_rows": current.row_count,
                "new_rows": row_count,
                "at": now(),
            }
            try:
                with self.catalog.transaction():
                    self.catalog.update_version_file(
                        version.dataset,
                        version.number,
                        rel,
                        new_hash,
                        row_count,
                        [*current.tombstones, stone],
                    )
            except BaseException:
                final.unlink(missing_ok=True)
                raise
            (self.root / current.path).unlink(missing_ok=True)
        return self.catalog.resolve(version.ref)

    def replace_artefact(self, artefact: dict[str, Any], tmp_file: Path) -> dict[str, Any]:
        """Erasure only: replace an artefact's file (e.g. a re-identification table) in place."""
        rel = str(
            Path(artefact["path"]).with_name(
                f"{uuid.uuid4().hex[:8]}-{Path(artefact['path']).name.split('-', 1)[-1]}"
            )
        )
        final = self.root / rel
        os.chmod(tmp_file, PRIVATE_FILE)
        content_hash = sha256_file(tmp_file)
        with self.write_lock():
            os.replace(tmp_file, final)
            fsync_dir(final.parent)
            with self.catalog.transaction():
                self.catalog.con.execute(
                    "UPDATE artefacts SET path=?, content_hash=? WHERE id=?",
                    (rel, content_hash, artefact["id"]),
                )
            (self.root / artefact["path"]).unlink(missing_ok=True)
        return {**artefact, "path": rel, "content_hash": content_hash}

    def add_artefact(
        self, version: DatasetVersion, kind: str, tmp_file: Path, name: str
    ) -> dict[str, Any]:
        """Store a report or table attached to a version (written to a temp file first)."""
        rel = f"artefacts/{version.dataset}/v{version.number}/{uuid.uuid4().hex[:8]}-{name}"
        final = self.root / rel
        private_dirs(final.parent, self.root)
        os.chmod(tmp_file, PRIVATE_FILE)
        content_hash = sha256_file(tmp_file)
        with self.write_lock():
            os.replace(tmp_file, final)
            fsync_dir(final.parent)
            artefact_id = uuid.uuid4().hex
            with self.catalog.transaction():
                self.catalog.add_artefact(
                    artefact_id, version.dataset, version.number, kind, rel, content_hash, now()
                )
        return {"id": artefact_id, "kind": kind, "path": rel, "content_hash": content_hash}


@contextmanager
def _closed_on_error(ws: Workspace) -> Iterator[None]:
    try:
        yield
    except BaseException:
        ws.close()
        raise


def _private_file(path: Path) -> None:
    """Create ``path`` empty with mode 0600 if it is missing, so a library opening it keeps that mode.

    An existing file is never opened here: closing any descriptor of a file drops every POSIX
    lock this process holds on it, and SQLite's locks on an open catalog (a server's other
    sessions) would go with it, letting another process delete the WAL index in use.
    """
    if path.exists():
        return
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except FileExistsError:
        return
    os.close(fd)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _dump_config(config: dict[str, Any]) -> str:
    lines = []
    for section, values in config.items():
        lines.append(f"[{section}]")
        for k, v in values.items():
            if isinstance(v, bool):
                lines.append(f"{k} = {'true' if v else 'false'}")
            elif isinstance(v, int):
                lines.append(f"{k} = {v}")
            else:
                lines.append(f'{k} = "{v}"')
        lines.append("")
    return "\n".join(lines)
