"""The workspace's key folder: the pseudonymization secret and the custodian's key pair.

* ``pseudonym-<id>.key``: 32 random bytes (hex) keying HMAC-SHA-256 tokens. ``pseudonym.current``
  names the key in use; rotation adds a key and moves the pointer, old keys stay so that old
  versions can still be recomputed from their lineage.
* ``custodian.key`` / ``custodian.pub``: an X25519 key pair. Re-identification tables are
  encrypted to the public key; only the private key reads them, and the custodian may move the
  private key out of the workspace (then re-identification needs ``--custodian-key FILE``).

Keys never leave this folder unless a custodian exports them explicitly.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

from bulle.errors import NotFoundError, Where
from bulle.fsutil import atomic_write_text, write_secret


class KeyStore:
    def __init__(self, keys_dir: Path):
        self.dir = keys_dir

    def create(self) -> None:
        self.dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.dir, 0o700)
        self.new_pseudonym_key()
        self._create_custodian_pair()

    # -- pseudonymization key ---------------------------------------------------------------
    def new_pseudonym_key(self) -> str:
        key = secrets.token_bytes(32)
        key_id = hashlib.sha256(b"bulle-key-id" + key).hexdigest()[:8]
        write_secret(self.dir / f"pseudonym-{key_id}.key", key.hex().encode())
        atomic_write_text(self.dir / "pseudonym.current", key_id + "\n", mode=0o600)
        return key_id

    def current_pseudonym_key_id(self) -> str:
        pointer = self.dir / "pseudonym.current"
        if not pointer.exists():
            raise NotFoundError("the workspace has no pseudonymization key", Where(file=str(pointer)))
        return pointer.read_text().strip()

    def pseudonym_key(self, key_id: str | None = None) -> tuple[str, bytes]:
        key_id = key_id or self.current_pseudonym_key_id()
        path = self.dir / f"pseudonym-{key_id}.key"
        if not path.exists():
            raise NotFoundError(f"pseudonymization key {key_id} is not in the key folder", Where(file=str(path)))
        return key_id, bytes.fromhex(path.read_text().strip())

    # -- custodian key pair ----------------------------------------------------------------------
    def _create_custodian_pair(self) -> None:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

        private = X25519PrivateKey.generate()
        write_secret(self.dir / "custodian.key", private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        atomic_write_text(self.dir / "custodian.pub", private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode())

    def custodian_public_key(self):
        from cryptography.hazmat.primitives import serialization

        return serialization.load_pem_public_key((self.dir / "custodian.pub").read_bytes())

    def custodian_private_key(self, path: Path | None = None):
        from cryptography.hazmat.primitives import serialization

        path = path or self.dir / "custodian.key"
        if not path.exists():
            raise NotFoundError("the custodian's private key is not here: pass --custodian-key FILE",
                                Where(file=str(path)))
        try:
            return serialization.load_pem_private_key(path.read_bytes(), password=None)
        except ValueError:
            raise NotFoundError("not a custodian private key (PEM, X25519)", Where(file=str(path))) from None
