"""Encryption at rest: the format (no time in clear, lengths in buckets), old values still read,
several keys during a rotation, and where the key lives."""

from __future__ import annotations

import base64
import logging
import os
import struct
import time
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot.services.crypto import (
    MIN_BUCKET,
    Cipher,
    DecryptionError,
    KeyProblem,
    bucket,
    check_key,
    default_key_file,
    key_source,
    key_warning,
    load_cipher,
    new_key,
    padme,
)


def test_values_round_trip_and_carry_no_time() -> None:
    cipher = Cipher(new_key())
    for text in ("", "Айнура", "x" * 5000):
        token = cipher.encrypt(text)
        assert cipher.decrypt(token) == text
        raw = base64.urlsafe_b64decode(token)
        assert raw[0] == 0x01  # the version byte; then the key id, the nonce, the ciphertext
    # Fernet put the moment of encryption in clear right after its version byte; the same text
    # encrypted now and two seconds later gives values that share nothing but the header.
    first = base64.urlsafe_b64decode(cipher.encrypt("same"))
    time.sleep(0.01)
    second = base64.urlsafe_b64decode(cipher.encrypt("same"))
    assert first[:5] == second[:5] and first[5:] != second[5:]
    now = int(time.time())
    for offset in range(len(first) - 8):
        (stamp,) = struct.unpack(">Q", first[offset : offset + 8])
        assert abs(stamp - now) > 3600, "something in the value looks like the time"


def test_lengths_tell_only_their_bucket() -> None:
    cipher = Cipher(new_key())
    assert len(cipher.encrypt("a")) == len(cipher.encrypt("a" * (MIN_BUCKET - 1)))
    assert len(cipher.encrypt("a" * 100)) == len(cipher.encrypt("a" * 127))
    assert len(cipher.encrypt("a" * 127)) < len(cipher.encrypt("a" * 128))
    # Persisted data that grows by a few dozen bytes (a "remove from my phone" entry) mostly
    # stays in its bucket.
    assert bucket(700) == bucket(740) == 1024
    # Big files: Padmé, at most about 12 % more, and many sizes share one.
    sizes = {len(cipher.encrypt_bytes(b"x" * n)) for n in range(1_000_000, 1_000_200)}
    assert len(sizes) == 1
    for n in (5000, 123_456, 20 * 1024 * 1024):
        assert n < padme(n + 1) <= n * 1.13
    assert bucket(0) == MIN_BUCKET


def test_values_written_with_fernet_still_read() -> None:
    key = new_key()
    old = Fernet(key.encode())
    cipher = Cipher(key)
    assert cipher.decrypt(old.encrypt("Айнура".encode()).decode()) == "Айнура"
    assert cipher.decrypt_bytes(old.encrypt(b"\xff\xd8 photo")) == b"\xff\xd8 photo"
    assert not cipher.is_current(old.encrypt(b"x").decode())
    assert cipher.is_current(cipher.encrypt("x"))
    # Tags are computed as before, so tags stored before still match.
    import hashlib
    import hmac

    before = hmac.new(
        hashlib.sha256(b"solidarity-tag:" + key.encode()).digest(), b"chat:5", hashlib.sha256
    ).hexdigest()
    assert cipher.tag("chat:5") == before


def test_a_wrong_key_is_refused_and_old_keys_are_accepted_during_a_rotation() -> None:
    old, new = new_key(), new_key()
    written = Cipher(old).encrypt("secret")
    with pytest.raises(DecryptionError):
        Cipher(new).decrypt(written)
    with pytest.raises(DecryptionError):
        Cipher(new).decrypt_bytes(Fernet(old.encode()).encrypt(b"x"))
    both = Cipher(new, previous=[old])
    assert both.rotating and both.decrypt(written) == "secret"
    assert not both.is_current(written) and both.is_current(both.encrypt("secret"))
    assert both.tags("v") == [Cipher(new).tag("v"), Cipher(old).tag("v")]
    assert not both.without_previous().rotating
    tampered = bytearray(both.encrypt_bytes(b"evidence"))
    tampered[-1] ^= 1
    with pytest.raises(DecryptionError):
        both.decrypt_bytes(bytes(tampered))
    with pytest.raises(DecryptionError):
        both.decrypt("not base64 at all ✓")


def test_keys_are_checked() -> None:
    assert check_key(" " + (key := new_key()) + "\n") == key
    for bad in ("", "short", base64.urlsafe_b64encode(b"x" * 31).decode()):
        with pytest.raises(ValueError):
            check_key(bad)


def test_the_key_file_lives_outside_the_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    assert default_key_file() == tmp_path / "config" / "solidarity-bot" / "data.key"
    monkeypatch.setenv("XDG_CONFIG_HOME", "relative/not/allowed")
    assert default_key_file() == Path.home() / ".config" / "solidarity-bot" / "data.key"

    data = tmp_path / "data"
    key_file = tmp_path / "keys" / "data.key"
    fresh = key_source(None, None, key_file, data)
    assert fresh.fresh and not key_file.exists()  # saved only once the storage is checked
    assert "Created a new data key" in str(key_warning(fresh))
    fresh.save()
    assert key_file.stat().st_mode & 0o777 == 0o600 and not data.exists()
    again = key_source(None, None, key_file, data)
    assert not again.fresh and again.keys == fresh.keys
    assert "read from" in str(key_warning(again))
    assert key_warning(key_source(new_key(), None, key_file, data)) is None


def test_a_key_file_left_in_the_data_folder_is_moved_out(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    key = new_key()
    (data / "data.key").write_text(key)
    key_file = tmp_path / "keys" / "data.key"
    source = key_source(None, None, key_file, data)
    assert source.keys == [key] and source.moved_from == data / "data.key"
    assert not (data / "data.key").exists() and key_file.read_text().strip() == key
    assert "moved out of the data folder" in str(key_warning(source))


def test_a_broken_key_file_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "data.key"
    path.write_text("# nothing\n")
    with pytest.raises(KeyProblem, match="empty"):
        key_source(None, None, path, tmp_path)
    path.write_text("not-a-key\n")
    with pytest.raises(KeyProblem, match="does not hold a key"):
        key_source(None, None, path, tmp_path)


def test_load_cipher_warns_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    key_file = tmp_path / "k" / "data.key"
    cipher = load_cipher(None, tmp_path / "data", key_file=key_file)
    assert key_file.exists() and len(caplog.records) == 1
    assert cipher.decrypt(load_cipher(None, tmp_path, key_file=key_file).encrypt("x")) == "x"
    assert os.stat(key_file).st_mode & 0o777 == 0o600
