"""The custodian's private key at rest: sealed under a passphrase, or kept out of the workspace.

The custodian's X25519 private key opens every re-identification table, so a copy of the
workspace (a backup, a stolen disk, an export with ``--include-keys``) must not carry it in a
usable form. ``bulle init`` therefore either seals it under a passphrase the custodian holds, or
writes it to a file outside the workspace (``--custodian-key-out FILE``) and keeps only the public
key inside; it refuses to choose for the custodian.

Sealed file format (``keys/custodian.key``, mode 0600), one JSON object::

    {"format": "bulle-custodian-key", "version": 1, "algorithm": "X25519",
     "public_key": <hex of the raw 32-byte public key>,
     "kdf": {"name": "scrypt", "log2_n": 17, "r": 8, "p": 1, "salt": <hex, 16 bytes>},
     "cipher": "AES-256-GCM", "nonce": <hex, 12 bytes>, "ciphertext": <base64>}

The AES key is scrypt(passphrase) (128 MiB of memory per guess at log2_n = 17); the plaintext is
the raw 32-byte private key; every other field is authenticated as associated data, so changing
the cost parameters or the public key makes the file fail to open. The passphrase comes from a
file (``--custodian-passphrase-file``, which must be private to its owner) or from the
environment (``BULLE_CUSTODIAN_PASSPHRASE``), never from the command line, and is never logged.
"""

from __future__ import annotations

import base64
import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from bulle.errors import AccessDenied, InputError, IntegrityError, Where

FORMAT = "bulle-custodian-key"
ENV_PASSPHRASE = "BULLE_CUSTODIAN_PASSPHRASE"
MIN_PASSPHRASE = 12  # characters
SCRYPT_LOG2_N = 17  # OWASP's recommendation for scrypt (N = 2^17, r = 8, p = 1)
SCRYPT_R = 8
SCRYPT_P = 1
MAX_LOG2_N = 20  # a sealed file asking for more is refused rather than allowed to exhaust memory

NO_PROTECTION = (
    "the custodian's private key opens every re-identification table and must not sit usable in "
    "the workspace: give a passphrase to seal it (--custodian-passphrase-file FILE, or the "
    f"environment variable {ENV_PASSPHRASE}) or write it outside the workspace "
    "(--custodian-key-out FILE)"
)


def check_passphrase(passphrase: bytes, where: Where) -> None:
    if b"\x00" in passphrase:  # scrypt's HMAC pads keys with NULs: "x" and "x\0" would both open it
        raise InputError("the custodian passphrase holds a NUL character", where)
    if len(passphrase.decode("utf-8", "replace")) < MIN_PASSPHRASE:
        raise InputError(
            f"the custodian passphrase is too short: at least {MIN_PASSPHRASE} characters", where
        )


def passphrase_from_environment() -> bytes | None:
    value = os.environ.get(ENV_PASSPHRASE)
    return value.encode("utf-8") if value else None


def read_passphrase_file(path: str | Path) -> bytes:
    """The passphrase in ``path`` (one trailing newline removed); the file must be its owner's only."""
    path = Path(path)
    try:
        st = path.stat()
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError("passphrase file not found", Where(file=str(path))) from None
    except IsADirectoryError:
        raise InputError("the passphrase file is a directory", Where(file=str(path))) from None
    if stat.S_IMODE(st.st_mode) & 0o077:
        raise InputError(
            f"the passphrase file is readable or writable by group or others "
            f"(mode {stat.S_IMODE(st.st_mode):04o}): run `chmod 600 {path}`",
            Where(file=str(path)),
        )
    if data.endswith(b"\r\n"):
        data = data[:-2]
    elif data.endswith(b"\n"):
        data = data[:-1]
    if not data:
        raise InputError("the passphrase file is empty", Where(file=str(path)))
    return data


