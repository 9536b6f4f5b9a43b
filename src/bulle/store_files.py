"""The store's files: its layout, its lock, and the commit steps that turn a finished temporary
file into a version or an artefact.

Every commit writes the file first (outside the lock: an import may take minutes), then takes the
workspace lock only for the short step that numbers it, renames it into place and records it in
the catalog, so readers are never blocked by a long write and a crash leaves either a whole
version or nothing. The lock is an ``flock`` on ``DIR/lock`` (exclusive across processes) taken
behind a re-entrant thread lock (exclusive across the threads of a server, re-entrant so that a
commit can emit its audit event, which takes the lock too).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bulle.domain.datasets import (
    ColumnRoleAssignment,
    DatasetVersion,
    VersionKind,
    validate_dataset_name,
)
from bulle.fsutil import (
    PRIVATE_FILE,
    fsync_dir,
    fsync_file,
    make_private_tree,
    private_dirs,
    remove_path,
    sha256_file,
)

if TYPE_CHECKING:
    from bulle.audit.events import AuditEvent
    from bulle.catalog.store import Catalog
    from bulle.domain.actor import Actor


def now() -> str:
    """The time a version, artefact or workspace records: UTC, to the microsecond."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


class StoreFiles:
    """The layout and commit half of :class:`bulle.store.Store` (which provides ``catalog``,
    ``root`` and ``emit``)."""

    root: Path
    catalog: Catalog

    if TYPE_CHECKING:

        def emit(self, event: AuditEvent) -> None: ...

    def _init_lock(self) -> None:
        self._lock = threading.RLock()
        self._lock_depth = 0
        self._lock_fd: int | None = None

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

    def path_of(self, version: DatasetVersion) -> Path:
        return self.root / version.path

    def temp_path(self, suffix: str = ".parquet") -> Path:
        """A private path for a write in progress; the owner's pid marks it as alive."""
        private_dirs(self.tmp_dir, self.root)
        return self.tmp_dir / f"{os.getpid()}-{uuid.uuid4().hex}{suffix}"

    # -- the lock --------------------------------------------------------------------------------------
    @contextmanager
    def write_lock(self) -> Iterator[None]:
        """The workspace lock: one holder among all threads and processes, re-entrant in a thread."""
        with self._lock:
            if self._lock_depth == 0:
                fd = os.open(self.root / "lock", os.O_RDWR | os.O_CREAT, PRIVATE_FILE)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX)
                except BaseException:
                    os.close(fd)
                    raise
                self._lock_fd = fd
            self._lock_depth += 1
            try:
                yield
            finally:
                self._lock_depth -= 1
                if self._lock_depth == 0 and self._lock_fd is not None:
                    fd, self._lock_fd = self._lock_fd, None
                    fcntl.flock(fd, fcntl.LOCK_UN)
                    os.close(fd)

    # -- versions -----------------------------------------------------------------------------------
    def commit_version(
        self,
        tmp_file: Path,
        *,
        actor: Actor,
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
        make_private_tree(tmp_file)  # the engine created it with the umask of its day
        fsync_file(tmp_file)  # a file, or a directory of parts and each part
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
                created_by=actor.to_dict(),
                personal_data=personal_data,
            )
            os.replace(tmp_file, final)  # one rename, for a file as for a directory of parts
            fsync_dir(final.parent)
            try:
                with self.catalog.transaction():
                    self.catalog.add_version(version)
                    if roles:
                        self.catalog.set_roles(dataset, number, roles)
            except BaseException:
                remove_path(final)
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
        make_private_tree(tmp_file)
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
                remove_path(final)
                raise
            remove_path(self.root / current.path)
        return self.catalog.resolve(version.ref)

    # -- artefacts -------------------------------------------------------------------------------------
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
                self.catalog.update_artefact_file(artefact["id"], rel, content_hash)
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


def alive(pid: int) -> bool:
    """Whether the process that named a temporary file or claimed an erasure still runs."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def dump_config(config: dict[str, Any]) -> str:
    """``bulle.toml`` as Bulle writes it (flat sections of strings, integers and flags)."""
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
