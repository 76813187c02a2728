"""Encryption at rest for what must not leak from a copied database or data folder.

The format (version 1): one version byte (0x01), a 4-byte key id, a random 96-bit nonce, then
AES-256-GCM over the padded plaintext (the version byte and key id are authenticated with it).
Nothing in it is in clear but which key wrote it: no time (Fernet, used before, carried the
moment of encryption in clear), and the length only to its bucket:

- plaintexts are padded (a 0x80 byte, then zeros) to 32, 64, 128, ..., 4096 bytes, and above
  that to Padmé sizes (at most 12 % more: 4096-8192 in steps of 256, 8192-16384 in steps of
  512, ...), so that a length tells its bucket, not the exact size (a name, a persisted draft
  that grew by a few bytes, an attachment whose size someone knows);
- text columns hold the URL-safe base64 of those bytes.

The key is what `python -m bot key` prints (32 random bytes in URL-safe base64, the format
Fernet keys had, so keys made before still work). The AES key is derived from it with HKDF-SHA256;
keyed hashes (tags) use HMAC-SHA256 with SHA-256("solidarity-tag:" + key), exactly as before, so
that tags written before this format still match.

Values written before (Fernet tokens, first byte 0x80) still decrypt; `python -m bot key rotate`
rewrites them in this format. Several keys can be accepted at once (the current one and those
being rotated away from): values say which key wrote them.

Where the key lives: DATA_KEY, else KEY_FILE (by default outside the data folder, in the user's
config folder, see `default_key_file`); the first line of the key file is the current key, a
second line the previous one during a rotation.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import os
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

log = logging.getLogger(__name__)

KEY_FILE_NAME = "data.key"
APP_DIR_NAME = "solidarity-bot"

VERSION_1 = 0x01
FERNET_VERSION = 0x80
KEY_ID_BYTES = 4
NONCE_BYTES = 12
GCM_TAG_BYTES = 16
HEADER_BYTES = 1 + KEY_ID_BYTES
OVERHEAD = HEADER_BYTES + NONCE_BYTES + GCM_TAG_BYTES
# Plaintexts are padded to a power of two from MIN_BUCKET up to POWER_BUCKETS_UP_TO, then to
# Padmé sizes.
MIN_BUCKET = 32
POWER_BUCKETS_UP_TO = 4096
PAD_MARK = 0x80


class DecryptionError(RuntimeError):
    """Stored data could not be decrypted: the key is not the one it was written with."""


class KeyProblem(RuntimeError):
    """The key is missing, malformed, or not the one the data was written with; the message is
    one line for the person running the bot."""


# -- padding -------------------------------------------------------------------------------------


def padme(length: int) -> int:
    """Padmé (Nikitin et al., PURBs, 2019): the smallest size >= length whose low bits are zero,
    keeping O(log log n) bits of the length; at most about 12 % larger."""
    if length < 2:
        return length
    exponent = length.bit_length() - 1
    bits = exponent.bit_length()
    low = exponent - bits
    mask = (1 << low) - 1
    return (length + mask) & ~mask


def bucket(length: int) -> int:
    """The padded size of a plaintext of `length` bytes (its end mark included)."""
    needed = length + 1
    if needed <= POWER_BUCKETS_UP_TO:
        size = MIN_BUCKET
        while size < needed:
            size *= 2
        return size
    return padme(needed)


def pad(data: bytes) -> bytes:
    size = bucket(len(data))
    return data + bytes([PAD_MARK]) + bytes(size - len(data) - 1)


def unpad(data: bytes) -> bytes:
    end = data.rstrip(b"\x00")
    if not end or end[-1] != PAD_MARK:
        raise DecryptionError("stored data is not padded as expected")
    return end[:-1]


# -- keys ------------------------------------------------------------------------------------------


def new_key() -> str:
    """A new key: 32 random bytes, URL-safe base64 (what DATA_KEY and the key file hold)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii")


def check_key(text: str) -> str:
    """The key, stripped; ValueError if it is not one `new_key` could have made."""
    text = text.strip()
    try:
        raw = base64.urlsafe_b64decode(text.encode("ascii"))
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise ValueError("is not a key made by `python -m bot key`") from None
    if len(raw) != 32:
        raise ValueError("is not a key made by `python -m bot key`")
    return text


@dataclass(frozen=True, slots=True)
class _Key:
    text: str
    id: bytes
    aead: AESGCM
    fernet: Fernet
    tag_key: bytes


