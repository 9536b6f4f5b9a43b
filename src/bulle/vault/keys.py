"""The workspace's key folder: the pseudonymization secret and the custodian's key pair.

* ``pseudonym-<id>.key``: 32 random bytes (hex) keying HMAC-SHA-256 tokens. ``pseudonym.current``
  names the key in use; rotation adds a key and moves the pointer, old keys stay so that old
  versions can still be recomputed from their lineage.
* ``custodian.key`` / ``custodian.pub``: an X25519 key pair. Re-identification tables are
  encrypted to the public key; only the private key reads them. The private key is sealed under
  the custodian's passphrase (``bulle.vault.custodian_key``) or lives outside the workspace
  (then re-identification needs ``--custodian-key FILE``); an unsealed private key inside the
  folder (made by an older Bulle) is refused.

Every file here is 0600 and the folder 0700; a key file others may read or write is refused.
Keys never leave this folder unless a custodian exports them explicitly.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import stat
from pathlib import Path

from bulle.errors import InputError, IntegrityError, NotFoundError, Where
from bulle.fsutil import PRIVATE_DIR, atomic_write_text, write_secret
from bulle.vault import custodian_key
from bulle.vault.custodian_key import CustodianKeySetup

__all__ = ["CustodianKeySetup", "KeyStore", "require_private"]


def require_private(path: Path, what: str) -> None:
    """Refuse a secret file that its group or others may read or write."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise IntegrityError(
            f"{what} is readable or writable by group or others (mode {mode:04o}): treat it "
            f"as disclosed, then run `chmod 600 {path}`",
            Where(file=str(path)),
        )


class KeyStore:
    def __init__(self, keys_dir: Path):
        self.dir = keys_dir

    def create(self, custodian: CustodianKeySetup | None = None) -> None:
        setup = custodian or CustodianKeySetup.from_environment()
        setup.check(self.dir.parent)
        self.dir.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
        os.chmod(self.dir, PRIVATE_DIR)
        self.new_pseudonym_key()
        self._create_custodian_pair(setup)

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
            raise NotFoundError(
                "the workspace has no pseudonymization key", Where(file=str(pointer))
            )
        return pointer.read_text().strip()

    def pseudonym_key(self, key_id: str | None = None) -> tuple[str, bytes]:
        key_id = key_id or self.current_pseudonym_key_id()
        path = self.dir / f"pseudonym-{key_id}.key"
        if not path.exists():
            raise NotFoundError(
                f"pseudonymization key {key_id} is not in the key folder", Where(file=str(path))
            )
        require_private(path, "the pseudonymization key")
        return key_id, bytes.fromhex(path.read_text().strip())

    # -- custodian key pair ----------------------------------------------------------------------
    def _create_custodian_pair(self, setup: CustodianKeySetup) -> None:
        """The private key sealed in the folder, or written outside it: never usable inside it."""
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

        private = X25519PrivateKey.generate()
        if setup.passphrase is not None:
            data = custodian_key.seal(private, setup.passphrase)
        else:
            data = private.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        write_secret(setup.key_out or self.dir / "custodian.key", data)
        atomic_write_text(
            self.dir / "custodian.pub",
            private.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode(),
        )

    def custodian_public_key(self):
        from cryptography.hazmat.primitives import serialization

        return serialization.load_pem_public_key((self.dir / "custodian.pub").read_bytes())

    def custodian_private_key(self, path: Path | None = None, passphrase: bytes | None = None):
        """The custodian's private key, from the key folder (sealed) or from ``path``.

        ``passphrase`` defaults to ``BULLE_CUSTODIAN_PASSPHRASE``. A file others may read is
        refused, and so is an unsealed key inside the key folder.
        """
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

        inside = path is None
        path = path or self.dir / "custodian.key"
        if not path.exists():
            raise NotFoundError(
                "the custodian's private key is not here: pass --custodian-key FILE",
                Where(file=str(path)),
            )
        require_private(path, "the custodian's private key")
        if passphrase is None:
            passphrase = custodian_key.passphrase_from_environment()
        data = path.read_bytes()
        if custodian_key.is_sealed(data):
            return custodian_key.unseal(data, passphrase, str(path))
        if inside:
            raise IntegrityError(
                "the custodian's private key lies unsealed in the workspace, where any copy of it carries "
                f"it: move it out (`mv {path} SAFE_PLACE/`) and pass --custodian-key SAFE_PLACE/custodian.key",
                Where(file=str(path)),
            )
        try:
            key = serialization.load_pem_private_key(
                data, password=passphrase if b"ENCRYPTED" in data else None
            )
        except (ValueError, TypeError):
            raise InputError(
                "not a custodian private key (a sealed Bulle key, or PEM X25519), or a wrong "
                "passphrase for an encrypted PEM key",
                Where(file=str(path)),
            ) from None
        if not isinstance(key, X25519PrivateKey):
            raise InputError(
                f"the custodian key must be X25519, not {type(key).__name__}", Where(file=str(path))
            )
        return key
