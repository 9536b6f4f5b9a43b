"""The workspace's audit signing key, its public half, and the ring of keys a verifier trusts.

The private key signs every entry and never leaves the key folder: it is created with mode 0600
and refused when others can read it. The public key is meant to be handed out, so anyone can check
the log without trusting Bulle. A log may span several keys (a rotation, or an import into a new
workspace that got new keys); each entry names its key by id, and a verifier is given the set of
public keys it trusts (a ``KeyRing``).

Key folder layout (inside the workspace's ``keys/``)::

    audit-ed25519.key          current private key, PEM PKCS#8, mode 0600
    audit-ed25519.pub          current public key, PEM SubjectPublicKeyInfo
    audit-trusted/<id>.pub     earlier or imported public keys the log may still name
"""

from __future__ import annotations

import hashlib
import re
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from bulle.errors import ConflictError, InputError, NotFoundError, Where
from bulle.fsutil import atomic_write_bytes

SIGNING_KEY_FILE = "audit-ed25519.key"
PUBLIC_KEY_FILE = "audit-ed25519.pub"
TRUSTED_DIR = "audit-trusted"
KEY_ID_HEX = 16  # 64 bits: names a key among a handful; trust comes from the key itself

_HEX_KEY = re.compile(r"\s*([0-9a-fA-F]{64})\s*\Z")


def generate_signing_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def raw_public(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(public_key: Ed25519PublicKey | Ed25519PrivateKey) -> str:
    """Short name of a key: the first hex digits of SHA-256 over its raw 32-byte public key."""
    if isinstance(public_key, Ed25519PrivateKey):
        public_key = public_key.public_key()
    return hashlib.sha256(raw_public(public_key)).hexdigest()[:KEY_ID_HEX]


def public_key_pem(public_key: Ed25519PublicKey) -> str:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def public_key_hex(public_key: Ed25519PublicKey) -> str:
    return raw_public(public_key).hex()


def parse_public_key(text: str | bytes, where: Where | None = None) -> Ed25519PublicKey:
    """Read a public key given as PEM or as 64 hex digits (the raw 32-byte key)."""
    data = text.encode("ascii", "replace") if isinstance(text, str) else text
    m = _HEX_KEY.match(data.decode("ascii", "replace"))
    if m:
        return Ed25519PublicKey.from_public_bytes(bytes.fromhex(m.group(1)))
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError:
        raise InputError(
            "not an Ed25519 public key (expected PEM or 64 hex digits)", where
        ) from None
    if not isinstance(key, Ed25519PublicKey):
        raise InputError(f"not an Ed25519 public key but {type(key).__name__}", where)
    return key


def load_public_key(path: str | Path) -> Ed25519PublicKey:
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise NotFoundError("public key file not found", Where(file=str(path))) from None
    return parse_public_key(data, Where(file=str(path)))


def load_private_key(path: str | Path) -> Ed25519PrivateKey:
    """Load the signing key, refusing a file that anyone but its owner may read."""
    path = Path(path)
    try:
        st = path.stat()
    except FileNotFoundError:
        raise NotFoundError("audit signing key not found", Where(file=str(path))) from None
    if st.st_mode & 0o077:
        raise InputError(
            f"the audit signing key is readable by others (mode {stat.S_IMODE(st.st_mode):04o}): "
            "run `chmod 600` on it",
            Where(file=str(path)),
        )
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError):
        raise InputError("not a PEM private key", Where(file=str(path))) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise InputError(
            f"the audit signing key must be Ed25519, not {type(key).__name__}",
            Where(file=str(path)),
        )
    return key


def write_private_key(path: str | Path, key: Ed25519PrivateKey, *, replace: bool = False) -> None:
    """Write a private key atomically with mode 0600 from its first byte on disk."""
    path = Path(path)
    if path.exists() and not replace:
        raise ConflictError("an audit signing key already exists here", Where(file=str(path)))
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    _atomic_write(path, pem, 0o600)


def write_public_key(path: str | Path, public_key: Ed25519PublicKey) -> None:
    _atomic_write(Path(path), public_key_pem(public_key).encode("ascii"), 0o600)  # private folder


def verify_signature(public_key: Ed25519PublicKey, signature: bytes, message: bytes) -> bool:
    try:
        public_key.verify(signature, message)
    except InvalidSignature:
        return False
    return True


