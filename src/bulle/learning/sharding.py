"""Where a person goes: shard and held-out membership from a keyed hash of their subject id.

The placement depends on the person's id and the workspace's model key only, never on anyone
else's records: removing a person changes no one else's shard. The key is the workspace's own
model key (``keys/model.key``), separate from the pseudonymization key so that ``rotate-key``
never moves people between shards (a model trained before a rotation can still be forgotten from).
The manifest stores people as keyed references made with the same key: the catalog never lists
who trained a model in clear.
"""

from __future__ import annotations

import contextlib
import hmac
import secrets
from pathlib import Path

from bulle.fsutil import write_secret

KEY_FILE = "model.key"
HELD_OUT = -1  # the manifest's shard number of a held-out person


def model_key(keys_dir: Path) -> bytes:
    """The workspace's model key, created on first use (32 random bytes, mode 0600)."""
    from bulle.vault.keys import require_private

    path = keys_dir / KEY_FILE
    if not path.exists():
        # another process may have made it first (callers hold the write lock)
        with contextlib.suppress(FileExistsError):
            write_secret(path, secrets.token_bytes(32).hex().encode())
    require_private(path, "the model key")
    return bytes.fromhex(path.read_text().strip())


def key_fingerprint(key: bytes) -> str:
    """A public name of the model key (a model records the key it was placed with)."""
    return hmac.digest(key, b"bulle-model-key-fingerprint", "sha256")[:16].hex()


def _mac(key: bytes, label: str, subject_id: str) -> bytes:
    return hmac.digest(key, f"bulle-model-{label}\x00{subject_id}".encode(), "sha256")


def subject_key(key: bytes, subject_id: str) -> str:
    """The person's reference in a manifest."""
    return _mac(key, "subject", subject_id)[:16].hex()


def placement(
    key: bytes, subject_id: str, shards: int, seed: int, held_out_share: float
) -> tuple[str, int]:
    """The person's manifest reference and their shard (``HELD_OUT`` when the seeded split keeps
    them for evaluation); the reference and the shard come from one keyed hash."""
    mac = _mac(key, "subject", subject_id)
    u = int.from_bytes(_mac(key, f"holdout-{seed}", subject_id)[:8], "big") / 2.0**64
    if u < held_out_share:
        return mac[:16].hex(), HELD_OUT
    return mac[:16].hex(), int.from_bytes(mac[16:24], "big") % shards


def place(key: bytes, subject_id: str, shards: int, seed: int, held_out_share: float) -> int:
    return placement(key, subject_id, shards, seed, held_out_share)[1]