@dataclass(frozen=True)
class CustodianKeySetup:
    """How ``init`` (or an import that makes new keys) protects the new custodian private key."""

    passphrase: bytes | None = field(default=None, repr=False)
    key_out: Path | None = None

    @classmethod
    def from_environment(cls) -> CustodianKeySetup:
        return cls(passphrase=passphrase_from_environment())

    def check(self, workspace_root: Path | None = None) -> None:
        """Refuse before anything is written: no protection, a weak passphrase, a bad output file."""
        if self.passphrase is None and self.key_out is None:
            raise InputError(NO_PROTECTION, Where(field="--custodian-passphrase-file"))
        if self.passphrase is not None:
            check_passphrase(self.passphrase, Where(field="--custodian-passphrase-file"))
        if self.key_out is not None:
            out = Path(self.key_out).absolute()
            where = Where(file=str(self.key_out))
            if workspace_root is not None:
                root = Path(workspace_root).absolute()
                if out == root or root in out.parents:
                    raise InputError(
                        "the custodian key output file must lie outside the workspace", where
                    )
            if out.exists() or out.is_symlink():
                raise InputError(
                    "the custodian key output file already exists: choose a new path", where
                )
            if not out.parent.is_dir():
                raise InputError(
                    "the folder of the custodian key output file does not exist", where
                )


def seal(private, passphrase: bytes, log2_n: int | None = None) -> bytes:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if b"\x00" in passphrase:  # see check_passphrase: it could never be told from a shorter one
        raise InputError("the custodian passphrase holds a NUL character")
    raw = private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    public = private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    salt, nonce = os.urandom(16), os.urandom(12)
    log2_n = log2_n or SCRYPT_LOG2_N
    head = {
        "format": FORMAT,
        "version": 1,
        "algorithm": "X25519",
        "public_key": public.hex(),
        "kdf": {
            "name": "scrypt",
            "log2_n": log2_n,
            "r": SCRYPT_R,
            "p": SCRYPT_P,
            "salt": salt.hex(),
        },
        "cipher": "AES-256-GCM",
        "nonce": nonce.hex(),
    }
    key = _derive(passphrase, salt, log2_n, SCRYPT_R, SCRYPT_P)
    sealed = AESGCM(key).encrypt(nonce, raw, _aad(head))
    return (
        json.dumps({**head, "ciphertext": base64.b64encode(sealed).decode("ascii")}, indent=1)
        + "\n"
    ).encode("ascii")


def is_sealed(data: bytes) -> bool:
    return data.lstrip().startswith(b"{") and FORMAT.encode() in data[:200]


def unseal(data: bytes, passphrase: bytes | None, where: str):
    """The private key in a sealed file; AccessDenied without the right passphrase."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    w = Where(file=where)
    try:
        doc = json.loads(data)
        head = {
            k: doc[k]
            for k in ("format", "version", "algorithm", "public_key", "kdf", "cipher", "nonce")
        }
        kdf = head["kdf"]
        salt, nonce = bytes.fromhex(kdf["salt"]), bytes.fromhex(head["nonce"])
        log2_n, r, p = int(kdf["log2_n"]), int(kdf["r"]), int(kdf["p"])
        sealed = base64.b64decode(doc["ciphertext"], validate=True)
    except (ValueError, KeyError, TypeError):
        raise IntegrityError("unreadable sealed custodian key", w) from None
    if (head["format"], head["version"], head["cipher"], kdf.get("name")) != (
        FORMAT,
        1,
        "AES-256-GCM",
        "scrypt",
    ) or not (10 <= log2_n <= MAX_LOG2_N and 1 <= r <= 32 and 1 <= p <= 16):
        raise IntegrityError("a sealed custodian key of an unknown version or out-of-range cost", w)
    if passphrase is None:
        raise AccessDenied(
            "the custodian's private key is sealed with a passphrase: give it with "
            f"--custodian-passphrase-file FILE or the environment variable {ENV_PASSPHRASE}",
            w,
        )
    if b"\x00" in passphrase:  # never sealed with one (check_passphrase), and scrypt's HMAC would
        # take "x\0" for "x": refused before deriving anything
        raise AccessDenied(
            "wrong passphrase for the custodian's private key (it holds a NUL character)", w
        )
    try:
        raw = AESGCM(_derive(passphrase, salt, log2_n, r, p)).decrypt(nonce, sealed, _aad(head))
    except InvalidTag:
        raise AccessDenied(
            "wrong passphrase for the custodian's private key (or the key file was altered)", w
        ) from None
    private = X25519PrivateKey.from_private_bytes(raw)
    from cryptography.hazmat.primitives import serialization

    public = private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    if public.hex() != head["public_key"]:
        raise IntegrityError("the sealed custodian key does not match its recorded public key", w)
    return private


def _aad(head: dict) -> bytes:
    return json.dumps(head, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _derive(passphrase: bytes, salt: bytes, log2_n: int, r: int, p: int) -> bytes:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    return Scrypt(salt=salt, length=32, n=1 << log2_n, r=r, p=p).derive(passphrase)
