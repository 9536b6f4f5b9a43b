"""Plugs the tamper-evident audit log into a workspace's audit hook.

The log lives in ``audit/log.jsonl``, is signed with the workspace's Ed25519 key (in ``keys/``),
and its chain head is kept in the catalog (``meta`` table), outside the log, so that a cut tail
is detected. After every durable batch the log writes a signed checkpoint to each registered
witness (``bulle.audit.witness``): the catalog and the key sit beside the log, the witnesses do
not.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bulle.audit.heads import Head
from bulle.errors import IntegrityError, Where

if TYPE_CHECKING:
    from pathlib import Path

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from bulle.catalog.store import Catalog
    from bulle.store import Store

LOG_FILE = "log.jsonl"
HEAD_KEY = "audit_head"


class CatalogHeadStore:
    """The chain head as a row of the catalog: durable with the catalog's own fsync policy.

    Given the store rather than one connection, it writes through the appending thread's own
    catalog connection: an event emitted inside a catalog transaction moves the head in that same
    transaction, as it would with a single connection.
    """

    def __init__(self, catalog: Catalog | None = None, *, store: Store | None = None):
        self._catalog = catalog
        self._store = store

    @property
    def catalog(self) -> Catalog:
        if self._store is not None:
            return self._store.catalog
        assert self._catalog is not None
        return self._catalog

    def get(self) -> Head | None:
        value = self.catalog.get_meta(HEAD_KEY)
        if value is None:
            return None
        seq, _, digest = value.partition(":")
        return int(seq), digest

    def set(self, seq: int, hash: str) -> None:
        self.catalog.set_meta(HEAD_KEY, f"{seq}:{hash}")


class KeyFileWatch:
    """The signing key file, re-read when it changed: after `bulle audit rotate-key` in another
    process, this process signs with the new key instead of a superseded one (which verification
    would report). One stat per append batch."""

    def __init__(self, keys_dir: Path) -> None:
        from bulle.audit.keys import SIGNING_KEY_FILE

        self.path = keys_dir / SIGNING_KEY_FILE
        self._stamp = self._stat()

    def _stat(self) -> tuple[int, int] | None:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return None
        return st.st_ino, st.st_mtime_ns

    def __call__(self) -> Ed25519PrivateKey | None:
        stamp = self._stat()
        if stamp == self._stamp or stamp is None:
            return None
        from bulle.audit.keys import load_private_key

        self._stamp = stamp
        return load_private_key(self.path)


def install(ws: Store, create: bool) -> None:
    from bulle.audit.keys import ensure_workspace_key, load_workspace_key
    from bulle.audit.log import AuditLog
    from bulle.audit.witness import writer_for

    ws.audit_dir.mkdir(exist_ok=True)
    path = ws.audit_dir / LOG_FILE
    heads = CatalogHeadStore(store=ws)
    if create:
        key = ensure_workspace_key(ws.keys_dir)
        log = AuditLog.create(path, key, ws.id, heads)
    else:
        if not path.exists():  # a workspace always has its log: a missing one was deleted
            raise IntegrityError(
                "the audit log is missing: it was deleted (run `bulle audit verify "
                "--witness DIR` against a witness to see what it held)",
                Where(file=str(path)),
            )
        log = AuditLog.open(path, load_workspace_key(ws.keys_dir), heads)
    log.after_commit = writer_for(ws, log.genesis)
    log.key_source = KeyFileWatch(ws.keys_dir)
    ws.audit_log = log
    ws.audit.add(log)