def _derive(text: str) -> _Key:
    raw = base64.urlsafe_b64decode(check_key(text).encode("ascii"))
    aes_key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"solidarity-bot/aes-256-gcm/v1"
    ).derive(raw)
    key_id = hmac.new(raw, b"solidarity-bot/key-id", hashlib.sha256).digest()[:KEY_ID_BYTES]
    return _Key(
        text=text,
        id=key_id,
        aead=AESGCM(aes_key),
        fernet=Fernet(text.encode("ascii")),
        # As before this format: tags written then still match.
        tag_key=hashlib.sha256(b"solidarity-tag:" + text.encode("ascii")).digest(),
    )


class Cipher:
    """Encrypts text and bytes with the current key; reads what any accepted key wrote."""

    def __init__(self, key: bytes | str, *, previous: Iterable[bytes | str] = ()) -> None:
        texts = [k.decode("ascii") if isinstance(k, bytes) else k for k in (key, *previous)]
        keys = [_derive(t) for t in texts]
        self._current = keys[0]
        self._previous = tuple(k for k in keys[1:] if k.id != keys[0].id)
        self._by_id = {k.id: k for k in reversed(keys)}

    @property
    def rotating(self) -> bool:
        """True while values written with a previous key may remain (see db/rekey.py)."""
        return bool(self._previous)

    @property
    def key_text(self) -> str:
        return self._current.text

    def without_previous(self) -> Cipher:
        return Cipher(self._current.text)

    # -- tags --------------------------------------------------------------------------------

    def tag(self, value: str) -> str:
        """A keyed hash: equal values give equal tags, and without the key a tag reveals
        nothing (e.g. which reports are hers, without storing who she is)."""
        return hmac.new(self._current.tag_key, value.encode("utf-8"), hashlib.sha256).hexdigest()

    def tags(self, value: str) -> list[str]:
        """The tag of `value` under every accepted key, the current one first (lookups while a
        rotation is unfinished)."""
        return [
            hmac.new(k.tag_key, value.encode("utf-8"), hashlib.sha256).hexdigest()
            for k in (self._current, *self._previous)
        ]

    # -- bytes -------------------------------------------------------------------------------

    def encrypt_bytes(self, data: bytes) -> bytes:
        header = bytes([VERSION_1]) + self._current.id
        nonce = os.urandom(NONCE_BYTES)
        return header + nonce + self._current.aead.encrypt(nonce, pad(data), header)

    def decrypt_bytes(self, token: bytes) -> bytes:
        if token[:1] == bytes([VERSION_1]) and len(token) >= OVERHEAD:
            key = self._by_id.get(token[1:HEADER_BYTES])
            if key is None:
                raise DecryptionError("stored data was written with a key that is not accepted")
            nonce = token[HEADER_BYTES : HEADER_BYTES + NONCE_BYTES]
            try:
                plain = key.aead.decrypt(
                    nonce, token[HEADER_BYTES + NONCE_BYTES :], token[:HEADER_BYTES]
                )
            except InvalidTag:
                raise DecryptionError("stored data does not match the encryption key") from None
            return unpad(plain)
        # Written before this format: a Fernet token (URL-safe base64 text, as bytes).
        return self._fernet_decrypt(token)

    def _fernet_decrypt(self, token: bytes) -> bytes:
        for key in (self._current, *self._previous):
            try:
                return key.fernet.decrypt(token)
            except InvalidToken:
                continue
        raise DecryptionError("stored data does not match the encryption key")

    def is_current(self, token: bytes | str) -> bool:
        """Was `token` written in the current format with the current key?"""
        raw = _raw(token) if isinstance(token, str) else token
        return raw[:HEADER_BYTES] == bytes([VERSION_1]) + self._current.id

    # -- text --------------------------------------------------------------------------------

    def encrypt(self, text: str) -> str:
        return base64.urlsafe_b64encode(self.encrypt_bytes(text.encode("utf-8"))).decode("ascii")

    def decrypt(self, token: str) -> str:
        raw = _raw(token)
        if raw[:1] == bytes([FERNET_VERSION]):
            return self._fernet_decrypt(token.encode("ascii")).decode("utf-8")
        return self.decrypt_bytes(raw).decode("utf-8")

    def encrypt_optional(self, text: str | None) -> str | None:
        return None if text is None else self.encrypt(text)

    def decrypt_optional(self, token: str | None) -> str | None:
        return None if token is None else self.decrypt(token)


