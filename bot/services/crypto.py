"""Encryption at rest (Fernet: AES with an HMAC) for what must not leak from a copied database.

The key comes from DATA_KEY; without it, a key file is created in DATA_DIR with owner-only
permissions, and the bot warns at start-up that it must be backed up.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

log = logging.getLogger(__name__)

KEY_FILE_NAME = "data.key"


class DecryptionError(RuntimeError):
    """Stored data could not be decrypted: the key is not the one it was written with."""


class Cipher:
    """Encrypts text and bytes; the same key must be used to read them back."""

    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(key)
        self._tag_key = hashlib.sha256(b"solidarity-tag:" + key).digest()

    def tag(self, value: str) -> str:
        """A keyed hash: equal values give equal tags, and without the key a tag reveals
        nothing (e.g. which reports are hers, without storing who she is)."""
        return hmac.new(self._tag_key, value.encode("utf-8"), hashlib.sha256).hexdigest()

    def encrypt(self, text: str) -> str:
        return self._fernet.encrypt(text.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        return self.decrypt_bytes(token.encode("ascii")).decode("utf-8")

    def encrypt_bytes(self, data: bytes) -> bytes:
        return self._fernet.encrypt(data)

    def decrypt_bytes(self, token: bytes) -> bytes:
        try:
            return self._fernet.decrypt(token)
        except InvalidToken:
            raise DecryptionError("stored data does not match the encryption key") from None

    def encrypt_optional(self, text: str | None) -> str | None:
        return None if text is None else self.encrypt(text)

    def decrypt_optional(self, token: str | None) -> str | None:
        return None if token is None else self.decrypt(token)


def new_key() -> str:
    return Fernet.generate_key().decode("ascii")


def load_cipher(data_key: str | None, data_dir: Path) -> Cipher:
    """The cipher from DATA_KEY, else from (a new) key file in `data_dir`."""
    if data_key:
        return Cipher(data_key.encode("ascii"))
    path = data_dir / KEY_FILE_NAME
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fp:
            fp.write(new_key())
        log.warning("DATA_KEY is not set: created a new key in %s", path)
    else:
        os.chmod(path, 0o600)
    log.warning(
        "DATA_KEY is not set: sensitive data is encrypted with the key in %s. Back that file up "
        "(or move the key into DATA_KEY): without it the encrypted data cannot be read.",
        path,
    )
    return Cipher(path.read_text(encoding="ascii").strip().encode("ascii"))