class KeyRing:
    """The public keys a verifier trusts, by key id."""

    def __init__(self, keys: Iterable[Ed25519PublicKey | Ed25519PrivateKey] = ()) -> None:
        self._keys: dict[str, Ed25519PublicKey] = {}
        for k in keys:
            self.add(k)

    @classmethod
    def of(
        cls,
        keys: KeyRing
        | Ed25519PublicKey
        | Ed25519PrivateKey
        | Iterable[Ed25519PublicKey | Ed25519PrivateKey],
    ) -> KeyRing:
        if isinstance(keys, KeyRing):
            return keys
        if isinstance(keys, Ed25519PublicKey | Ed25519PrivateKey):
            return cls([keys])
        return cls(keys)

    @classmethod
    def from_files(cls, paths: Iterable[str | Path]) -> KeyRing:
        return cls(load_public_key(p) for p in paths)

    def add(self, key: Ed25519PublicKey | Ed25519PrivateKey) -> str:
        public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
        kid = key_id(public)
        self._keys[kid] = public
        return kid

    def get(self, kid: str) -> Ed25519PublicKey | None:
        return self._keys.get(kid)

    def raw(self) -> dict[str, bytes]:
        """Raw key bytes by id: what crosses a process boundary to parallel verifiers."""
        return {kid: raw_public(k) for kid, k in self._keys.items()}

    def ids(self) -> list[str]:
        return sorted(self._keys)

    def __contains__(self, kid: object) -> bool:
        return kid in self._keys

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._keys))

    def __len__(self) -> int:
        return len(self._keys)


# -- the workspace's key folder -----------------------------------------------------------------


def ensure_workspace_key(keys_dir: str | Path) -> Ed25519PrivateKey:
    """The workspace's signing key, created (with its public half) on first use."""
    keys_dir = Path(keys_dir)
    path = keys_dir / SIGNING_KEY_FILE
    if path.exists():
        return load_private_key(path)
    keys_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = generate_signing_key()
    write_private_key(path, key)
    write_public_key(keys_dir / PUBLIC_KEY_FILE, key.public_key())
    return key


def load_workspace_key(keys_dir: str | Path) -> Ed25519PrivateKey:
    return load_private_key(Path(keys_dir) / SIGNING_KEY_FILE)


def workspace_public_key(keys_dir: str | Path) -> Ed25519PublicKey:
    keys_dir = Path(keys_dir)
    pub = keys_dir / PUBLIC_KEY_FILE
    if pub.exists():
        return load_public_key(pub)
    return load_workspace_key(keys_dir).public_key()


def trust_public_key(keys_dir: str | Path, public_key: Ed25519PublicKey) -> Path:
    """Record a public key the log may name (an old key after rotation, or an import's origin)."""
    folder = Path(keys_dir) / TRUSTED_DIR
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / f"{key_id(public_key)}.pub"
    write_public_key(path, public_key)
    return path


def workspace_key_ring(keys_dir: str | Path) -> KeyRing:
    """Every key this workspace's log may be signed with: the current one and the trusted ones."""
    keys_dir = Path(keys_dir)
    ring = KeyRing()
    if (keys_dir / PUBLIC_KEY_FILE).exists() or (keys_dir / SIGNING_KEY_FILE).exists():
        ring.add(workspace_public_key(keys_dir))
    trusted = keys_dir / TRUSTED_DIR
    if trusted.is_dir():
        for p in sorted(trusted.glob("*.pub")):
            ring.add(load_public_key(p))
    return ring


def rotate_workspace_key(
    keys_dir: str | Path, new: Ed25519PrivateKey | None = None
) -> Ed25519PrivateKey:
    """Replace the signing key; the old public key stays trusted so older entries still verify.

    The old private key is overwritten: entries it signed stay verifiable, and it can never sign
    again (the verifier also refuses a key that reappears after it was superseded). ``new`` is
    given when the old key has already signed a rotation record for it (see audit.witness).
    """
    keys_dir = Path(keys_dir)
    old = load_workspace_key(keys_dir)
    trust_public_key(keys_dir, old.public_key())
    new = new or generate_signing_key()
    write_private_key(keys_dir / SIGNING_KEY_FILE, new, replace=True)
    write_public_key(keys_dir / PUBLIC_KEY_FILE, new.public_key())
    return new


def _atomic_write(path: Path, data: bytes, mode: int) -> None:
    atomic_write_bytes(path, data, mode)