def _raw(token: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(token.encode("ascii"))
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise DecryptionError("stored data is not an encrypted value") from None


# -- where the key lives --------------------------------------------------------------------------


def default_key_file() -> Path:
    """$XDG_CONFIG_HOME/solidarity-bot/data.key, else ~/.config/solidarity-bot/data.key: in the
    config folder of the user the bot runs as, never in the data folder that gets copied and
    backed up."""
    base = os.environ.get("XDG_CONFIG_HOME", "").strip()
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".config"
    return root / APP_DIR_NAME / KEY_FILE_NAME


@dataclass(slots=True)
class KeySource:
    """The accepted keys and where they came from. `fresh`: no key existed, a new one was made
    and is written to `path` only by `save()`, once the storage is known to hold no data
    encrypted with another key (see bot/__main__.py)."""

    keys: list[str]
    path: Path | None
    fresh: bool = False
    moved_from: Path | None = None

    def cipher(self) -> Cipher:
        return Cipher(self.keys[0], previous=self.keys[1:])

    def describe(self) -> str:
        return str(self.path) if self.path is not None else "DATA_KEY"

    def save(self) -> None:
        """Write a fresh key (or the keys after a rotation step) to the key file, owner-only."""
        if self.path is None:
            return
        write_key_file(self.path, self.keys)
        self.fresh = False


def write_key_file(path: Path, keys: Sequence[str]) -> None:
    """Replace the key file atomically: a temporary file beside it (0600), synced, renamed."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(path.name + ".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fp:
        fp.write("\n".join(keys) + "\n")
        fp.flush()
        os.fsync(fp.fileno())
    os.replace(temporary, path)
    _sync_folder(path.parent)


def _sync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def read_key_file(path: Path) -> list[str]:
    lines = [line.strip() for line in path.read_text(encoding="ascii").splitlines()]
    keys = [line for line in lines if line and not line.startswith("#")]
    if not keys:
        raise KeyProblem(f"Key error: the key file {path} is empty; restore it from your copy.")
    try:
        return [check_key(k) for k in keys]
    except ValueError:
        raise KeyProblem(
            f"Key error: the key file {path} does not hold a key made by `python -m bot key`."
        ) from None


def key_source(
    data_key: str | None,
    previous_key: str | None,
    key_file: Path | None,
    data_dir: Path,
) -> KeySource:
    """Find the keys: DATA_KEY (with DATA_KEY_PREVIOUS during a rotation), else the key file
    (KEY_FILE, by default `default_key_file()`). A key file left in the data folder by an
    older version is moved to the key file's place. No key at all: a new one, not yet saved
    (`fresh`)."""
    if data_key:
        keys = [data_key, *([previous_key] if previous_key else [])]
        return KeySource(keys=keys, path=None)
    path = key_file or default_key_file()
    legacy = data_dir / KEY_FILE_NAME
    if path.exists():
        os.chmod(path, 0o600)
        return KeySource(keys=read_key_file(path), path=path)
    if legacy.exists() and legacy.resolve() != path.resolve():
        keys = read_key_file(legacy)
        try:
            write_key_file(path, keys)
        except OSError as exc:
            raise KeyProblem(
                f"Key error: the key is in the data folder ({legacy}), where every copy of the "
                f"data carries it, and cannot be moved to {path} ({exc.strerror}); move it "
                "yourself (or set KEY_FILE, or put it in DATA_KEY)."
            ) from None
        legacy.unlink()
        return KeySource(keys=keys, path=path, moved_from=legacy)
    return KeySource(keys=[new_key()], path=path, fresh=True)


def key_warning(source: KeySource) -> str | None:
    """The one line to log about the key at start-up (None with DATA_KEY)."""
    if source.path is None:
        return None
    if source.moved_from is not None:
        return (
            f"The data key was moved out of the data folder, from {source.moved_from} to "
            f"{source.path}: keep a copy of it apart from the backups of the data."
        )
    if source.fresh:
        return (
            f"Created a new data key in {source.path}: keep a copy of it apart from the backups "
            "of the data (without it the encrypted data cannot be read), or move it into DATA_KEY."
        )
    return (
        f"The data key is read from {source.path}: keep a copy of it apart from the backups of "
        "the data (without it the encrypted data cannot be read)."
    )


def load_cipher(
    data_key: str | None,
    data_dir: Path,
    *,
    key_file: Path | None = None,
    previous_key: str | None = None,
) -> Cipher:
    """The cipher from DATA_KEY, else from the key file (created, with its warning, if none).
    For tests and tools that open a database the bot has made; `python -m bot` uses
    `key_source` and checks the storage before saving a new key."""
    source = key_source(data_key, previous_key, key_file, data_dir)
    warning = key_warning(source)
    if source.fresh:
        source.save()
    if warning:
        log.warning("%s", warning)
    return source.cipher()
